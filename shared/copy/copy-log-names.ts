/**
 * Where a drive's copy logs go in the customer's account, as the real service puts them: in the
 * container the job's `diagnosticsPath` names (default `waimportexport`), under the virtual directory
 * the rest of the path names, one error and one verbose log per drive. The names follow from the job
 * alone, so the agent and the service (signing Get Job's URLs) agree without passing names around,
 * and a rerun of the agent overwrites its own logs rather than adding more.
 */
import { DEFAULT_DIAGNOSTICS_PATH } from "../domain/log-blobs";

/** A drive's error and verbose logs; and an export's list of the blobs its drives could not hold (one per job). */
export type CopyLogKind = "error" | "verbose" | "incompleteBlobList";

export interface CopyLogLocation {
  container: string;
  blobName: string;
}

const CONTAINER = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
const SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;
const NAME_PART = /^[A-Za-z0-9_-]{1,64}$/;

/** The container and virtual directory of a `diagnosticsPath`; an unusable path falls back to the default. */
export function diagnosticsLocation(diagnosticsPath: string | undefined): { container: string; prefix: string } {
  const segments = (diagnosticsPath ?? DEFAULT_DIAGNOSTICS_PATH).split("/").filter(Boolean);
  const [container, ...rest] = segments;
  const usable = container !== undefined && CONTAINER.test(container.toLowerCase()) && rest.every((segment) => SEGMENT.test(segment) && segment !== "." && segment !== "..");
  if (!usable) return { container: DEFAULT_DIAGNOSTICS_PATH, prefix: "" };
  return { container: container.toLowerCase(), prefix: rest.map((segment) => `${segment}/`).join("") };
}

export function copyLogLocation(job: { key: { name: string }; diagnosticsPath?: string }, driveId: string, kind: CopyLogKind): CopyLogLocation {
  const { container, prefix } = diagnosticsLocation(job.diagnosticsPath);
  // Job names and drive ids are validated where they enter; checked again since they become a path.
  const jobPart = NAME_PART.test(job.key.name) ? job.key.name : encodeURIComponent(job.key.name);
  const drivePart = NAME_PART.test(driveId) ? driveId.toUpperCase() : encodeURIComponent(driveId.toUpperCase());
  if (kind === "incompleteBlobList") return { container, blobName: `${prefix}${jobPart}_incomplete-blobs.xml` };
  return { container, blobName: `${prefix}${jobPart}_${drivePart}_${kind}.xml` };
}
