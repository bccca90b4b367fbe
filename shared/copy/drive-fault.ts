/**
 * Drive errors, shared by the import and the export: a failure that stops the whole drive (the
 * account can't be reached, the key record doesn't open, the manifest doesn't match) faults it with
 * the documented drive status and a reason, for operators to resolve.
 */
import { RestError } from "@azure/storage-blob";
import type { LogBlobStore } from "../storage/log-blobs.store";
import { copyLogLocation } from "./copy-log-names";
import { DriveStatus, writeDriveLog } from "./copy-log";
import type { JobRef, OperatorClient, OperatorJob } from "./operator-client";

/** A drive error: the drive is faulted with this status and reason. */
export class DriveError extends Error {
  constructor(
    readonly driveStatus: DriveStatus,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Leaves the error log the real service leaves (the drive's status, no blobs) where the account can
 * be reached, and faults the drive through the operator API, naming the log when it was written.
 */
export async function faultDrive(request: { job: JobRef; operator: OperatorClient }, job: OperatorJob, driveId: string, error: DriveError, logs?: LogBlobStore): Promise<void> {
  let logged = false;
  if (logs) {
    const log = writeDriveLog({ driveId, blobs: [], status: error.driveStatus });
    const name = copyLogLocation({ key: { name: job.name }, diagnosticsPath: job.properties.diagnosticsPath }, driveId, "error").blobName;
    logged = await logs.put(name, log, "application/xml").then(
      () => true,
      () => false,
    );
  }
  await request.operator.event(request.job, {
    type: "FaultDrive",
    driveId,
    reason: `${error.driveStatus}: ${error.message}`,
    copyLog: logged ? { errorLog: true, verboseLog: false, blobsCopied: 0, issuesByKind: {} } : undefined,
  });
}

/**
 * The service's re-check that the job's tenant owns the job's account, asked before the agent
 * touches the account: a refusal is a drive error (the drive is faulted with no log in that account).
 */
export async function linkedAccessRefusal(request: { job: JobRef; operator: OperatorClient }): Promise<DriveError | undefined> {
  const access = await request.operator.linkedAccess(request.job);
  if (access.granted) return undefined;
  return new DriveError(
    "LinkedAuthorizationFailed",
    `The job's tenant is not shown to own storage account '${access.storageAccountId.slice(0, 300)}' (${access.reason ?? "refused"}): nothing was read from or written to it.`,
  );
}

/** A storage failure in a few words, for a log entry or a drive's reason. */
export function describeError(error: unknown): string {
  if (error instanceof RestError) return `${error.statusCode ?? ""} ${error.code ?? error.message}`.trim();
  return error instanceof Error ? error.message : String(error);
}
