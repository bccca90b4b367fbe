/**
 * The names of a copy's run state, each one job's own:
 *
 * - Where a drive's copy logs go in the customer's account, as the real service puts them: in the
 *   container the job's `diagnosticsPath` names (default `waimportexport`), under the virtual
 *   directory the rest of the path names, one error and one verbose log per drive, named as
 *   Microsoft's diagnostics page names them, `jobname_driveid_timestamp_logtype.xml`, the timestamp
 *   being the job's creation id (its creation time and 64 random bits). So one job name in two
 *   resource groups, or a job deleted and created again, never shares a log blob or an
 *   incomplete-blob list with another. The names follow from the job alone, so the agent and the
 *   service (signing Get Job's URLs) agree without passing names around, and a rerun of the agent
 *   overwrites its own logs rather than adding more.
 * - Where the agent keeps a drive's resume journal and export plan on its own machine: a file name
 *   made from the whole job key (subscription, resource group, name, creation id) and the drive.
 *
 * Names are one-to-one: the creation id and the log type hold no '_', so a log name splits from the
 * right one way only, and two jobs have two creation ids. Jobs stored before creation ids existed
 * keep the names they had (`jobname_driveid_logtype.xml`), so the links of logs already written hold.
 */
import { createHash } from "node:crypto";
import { DEFAULT_DIAGNOSTICS_PATH } from "../domain/log-blobs";

/** A drive's error and verbose logs; and an export's list of the blobs its drives could not hold (one per job). */
export type CopyLogKind = "error" | "verbose" | "incompleteBlobList";

export interface CopyLogLocation {
  container: string;
  blobName: string;
}

/** What the names are made of: the job's key, its `diagnosticsPath` and its creation id. */
export interface JobForNames {
  key: { name: string };
  diagnosticsPath?: string;
  creationId?: string;
}

const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;
const NAME_PART = /^[A-Za-z0-9_-]{1,64}$/;
/** `newCreationId` in domain/job.ts: the creation time, then 16 hex digits. */
const CREATION_ID = /^\d{8}T\d{9}Z-[0-9a-f]{16}$/;

/**
 * The most characters a log name takes after the `diagnosticsPath`'s virtual directory: a 64-character
 * job name and drive id, the creation id, the longest log type. With Azure's 1,024-character limit on
 * a blob name, the virtual directory may take up to 1,024 - 178 = 846 characters.
 */
export const MAX_COPY_LOG_NAME_CHARS = 64 + 1 + 64 + 1 + 36 + 1 + "verbose.xml".length;

/** The container and virtual directory of a `diagnosticsPath`; an unusable path falls back to the default. */
export function diagnosticsLocation(diagnosticsPath: string | undefined): { container: string; prefix: string } {
  const segments = (diagnosticsPath ?? DEFAULT_DIAGNOSTICS_PATH).split("/").filter(Boolean);
  const [container, ...rest] = segments;
  const usable = container !== undefined && CONTAINER.test(container.toLowerCase()) && rest.every((segment) => SEGMENT.test(segment) && segment !== "." && segment !== "..");
  if (!usable) return { container: DEFAULT_DIAGNOSTICS_PATH, prefix: "" };
  return { container: container.toLowerCase(), prefix: rest.map((segment) => `${segment}/`).join("") };
}

export function copyLogLocation(job: JobForNames, driveId: string, kind: CopyLogKind): CopyLogLocation {
  const { container, prefix } = diagnosticsLocation(job.diagnosticsPath);
  // Job names and drive ids are validated where they enter; checked again since they become a path.
  const jobPart = NAME_PART.test(job.key.name) ? job.key.name : encodeURIComponent(job.key.name);
  const drivePart = NAME_PART.test(driveId) ? driveId.toUpperCase() : encodeURIComponent(driveId.toUpperCase());
  const stamp = job.creationId !== undefined && CREATION_ID.test(job.creationId) ? `_${job.creationId}` : "";
  if (kind === "incompleteBlobList") return { container, blobName: `${prefix}${jobPart}${stamp}_incomplete-blobs.xml` };
  return { container, blobName: `${prefix}${jobPart}_${drivePart}${stamp}_${kind}.xml` };
}

/**
 * The base name of a drive's resume journal and export plan on the agent's machine: readable (the job
 * name and the drive), and one job's own by a hash of the whole key (ARM names compare without case).
 * At most 64 + 1 + 64 + 1 + 32 characters, all ASCII: with `.plan.json` well inside a file name's 255 bytes.
 */
export function runStateName(job: { subscriptionId: string; resourceGroup: string; name: string; creationId?: string }, driveId: string): string {
  const drive = driveId.toUpperCase();
  const key = JSON.stringify([job.subscriptionId.toLowerCase(), job.resourceGroup.toLowerCase(), job.name.toLowerCase(), job.creationId ?? null, drive]);
  const readable = [job.name, drive].map((part) => (NAME_PART.test(part) ? part : "x")).join("_");
  return `${readable}_${createHash("sha256").update(key).digest("hex").slice(0, 32)}`.toLowerCase();
}
