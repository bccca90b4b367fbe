/**
 * Conditional requests on a job, as ARM's RPC asks of a resource provider: the job's ETag, the
 * conditions a PUT, PATCH or DELETE carries (`If-Match`, `If-None-Match`), and whether they hold
 * for the job as read (RFC 9110 §13). The HTTP layer parses the headers; the job service evaluates
 * them on every read of its read-modify-write, and writes with the storage ETag of that read.
 */
import { createHash } from "node:crypto";
import { ErrorFactory } from "./errors";
import { JobKey } from "./job";

/** One entity tag of a header: `"opaque"`, or `W/"opaque"` when weak. */
export interface EntityTag {
  weak: boolean;
  opaque: string;
}

/** `*` (any current version) or the tags listed. */
export type EntityTagCondition = "*" | readonly EntityTag[];

export interface Preconditions {
  ifMatch?: EntityTagCondition;
  ifNoneMatch?: EntityTagCondition;
}

/**
 * The job's ETag as customers see it: a digest of the stored entity's ETag, so it is the same for
 * as long as the entity is, changes with every write, and is strong and opaque (the storage's ETag
 * is weak and shows when the entity was written). 22 base64url characters are 132 bits.
 */
export function jobETag(storageETag: string): string {
  return `"${createHash("sha256").update(storageETag).digest("base64url").slice(0, 22)}"`;
}

/**
 * Throws `412 PreconditionFailed` unless the conditions hold for the job whose ETag is `current`
 * (undefined: there is no job). If-Match first, then If-None-Match, as RFC 9110 §13.2.2 orders them.
 */
export function assertPreconditions(preconditions: Preconditions, current: string | undefined, key: JobKey): void {
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch !== undefined && !(current !== undefined && names(ifMatch, current, "strong"))) {
    throw ErrorFactory.preconditionFailed(
      "If-Match",
      current === undefined
        ? `The job '${key.name}' does not exist, so If-Match does not hold. Create it without If-Match (If-None-Match: * creates it only where there is none).`
        : `The job '${key.name}' has changed since the ETag in If-Match was read. GET the job for its current ETag, and send the request again if it still applies.`,
    );
  }
  if (ifNoneMatch !== undefined && current !== undefined && names(ifNoneMatch, current, "weak")) {
    throw ErrorFactory.preconditionFailed(
      "If-None-Match",
      ifNoneMatch === "*"
        ? `The job '${key.name}' already exists, and If-None-Match: * asks for one only where there is none. GET it, or choose another name.`
        : `The job '${key.name}' still has an ETag listed in If-None-Match. GET the job for its current ETag.`,
    );
  }
}

/**
 * Whether the condition names the current ETag (`*` names any). If-Match compares strongly, so a
 * weak tag never matches; If-None-Match weakly (RFC 9110 §13.1.1, §13.1.2).
 */
function names(condition: EntityTagCondition, current: string, comparison: "strong" | "weak"): boolean {
  return condition === "*" || condition.some((tag) => (comparison === "weak" || !tag.weak) && `"${tag.opaque}"` === current);
}
