/**
 * Drive errors, shared by the import and the export: a failure that stops the whole drive (the
 * account can't be reached, the key record doesn't open, the manifest doesn't match, or anything
 * the copy did not foresee) faults it with the documented drive status and a reason, for operators
 * to resolve, with the error log linked. A drive is never left `Received` or `Transferring` by a
 * failed agent while the service can be reached.
 */
import path from "node:path";
import { RestError } from "@azure/storage-blob";
import type { BlobServiceClient } from "@azure/storage-blob";
import { storageAccountName } from "../config/customer-accounts";
import { MAX_REASON_CHARS } from "../domain/operator-events";
import type { CustomerAccounts } from "../storage/customer-accounts";
import type { LogBlobStore } from "../storage/log-blobs.store";
import { CLAIM_LOST_CODES, claimDrive, ClaimOutcome, ClaimSettings, CopyHalted, holderOf } from "./agent-claim";
import { copyLogLocation, JobForNames } from "../formats/copy-log-names";
import { DriveStatus, writeDriveLog } from "../formats/copy-log";
import { JobRef, OperatorApiError, OperatorClient, OperatorJob, OperatorUnreachableError } from "./operator-client";
import type { Logger } from "../telemetry/log";


/** A drive error ended the copy: the drive is Faulted (`driveStatus` absent when the service stopped the copy). */
export interface FaultedResult {
  outcome: "Faulted";
  driveStatus?: DriveStatus;
  reason: string;
  durationMs: number;
}

/** Another agent holds the drive (or took it over mid-copy): this one wrote nothing, or stopped. */
export interface RefusedResult {
  outcome: "Refused";
  reason: string;
  claim?: { agentId: string; expiresAt: string };
  durationMs: number;
}

function refusedResult(outcome: Extract<ClaimOutcome, { claimed: false }>, durationMs: number): RefusedResult {
  const claim = outcome.holder && { agentId: outcome.holder.agentId, expiresAt: outcome.holder.expiresAt };
  return { outcome: "Refused", reason: outcome.reason, claim, durationMs };
}

/** What the names of a job's copy logs are made of, as the operator API gives the job. */
export function jobForNames(job: OperatorJob): JobForNames {
  return { key: { name: job.name }, diagnosticsPath: job.properties.diagnosticsPath, creationId: job.operator.creationId };
}

/**
 * The one start of a copy, import and export alike, in the order that keeps a refused agent from
 * touching anything: before anything is written anywhere (the drive, the account, the state folder)
 * the drive is claimed for this agent, or it stops here (`Refused`); before anything of the account
 * is touched, the service re-checks that the job's tenant still owns it, and a refusal faults the
 * drive with no log in that account and nothing written on the drive. Then `copy` runs with the claim
 * held; whatever stops it faults the drive with its error log (or the service said why not).
 */
export async function runClaimedCopy<R>(
  request: { job: JobRef; operator: OperatorClient; accounts: CustomerAccounts; claim: ClaimSettings; drivePath: string; log: Logger },
  job: OperatorJob,
  driveId: string,
  elapsed: () => number,
  copy: (client: BlobServiceClient, logs: LogBlobStore) => Promise<R>,
): Promise<R | FaultedResult | RefusedResult> {
  const claim = await claimDrive(request, driveId);
  if (!claim.claimed) return refusedResult(claim, elapsed());

  const accountName = storageAccountName(job.properties.storageAccountId);
  const client = accountName ? request.accounts.client(accountName) : undefined;
  const logs = accountName && client ? request.accounts.logStore(accountName, copyLogLocation(jobForNames(job), driveId, "error").container) : undefined;

  const refusal = await linkedAccessRefusal(request);
  if (refusal) return { ...(await endFailedCopy(request, job, driveId, refusal)), durationMs: elapsed() };
  try {
    if (!accountName || !client || !logs) {
      // The drive's reason reaches the customer; the accounts this data center reaches are others' names.
      throw new DriveError("BlobRequestForbidden", `Storage account '${accountName ?? job.properties.storageAccountId}' is not reachable from this data center.`);
    }
    return await copy(client, logs);
  } catch (error) {
    return { ...(await endFailedCopy(request, job, driveId, error, logs)), durationMs: elapsed() };
  }
}

/**
 * How a claimed copy that failed ends. The service refused it (the claim is gone: `Refused`; the drive
 * or the job was faulted: `Faulted` as it is): nothing more is posted. Any other failure faults the
 * drive with its error log. Only when the service cannot be reached, or refuses the fault, does the
 * failure itself go up (the agent exits 1; its claim expires).
 */
export async function endFailedCopy(
  request: { job: JobRef; operator: OperatorClient; drivePath: string; log: Logger },
  job: OperatorJob,
  driveId: string,
  error: unknown,
  logs?: LogBlobStore,
): Promise<Omit<FaultedResult, "durationMs"> | Omit<RefusedResult, "durationMs">> {
  const refusal = error instanceof CopyHalted ? error.refusal : error instanceof OperatorApiError && error.status === 409 ? error : undefined;
  if (refusal && CLAIM_LOST_CODES.includes(refusal.code)) {
    const holder = await holderOf(request, driveId).catch((lookup: unknown) => {
      // The refusal stands without the holder's name: said, not fatal.
      request.log.warn(`Could not read who holds drive ${driveId}`, { driveId, error: lookup });
      return undefined;
    });
    return { outcome: "Refused", reason: refusal.message, claim: holder && { agentId: holder.agentId, expiresAt: holder.expiresAt } };
  }
  if (refusal) return { outcome: "Faulted", reason: `The service stopped the copy: ${refusal.message}` };
  if (error instanceof OperatorUnreachableError) throw error;
  const driveError = unforeseenDriveError(error, request.drivePath);
  request.log.error(`Drive '${driveId}' is faulted: ${driveError.driveStatus}`, { driveId, driveStatus: driveError.driveStatus, error });
  try {
    await faultDrive(request, job, driveId, driveError, logs);
  } catch (faultError) {
    // The fault did not go through either: the failure that stopped the copy is the one to report
    // (thrown on), this one is logged.
    request.log.error(`Faulting drive '${driveId}' failed too`, { driveId, error: faultError });
    throw error;
  }
  return { outcome: "Faulted", driveStatus: driveError.driveStatus, reason: driveError.message };
}

/** A drive error: the drive is faulted with this status and reason. */
export class DriveError extends Error {
  constructor(
    readonly driveStatus: DriveStatus,
    message: string,
  ) {
    super(message);
  }
}

/** File-system failures on the drive or the agent's own disk: the documented status for a disk that failed an operation. */
const DISK_ERRORS = new Set(["EISDIR", "ENOTDIR", "EEXIST", "ENOTEMPTY", "EACCES", "EPERM", "ENOSPC", "EIO", "EROFS", "ELOOP", "EMFILE", "ENAMETOOLONG"]);

/**
 * A failure the copy did not foresee, as a drive error, so the drive is faulted with it rather than
 * left as it was: a file-system failure is `DiskOperationFailed`, anything else `InternalError`. The
 * reason names what failed, never a path outside the drive (the data center's own folders).
 */
function unforeseenDriveError(error: unknown, drivePath: string): DriveError {
  if (error instanceof DriveError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === "string" && DISK_ERRORS.has(code)) {
    const { syscall, path: file } = error as NodeJS.ErrnoException;
    const relative = file ? path.relative(drivePath, file) : undefined;
    const where = relative !== undefined && relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? ` of '${relative}' on the drive` : "";
    return new DriveError("DiskOperationFailed", `The copy stopped: ${code}${syscall ? ` (${syscall})` : ""}${where}.`);
  }
  return new DriveError("InternalError", `The copy stopped on a failure the agent did not foresee: ${describeError(error)}.`);
}

/**
 * Leaves the error log the real service leaves (the drive's status, no blobs, and the whole reason)
 * where the account can be reached, and faults the drive through the operator API, naming the log
 * when it was written. The reason is cut to what the API takes.
 */
export async function faultDrive(request: { job: JobRef; operator: OperatorClient }, job: OperatorJob, driveId: string, error: DriveError, logs?: LogBlobStore): Promise<void> {
  const reason = `${error.driveStatus}: ${error.message}`;
  let logged = false;
  if (logs) {
    const log = writeDriveLog({ driveId, blobs: [], status: error.driveStatus, description: xmlSafe(reason) });
    const name = copyLogLocation(jobForNames(job), driveId, "error").blobName;
    logged = await logs.put(name, log, "application/xml").then(
      () => true,
      () => false,
    );
  }
  await request.operator.event(request.job, {
    type: "FaultDrive",
    driveId,
    reason: cut(reason, MAX_REASON_CHARS),
    copyLog: logged ? { errorLog: true, verboseLog: false, blobsCopied: 0, issuesByKind: {} } : undefined,
  });
}

/**
 * The service's re-check that the job's tenant owns the job's account, asked before the agent
 * touches the account: a refusal is a drive error (the drive is faulted with no log in that account).
 */
async function linkedAccessRefusal(request: { job: JobRef; operator: OperatorClient }): Promise<DriveError | undefined> {
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

/** At most `max` UTF-16 units (what the API counts), whole characters, ending in '…' when cut. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = "";
  for (const character of text) {
    if (kept.length + character.length > max - 1) break;
    kept += character;
  }
  return `${kept}…`;
}

/** Characters XML cannot carry (a reason may quote a stranger's file name) become U+FFFD. */
function xmlSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- the characters XML 1.0 excludes are the point
  return text.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}
