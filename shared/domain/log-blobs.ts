/**
 * Where a job's blobs live, and the one way a blob name is built. Under the job's `diagnosticsPath`
 * (default `waimportexport`), then the subscription, resource group and job (lower case, as ARM names
 * are case-insensitive), so jobs and drives never collide across subscriptions and resource groups.
 *
 * Blob names are safe by construction: every name is joined from segments that are each checked
 * here (no `.` or `..`, nothing empty, no `\`, control character or lone surrogate), so no
 * customer's string can make the storage client resolve a path out of the job's prefix or out of the
 * logs container. And they fit: a path is accepted only if every name built under it, at the
 * longest names the API takes, is within Azure's limit once lower-cased (`MAX_DIAGNOSTICS_PATH_BYTES`).
 */
import type { Job } from "./job";
import { BLOB_NAME_MAX_BYTES, NAME_LIMITS, utf8Bytes } from "./storage-limits";

export const DEFAULT_DIAGNOSTICS_PATH = "waimportexport";

export type DriveBlobKind = "errorLog" | "verboseLog" | "manifest";

const DRIVE_BLOB_FILES: Record<DriveBlobKind, string> = {
  errorLog: "error.log",
  verboseLog: "verbose.log",
  manifest: "manifest.xml",
};

/** Azure's container names: 3-63 lowercase letters, digits and single hyphens, not at either end. */
const CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
/** Room in a 1,024-character blob name for what follows the path (ids, names, the file). */
export const MAX_DIAGNOSTICS_PATH_CHARS = 512;
/** Azure allows 254 segments in a blob name; the job's own segments follow the path's. */
const MAX_DIAGNOSTICS_PATH_SEGMENTS = 64;
// C0 and C1 controls, DEL, the backslash (a separator to some clients), and the noncharacters
// U+FFFE/U+FFFF, which Azure's naming rules exclude.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN_CHARACTER = /[\u0000-\u001f\u007f-\u009f\\\ufffe\uffff]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `segment` can't be one segment of a blob name, or undefined when it can. */
export function blobSegmentProblem(segment: string): string | undefined {
  if (segment === "") return "an empty segment ('//', or a '/' at the start)";
  if (segment === "." || segment === "..") return `a '${segment}' segment`;
  if (segment.endsWith(".")) return "a segment ending in '.'";
  if (FORBIDDEN_CHARACTER.test(segment)) return "a control character or '\\'";
  if (LONE_SURROGATE.test(segment)) return "an unpaired surrogate (not valid Unicode)";
  return undefined;
}

/**
 * Why a `diagnosticsPath` is not acceptable, or undefined when it is. As the service defines it: a
 * container name (Azure's rules, any case, as the path is used in lower case), optionally followed by
 * a virtual directory of segments that follow the blob naming rules; one trailing '/' is allowed.
 * Measured in UTF-8 once lower-cased ('İ' is two bytes and lower-cases to three), it must leave room
 * for the longest name the service builds under it.
 */
export function diagnosticsPathProblem(path: string): string | undefined {
  const problem = diagnosticsPathShapeProblem(path);
  if (problem) return problem;
  const bytes = utf8Bytes(diagnosticsSegments(path).join("/").toLowerCase());
  if (bytes > MAX_DIAGNOSTICS_PATH_BYTES) {
    return `it is ${bytes} bytes in UTF-8 once lower-cased, and at most ${MAX_DIAGNOSTICS_PATH_BYTES} bytes are allowed, so that every blob name under it stays within Azure's ${BLOB_NAME_MAX_BYTES}`;
  }
  return undefined;
}

/**
 * The rules a path has always had to meet (all but its size in bytes): a stored job whose path meets
 * them has its blobs under it, whenever it was created.
 */
function diagnosticsPathShapeProblem(path: string): string | undefined {
  if (path.length > MAX_DIAGNOSTICS_PATH_CHARS) return `it is longer than ${MAX_DIAGNOSTICS_PATH_CHARS} characters`;
  const [container, ...directory] = diagnosticsSegments(path);
  if (!CONTAINER_NAME.test(container.toLowerCase())) {
    return `'${printable(container)}' is not a container name: 3-63 letters, digits and single hyphens, starting and ending with a letter or digit`;
  }
  if (directory.length + 1 > MAX_DIAGNOSTICS_PATH_SEGMENTS) return `it has more than ${MAX_DIAGNOSTICS_PATH_SEGMENTS} segments`;
  for (const segment of directory) {
    const problem = blobSegmentProblem(segment);
    if (problem) return `its virtual directory has ${problem}`;
  }
  return undefined;
}

/** Joins checked segments into a blob name; throws on a segment that is not safe (a bug upstream). */
export function blobName(...segments: string[]): string {
  for (const segment of segments) {
    const problem = blobSegmentProblem(segment);
    if (problem) throw new Error(`Refusing to build a blob name with ${problem}`);
  }
  return segments.join("/");
}

/** Whether a whole blob name (or prefix, ending in '/') is made only of safe segments. */
export function isSafeBlobName(name: string): boolean {
  const segments = name.split("/");
  if (name.endsWith("/")) segments.pop();
  return segments.every((segment) => blobSegmentProblem(segment) === undefined);
}

export function jobBlobPrefix(job: Pick<Job, "key" | "diagnosticsPath">): string {
  const { subscriptionId, resourceGroup, name } = job.key;
  return `${blobName(...[...storedDiagnosticsSegments(job), subscriptionId, resourceGroup, name].map((segment) => segment.toLowerCase()))}/`;
}

export function driveBlobName(job: Pick<Job, "key" | "diagnosticsPath">, driveId: string, kind: DriveBlobKind): string {
  return jobBlobPrefix(job) + blobName("drives", driveId.toUpperCase(), DRIVE_BLOB_FILES[kind]);
}

export function incompleteBlobListName(job: Pick<Job, "key" | "diagnosticsPath">): string {
  return jobBlobPrefix(job) + blobName("incomplete-blobs.txt");
}

/** Where a job's archived history chunks live (see `history.ts`). */
export function historyArchivePrefix(job: Pick<Job, "key" | "diagnosticsPath">): string {
  return `${jobBlobPrefix(job)}history/`;
}

/** One archived chunk: entries `first` up to, not including, `end`; zero-padded so names sort in order. */
export function historyChunkName(job: Pick<Job, "key" | "diagnosticsPath">, first: number, end: number): string {
  return `${historyArchivePrefix(job)}${String(first).padStart(10, "0")}-${String(end).padStart(10, "0")}.json`;
}

/** Whether any blob was written for the job: most deleted or purged jobs have none to list. */
export function jobHasBlobs(job: Pick<Job, "drives" | "hasIncompleteBlobList" | "historyArchived">): boolean {
  return (
    !!job.hasIncompleteBlobList ||
    !!job.historyArchived ||
    job.drives.some((drive) => drive.blobs && Object.values(drive.blobs).some(Boolean))
  );
}

function diagnosticsSegments(path: string): string[] {
  return (path.endsWith("/") ? path.slice(0, -1) : path).split("/");
}

/**
 * The segments of a stored job's path. A job stored before paths were validated may hold one that
 * isn't acceptable: its blobs go under the default path instead, so they stay inside the container.
 * One stored before paths were measured in bytes keeps its path: its blobs are there.
 */
function storedDiagnosticsSegments(job: Pick<Job, "diagnosticsPath">): string[] {
  const path = job.diagnosticsPath;
  return path !== undefined && diagnosticsPathShapeProblem(path) === undefined ? diagnosticsSegments(path) : [DEFAULT_DIAGNOSTICS_PATH];
}

/** A value quoted in a message, with characters that can't be shown escaped. */
function printable(value: string): string {
  return JSON.stringify(value.slice(0, 80)).slice(1, -1);
}

/**
 * The most bytes a `diagnosticsPath` may take once lower-cased (without a trailing '/'): Azure's
 * limit less the longest name the service builds after the path, measured on the builders
 * themselves at the longest subscription, resource group, job name and drive id the API takes.
 */
export const MAX_DIAGNOSTICS_PATH_BYTES = BLOB_NAME_MAX_BYTES - longestNameAfterPath();

function longestNameAfterPath(): number {
  const job = { key: { subscriptionId: "s".repeat(NAME_LIMITS.subscriptionId), resourceGroup: "r".repeat(NAME_LIMITS.resourceGroup), name: "j".repeat(NAME_LIMITS.jobName) } };
  const driveId = "d".repeat(NAME_LIMITS.driveId);
  const lastSequence = 10 ** 10 - 1; // chunk names carry ten digits
  const names = [
    ...(Object.keys(DRIVE_BLOB_FILES) as DriveBlobKind[]).map((kind) => driveBlobName(job, driveId, kind)),
    incompleteBlobListName(job),
    historyChunkName(job, lastSequence, lastSequence),
  ];
  return Math.max(...names.map(utf8Bytes)) - utf8Bytes(DEFAULT_DIAGNOSTICS_PATH);
}
