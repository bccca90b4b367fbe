/**
 * The one redaction step: every log record goes through it (log.ts), and so does anything else
 * the code prints or records that may quote a secret (the tools' output, a sweep failure stored on
 * an index entry): anything shaped like a secret is replaced. A record is built from messages the
 * code writes and from errors it caught, and an error's message can quote a URL with its SAS, a
 * connection string or a request body; so the shapes are matched wherever they appear, not only
 * under known field names.
 */

const REDACTED = "[REDACTED]";

/** Each secret's shape and what stands in its place. */
const SECRET_SHAPES: [RegExp, string][] = [
  // A SAS signature (a blob URL, a SAS connection string): the rest of the URL stays readable (which
  // blob, what permission, until when), and stays a URL: `sig=REDACTED`, as the tools print it.
  [/([?&;]sig=)[^&\s"'<>;]+/gi, "$1REDACTED"],
  // The key of a connection string, and a connection string's SAS, keyword and all.
  [/\b(AccountKey|SharedAccessKey|SharedAccessSignature)=[^;\s"']*/gi, REDACTED],
  // Authorization header values: a bearer token (8 characters or more, not all letters, so that
  // "Bearer token authentication" in an SDK's message stays readable), a Shared Key signature.
  [/\bBearer\s+(?=[A-Za-z]*[0-9._~+/-])[A-Za-z0-9._~+/-]{8,}=*/gi, `Bearer ${REDACTED}`],
  [/\bSharedKey(Lite)?\s+[^\s"',]+/gi, REDACTED],
  // A JWT wherever it stands (three base64url parts, the first two JSON objects).
  [/\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // A BitLocker recovery password: eight groups of six digits, with dashes, spaces or nothing between.
  [/(?<!\d)\d{6}(?:[- ]?\d{6}){7}(?!\d)/g, REDACTED],
  // A storage account key (64 bytes in base64) standing alone, as in CUSTOMER_ACCOUNT_KEYS.
  [/(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==/g, REDACTED],
];

/** Something each shape above starts with or holds: text without any of these is returned as it is, after one scan. */
const SECRET_HINT = /sig=|AccountKey|SharedAccess|Bearer|SharedKey|eyJ|\d{6}|==/i;

/** `text` with every secret-shaped part replaced. */
export function redact(text: string): string {
  if (!SECRET_HINT.test(text)) return text;
  let result = text;
  for (const [shape, replacement] of SECRET_SHAPES) result = result.replace(shape, replacement);
  return result;
}
