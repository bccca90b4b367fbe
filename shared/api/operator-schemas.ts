/**
 * zod schemas of the operator API: one typed event per request (a discriminated union on `type`),
 * arrivals, and the queue queries.
 */
import { z } from "zod";
import { DRIVE_STATES } from "../domain/drive-state-machine";
import { JOB_STATES } from "../domain/job-state-machine";
import { ARRIVAL_STATUSES } from "../domain/arrival";
import { AGENT_ID, MAX_LEASE_MS, MIN_LEASE_MS } from "../domain/drive-claims";
import { parseIsoDuration } from "../domain/duration";
import { DriveDisposalEvent, MAX_REASON_CHARS, OperatorEvent } from "../domain/operator-events";
import { recoveryPasswordProblem } from "../drive/key-record";
import { jobParams, shipDate } from "./schemas";

const text = (max: number) => z.string().trim().min(1).max(max);
const driveId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '-' or '_'");
const logLines = z.array(z.string().max(8192)).max(1000);
const reason = text(MAX_REASON_CHARS);
const agentId = z.string().regex(AGENT_ID, "must be an agent id: '<station>/<run>', each 1-64 letters, digits, '.', '-' or '_'");
/** What a copy agent adds to its events on a drive (see `AgentEventFields`). */
const agentFields = {
  agentId: agentId.optional(),
  eventId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "must be 1-128 letters, digits, '.', ':', '-' or '_'").optional(),
};
/** What the copy agent's logs in the customer's account say (their names follow from the job). */
const copyLog = z.object({
  errorLog: z.boolean(),
  verboseLog: z.boolean(),
  blobsCopied: z.number().int().min(0),
  issuesByKind: z.record(z.string().regex(/^[A-Za-z]{1,64}$/), z.number().int().min(1)).refine((value) => Object.keys(value).length <= 50, "has too many kinds"),
});

/**
 * A carrier name or tracking number the desk reports: what identifies a package, so it must hold a
 * letter or a digit (spaces, dashes and invisible characters are set aside when reports are
 * compared; see `packageText`).
 */
const packageName = text(64).refine((value) => /[\p{L}\p{N}]/u.test(value.normalize("NFKC")), "must contain a letter or a digit");
const drivesReturned = z.object({ type: z.literal("DrivesReturned"), carrierName: text(64), trackingNumber: text(64), shipDate: shipDate.optional() });
const drivesDestroyed = z.object({ type: z.literal("DrivesDestroyed"), certificateReference: text(256) });

export const operatorEventBody = z.discriminatedUnion("type", [
  z.object({ type: z.literal("PackageReceived"), carrierName: packageName, trackingNumber: packageName, driveIds: z.array(driveId).min(1).max(50) }),
  z.object({ type: z.literal("DriveReceived"), driveId, carrierName: text(64).optional(), trackingNumber: text(64).optional() }),
  z.object({
    type: z.literal("TransferStarted"),
    driveId,
    totalBytes: z.number().int().min(1).optional(),
    manifest: z.string().max(1024 * 1024).optional(),
    exportStart: z.number().int().min(0).optional(),
    bitLockerKey: z.string().refine((value) => recoveryPasswordProblem(value) === undefined, "must be a 48-digit BitLocker recovery key").optional(),
    ...agentFields,
  }),
  z.object({
    type: z.literal("TransferProgress"),
    driveId,
    bytesSucceeded: z.number().int().min(0),
    totalBytes: z.number().int().min(1).optional(),
    percentComplete: z.number().int().min(0).max(100),
    copyStatus: text(256).optional(),
    errorLog: logLines.optional(),
    verboseLog: logLines.optional(),
    ...agentFields,
  }),
  z.object({
    type: z.literal("TransferFinished"),
    driveId,
    outcome: z.enum(["Completed", "CompletedMoreInfo"]),
    bytesSucceeded: z.number().int().min(0).optional(),
    copyStatus: text(256).optional(),
    errorLog: logLines.optional(),
    verboseLog: logLines.optional(),
    incompleteBlobs: z.array(z.string().min(1).max(1024)).max(100_000).optional(),
    copyLog: copyLog.optional(),
    exportNext: z.number().int().min(0).optional(),
    exportTooLarge: z.array(z.string().min(1).max(1024)).max(1000).optional(),
    incompleteBlobList: z.object({ blobs: z.number().int().min(0) }).optional(),
    ...agentFields,
  }),
  z.object({
    type: z.literal("ShippedBack"),
    carrierName: text(64),
    trackingNumber: text(64),
    driveCount: z.number().int().min(0).max(60),
    shipDate,
  }),
  z.object({ type: z.literal("ReturnAddressProblem"), reason }),
  z.object({ type: z.literal("FaultJob"), reason }),
  z.object({ type: z.literal("ClearJobFault"), returnTo: z.enum(JOB_STATES).optional(), reason }),
  z.object({ type: z.literal("FaultDrive"), driveId, reason, copyLog: copyLog.optional(), ...agentFields }),
  z.object({ type: z.literal("ClearDriveFault"), driveId, returnTo: z.enum(DRIVE_STATES).optional(), reason }),
  z.object({ type: z.literal("ExtendShippingWait"), days: z.number().int().min(1).max(90), reason: text(1024).optional() }),
  z.object({ type: z.literal("CloseUnresponsive"), reason }),
  drivesReturned,
  drivesDestroyed,
]) satisfies z.ZodType<OperatorEvent>;

/** What operators record about an unmatched arrival: how its drives left the data center. */
export const arrivalEventBody = z.discriminatedUnion("type", [drivesReturned, drivesDestroyed]) satisfies z.ZodType<DriveDisposalEvent>;

const top = z
  .string()
  .regex(/^\d{1,3}$/, "must be a whole number from 1 to 100")
  .transform(Number)
  .pipe(z.number().min(1, "must be a whole number from 1 to 100").max(100, "must be a whole number from 1 to 100"))
  .optional();

export const operatorJobsQuery = z.object({
  view: z.enum(["attention", "faulted", "overdue", "returnAddress"]).optional(),
  state: z
    .string()
    .transform((value) => value.split(",").map((part) => part.trim()))
    .pipe(z.array(z.enum(JOB_STATES)).max(8))
    .optional(),
  $top: top,
  $skiptoken: z.string().max(4096).optional(),
});

export const historyQuery = z.object({
  // Whole pages of the history as it stood before paging: the default reads up to 1000 entries.
  $top: z
    .string()
    .regex(/^\d{1,4}$/, "must be a whole number from 1 to 1000")
    .transform(Number)
    .pipe(z.number().min(1, "must be a whole number from 1 to 1000").max(1000, "must be a whole number from 1 to 1000"))
    .optional(),
  // The sequence number of the first entry of the page, as the previous page's nextLink gives it.
  $skiptoken: z.string().regex(/^\d{1,9}$/, "is not a $skiptoken this service issued; follow the nextLink as it is").transform(Number).optional(),
});

export const arrivalsQuery = z.object({
  status: z.enum(ARRIVAL_STATUSES).default("Unmatched"),
  $top: top,
  $skiptoken: z.string().max(4096).optional(),
});

export const arrivalBody = z.object({
  carrierName: packageName,
  trackingNumber: packageName,
  driveIds: z.array(driveId).min(1).max(50),
  // The names a job path takes: anything else cannot name a job (and is no table key).
  subscriptionId: jobParams.shape.subscriptionId.optional(),
  resourceGroupName: jobParams.shape.resourceGroupName.optional(),
  jobName: jobParams.shape.jobName.optional(),
});

export const attachArrivalParams = z.object({ arrivalId: z.string().regex(/^[0-9TZ]+-[0-9a-f]{8}$/, "is not an arrival id") });

export const attachArrivalBody = z.object({
  subscriptionId: jobParams.shape.subscriptionId,
  resourceGroupName: jobParams.shape.resourceGroupName,
  jobName: jobParams.shape.jobName,
});

export const driveParams = z.object({ driveId });

/** A copy agent's claim on a drive: who, for how long (ISO-8601, a second to a day), and a crashed run of its own it replaces. */
export const claimBody = z.object({
  agentId,
  leaseDuration: z
    .string()
    .refine((value) => {
      const ms = parseIsoDuration(value);
      return ms !== undefined && ms >= MIN_LEASE_MS && ms <= MAX_LEASE_MS;
    }, "must be an ISO-8601 duration from PT1S to P1D")
    .transform((value) => ({ text: value, ms: parseIsoDuration(value)! })),
  replaces: agentId.optional(),
});
