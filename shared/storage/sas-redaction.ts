/**
 * A SAS signature is a password for what it signs: never printed or recorded. The one helper that
 * takes it out of any text (a URL, an error message carrying one), keeping the rest of the URL so
 * a reader still sees which blob, what permission and until when.
 */
export function redactSasSignatures(text: string): string {
  return text.replace(/([?&]sig=)[^&\s"'<>]+/gi, "$1REDACTED");
}
