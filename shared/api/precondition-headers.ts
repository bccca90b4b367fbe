/**
 * Reads `If-Match` and `If-None-Match` (RFC 9110 §13.1.1, §13.1.2): `*`, or a comma-separated list
 * of entity tags (`"opaque"`, or `W/"opaque"` for a weak one). An empty header is no condition, as
 * ARM's RPC reads `If-Match: ""`; anything else malformed is `400 InvalidHeaderValue` naming the
 * header (the value itself is not echoed).
 */
import { ErrorFactory } from "../domain/errors";
import { EntityTag, EntityTagCondition, Preconditions } from "../domain/preconditions";

type PreconditionHeader = "If-Match" | "If-None-Match";

/**
 * One list element and its separator: a tag (or nothing: a list may hold empty elements), then a
 * comma or the end. A tag's characters are `etagc`: %x21 / %x23-7E / obs-text, so no space or quote.
 */
const LIST_ELEMENT = /[ \t]*(?:(W\/)?"([\x21\x23-\x7E\x80-\xFF]*)")?[ \t]*(?:,|$)/y;

export function parsePreconditions(headers: { get(name: string): string | null }): Preconditions {
  const ifMatch = parseCondition(headers.get("If-Match"), "If-Match");
  const ifNoneMatch = parseCondition(headers.get("If-None-Match"), "If-None-Match");
  return { ...(ifMatch && { ifMatch }), ...(ifNoneMatch && { ifNoneMatch }) };
}

function parseCondition(header: string | null, name: PreconditionHeader): EntityTagCondition | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (value === "*") return "*";
  const tags: EntityTag[] = [];
  for (let at = 0; at < value.length; at = LIST_ELEMENT.lastIndex) {
    LIST_ELEMENT.lastIndex = at;
    const element = LIST_ELEMENT.exec(value);
    if (!element || LIST_ELEMENT.lastIndex === at) throw malformed(name);
    if (element[2] !== undefined) tags.push({ weak: element[1] !== undefined, opaque: element[2] });
  }
  if (tags.length === 0) throw malformed(name);
  return tags;
}

function malformed(name: PreconditionHeader) {
  return ErrorFactory.invalidHeaderValue(
    name,
    `${name} must be * or a comma-separated list of quoted ETags, each as a job's etag shows it ("…", or W/"…" for a weak one).`,
  );
}
