/**
 * Where a job's blobs live. Under the job's `diagnosticsPath` (default `waimportexport`), then the
 * subscription, resource group and job (lower case, as ARM names are case-insensitive), so jobs and
 * drives never collide across subscriptions and resource groups.
 */
import type { Job } from "./job";

export const DEFAULT_DIAGNOSTICS_PATH = "waimportexport";

export type DriveBlobKind = "errorLog" | "verboseLog" | "manifest";

const DRIVE_BLOB_FILES: Record<DriveBlobKind, string> = {
  errorLog: "error.log",
  verboseLog: "verbose.log",
  manifest: "manifest.xml",
};

export function jobBlobPrefix(job: Pick<Job, "key" | "diagnosticsPath">): string {
  const { subscriptionId, resourceGroup, name } = job.key;
  return `${job.diagnosticsPath ?? DEFAULT_DIAGNOSTICS_PATH}/${subscriptionId}/${resourceGroup}/${name}/`.toLowerCase();
}

export function driveBlobName(job: Pick<Job, "key" | "diagnosticsPath">, driveId: string, kind: DriveBlobKind): string {
  return `${jobBlobPrefix(job)}drives/${driveId.toUpperCase()}/${DRIVE_BLOB_FILES[kind]}`;
}

export function incompleteBlobListName(job: Pick<Job, "key" | "diagnosticsPath">): string {
  return `${jobBlobPrefix(job)}incomplete-blobs.txt`;
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
