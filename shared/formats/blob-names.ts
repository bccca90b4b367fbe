/**
 * Azure's naming rules for containers and blobs ("Naming and Referencing Containers, Blobs, and
 * Metadata"), checked before a name reaches a drive manifest or a storage call, and the mapping of
 * a destination (`container/virtual/dir/`) plus a relative file path to a blob path.
 *
 * Blob names may hold almost any character; the rules refused here are the documented ones
 * (1-1,024 characters, at most 254 path segments, no control characters or invalid code points)
 * plus the ones Azure documents as "avoid", because each makes a name that does not round-trip:
 * a segment ending in a dot (the service trims it), empty, "." or ".." segments, and backslashes
 * (which tools turn into separators).
 */

const MAX_BLOB_NAME_LENGTH = 1024;
const MAX_BLOB_PATH_SEGMENTS = 254;
/** The containers whose names break the DNS rule; blobs in `$root` cannot contain "/". */
const SPECIAL_CONTAINERS = ["$root", "$web"] as const;

const CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;
// C0 and C1 controls, DEL, private-use (the docs' "\uE000"), non-characters, unpaired surrogates.
const FORBIDDEN_IN_BLOB_NAME =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001F\u007F-\u009F\uE000-\uF8FF\uFDD0-\uFDEF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `name` is not a valid container name, or undefined when it is. */
export function containerNameProblem(name: string): string | undefined {
  if ((SPECIAL_CONTAINERS as readonly string[]).includes(name)) return undefined;
  if (name.length < 3 || name.length > 63) return `container name '${name}' must be 3 to 63 characters long`;
  if (/[A-Z]/.test(name)) return `container name '${name}' must be lowercase`;
  if (!CONTAINER_NAME.test(name)) {
    return `container name '${name}' may hold only letters, digits and single hyphens, and must start and end with a letter or digit`;
  }
  return undefined;
}

/** Why `name` is not a valid blob name (the part after the container), or undefined when it is. */
export function blobNameProblem(name: string, container?: string): string | undefined {
  const length = [...name].length;
  if (length === 0) return "a blob name cannot be empty";
  if (length > MAX_BLOB_NAME_LENGTH) return `blob name is ${length} characters long (at most ${MAX_BLOB_NAME_LENGTH})`;
  const forbidden = FORBIDDEN_IN_BLOB_NAME.exec(name);
  if (forbidden) {
    const code = forbidden[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    return `blob name '${printable(name)}' contains the character U+${code}, which Azure does not allow`;
  }
  if (name.includes("\\")) return `blob name '${name}' contains a backslash`;
  if (container === "$root" && name.includes("/")) return `blob name '${name}' in the $root container cannot contain '/'`;
  const segments = name.split("/");
  if (segments.length > MAX_BLOB_PATH_SEGMENTS) {
    return `blob name '${name}' has ${segments.length} path segments (at most ${MAX_BLOB_PATH_SEGMENTS})`;
  }
  for (const segment of segments) {
    if (segment === "") return `blob name '${name}' has an empty path segment (a leading, trailing or doubled '/')`;
    if (segment === "." || segment === "..") return `blob name '${name}' has a '${segment}' path segment`;
    if (segment.endsWith(".")) return `blob name '${name}' has a path segment ending in '.', which Azure trims`;
  }
  return undefined;
}

/** A file name component: NTFS holds 255 UTF-16 units, Linux file systems (where the agent writes) 255 bytes. */
const MAX_FILE_NAME_UNITS = 255;
export const MAX_FILE_NAME_BYTES = 255;
// Windows' reserved device names, alone or with an extension ("NUL.tar.gz" is NUL).
const RESERVED_ON_WINDOWS = /^(CON|PRN|AUX|NUL|COM[0-9\u00B9\u00B2\u00B3]|LPT[0-9\u00B9\u00B2\u00B3])$/i;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_ON_WINDOWS = /[\u0000-\u001F<>:"/\\|?*]/;

/**
 * Why a blob path (`container/name`) cannot be a file on an export drive, or undefined when it can.
 * The drive is NTFS and the customer opens it on Windows, so each segment must be a name Windows
 * can hold: no reserved device name (`CON`, `nul.txt`...), none of `< > : " | ? *` or control
 * characters, no trailing dot or space (Windows drops them: the file would open as another name),
 * not empty, `.` or `..`; and at most 255 characters (NTFS) and 255 bytes (the agent's own disk).
 * Azure names may break every one of these rules; such a blob is not exported.
 */
export function driveFileNameProblem(blobPath: string): string | undefined {
  for (const segment of blobPath.split("/")) {
    if (segment === "" || segment === "." || segment === "..") return `'${segment}' is not a file or folder name`;
    const forbidden = FORBIDDEN_ON_WINDOWS.exec(segment);
    if (forbidden) return `'${printable(segment)}' holds '${printable(forbidden[0])}', which Windows does not allow in a file name`;
    if (/[. ]$/.test(segment)) return `'${segment}' ends in a dot or a space, which Windows drops from a file name`;
    if (RESERVED_ON_WINDOWS.test(segment.split(".")[0].trimEnd())) return `'${segment}' is a name Windows reserves for a device`;
    if (segment.length > MAX_FILE_NAME_UNITS) return `a segment of ${segment.length} characters is longer than a file name can be (${MAX_FILE_NAME_UNITS})`;
    if (Buffer.byteLength(segment) > MAX_FILE_NAME_BYTES) return `a segment of ${Buffer.byteLength(segment)} bytes is longer than a file name can be (${MAX_FILE_NAME_BYTES} bytes)`;
  }
  return undefined;
}

export interface BlobPath {
  container: string;
  blobName: string;
}

/** Splits a manifest `BlobPath` (`container/blob/name`) and checks both halves. */
export function parseBlobPath(blobPath: string): BlobPath {
  const slash = blobPath.indexOf("/");
  if (slash < 0) throw new BlobNameError(`blob path '${blobPath}' must start with a container name followed by '/'`);
  const container = blobPath.slice(0, slash);
  const blobName = blobPath.slice(slash + 1);
  const problem = containerNameProblem(container) ?? blobNameProblem(blobName, container);
  if (problem) throw new BlobNameError(problem);
  return { container, blobName };
}

/**
 * A destination as the tool takes it: `container`, `container/` or `container/virtual/dir[/]`
 * for a folder (files keep their relative paths below the virtual directory), or
 * `container/blob/name` for a single file.
 */
export interface Destination {
  container: string;
  /** Empty, or the virtual directory with its trailing "/". */
  prefix: string;
}

export function parseDestination(destination: string): Destination {
  const slash = destination.indexOf("/");
  const container = slash < 0 ? destination : destination.slice(0, slash);
  const problem = containerNameProblem(container);
  if (problem) throw new BlobNameError(problem);
  let prefix = slash < 0 ? "" : destination.slice(slash + 1);
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  if (prefix !== "") {
    const prefixProblem = blobNameProblem(prefix.slice(0, -1), container);
    if (prefixProblem) throw new BlobNameError(prefixProblem.replace(/^blob name/, "virtual directory"));
  }
  return { container, prefix };
}

/** The blob path for a file at `relativeSegments` below a folder copied to `destination`. */
export function blobPathFor(destination: Destination, relativeSegments: readonly string[]): string {
  const blobName = destination.prefix + relativeSegments.join("/");
  const problem = blobNameProblem(blobName, destination.container);
  if (problem) throw new BlobNameError(problem);
  return `${destination.container}/${blobName}`;
}

/**
 * The name the `rename` disposition gives the `attempt`-th try (2, 3, ...) when the blob exists, as
 * documented: ` (2)` before the extension (the part after the last dot), or at the end without
 * one. The extension is looked for in the last path segment: a dot in a virtual directory's name
 * is not an extension.
 */
export function renamedBlobName(blobName: string, attempt: number): string {
  if (!Number.isInteger(attempt) || attempt < 2) throw new RangeError("rename attempts start at 2");
  const lastSegmentStart = blobName.lastIndexOf("/") + 1;
  const dot = blobName.lastIndexOf(".");
  return dot > lastSegmentStart ? `${blobName.slice(0, dot)} (${attempt})${blobName.slice(dot)}` : `${blobName} (${attempt})`;
}

export class BlobNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlobNameError";
  }
}

function printable(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what gets escaped
  return name.replace(/[\u0000-\u001F\u007F-\u009F]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
