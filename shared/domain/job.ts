/**
 * The job entity and its customer-facing operations. Jobs are plain values: every operation takes a
 * job and returns a new one, or throws a `ServiceError`. States change only through the transition
 * tables in `job-state-machine.ts` and `drive-state-machine.ts`; which fields may change in which
 * state is decided here, in `UPDATABLE_IN`, so handlers never hold a business rule.
 */
import { randomBytes } from "node:crypto";
import type { OutboxNotice } from "./deadlines";
import type { DriveClaim } from "./drive-claims";
import { addMs, describeDuration } from "./duration";
import { ErrorFactory } from "./errors";
import { DriveState, DriveTransition, FINISHED_DRIVE_STATES, transitionDrive } from "./drive-state-machine";
import { JOB_STATES, JobState, JobTransition, transitionJob } from "./job-state-machine";
import { diagnosticsPathProblem } from "./log-blobs";

export type JobType = "Import" | "Export";
export type LogLevel = "Error" | "Verbose";

export interface JobKey {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export interface Actor {
  id: string;
  type: "User" | "Application" | "ManagedIdentity" | "Key";
  /** Who acted, for the history: the customer (default), a data-center operator, or a timer. */
  role?: "customer" | "operator" | "timer";
}

export interface ReturnAddress {
  recipientName: string;
  streetAddress1: string;
  streetAddress2?: string;
  city: string;
  stateOrProvince?: string;
  postalCode: string;
  countryOrRegion: string;
  phone: string;
  email: string;
}

export interface ReturnShipping {
  carrierName: string;
  carrierAccountNumber: string;
}

export interface ShippingInformation {
  recipientName?: string;
  streetAddress1?: string;
  streetAddress2?: string;
  city?: string;
  stateOrProvince?: string;
  postalCode?: string;
  countryOrRegion?: string;
  phone?: string;
  additionalInformation?: string;
}

export interface DeliveryPackage {
  carrierName: string;
  trackingNumber: string;
  driveCount?: number;
  shipDate?: string;
}

export interface ReturnPackage {
  carrierName: string;
  trackingNumber: string;
  driveCount: number;
  shipDate: string;
}

export interface ExportSpec {
  blobListBlobPath?: string;
  blobPath?: string[];
  blobPathPrefix?: string[];
}

export interface EncryptionKey {
  kekType: "MicrosoftManaged" | "CustomerManaged";
  kekUrl?: string;
  kekVaultResourceID?: string;
}

/** What a customer says about a drive when creating or updating an import job. */
export interface DriveSpec {
  driveId: string;
  bitLockerKey: string;
  manifestFile: string;
  manifestHash: string;
  driveHeaderHash?: string;
}

/**
 * A drive as a request names it. The key may be left out for a drive the job already has (clients
 * read jobs without keys and send them back); the stored key is kept.
 */
export type DriveInput = Omit<DriveSpec, "bitLockerKey"> & { bitLockerKey?: string };

export interface Drive extends Partial<DriveSpec> {
  driveId: string;
  state: DriveState;
  stateBeforeFault?: DriveState;
  copyStatus?: string;
  percentComplete: number;
  bytesSucceeded?: number;
  /** The drive's size, when the data center knows it: progress is then weighted by bytes. */
  totalBytes?: number;
  /** Not copied because the job was cancelled; the drive goes back as it came. */
  skipped?: boolean;
  /** Which of the drive's blobs exist (their names follow from the job, see `log-blobs.ts`). */
  blobs?: { errorLog?: boolean; verboseLog?: boolean; manifest?: boolean };
  /**
   * The copy agent's logs, in the customer's account (names from `copy-log-names.ts`), and what they
   * say; for a drive the agent copied these are the logs Get Job links.
   */
  copyLog?: DriveCopyLog;
  /** An export drive: where in the job's blob list it started, and where the next drive carries on. */
  exportRange?: ExportRange;
  /** The copy agent that holds the drive (see `drive-claims.ts`); never shown to the customer. */
  claim?: DriveClaim;
}

export interface ExportRange {
  /** Index of the drive's first blob in the job's resolved blob list. */
  start: number;
  /** Index where the next drive carries on; set when the drive finished. */
  next?: number;
  /** Blobs passed over because no drive of this size could hold them. */
  tooLarge?: string[];
}

export interface DriveCopyLog {
  errorLog: boolean;
  verboseLog: boolean;
  blobsCopied: number;
  /** Blobs with an error or a warning, by the log's status code that explains each. */
  issuesByKind: Record<string, number>;
}

/** A drive that came in a job's package but is not one of the job's drives: never processed. */
export interface ExtraDrive {
  driveId: string;
  trackingNumber: string;
  arrivedAt: string;
  returnedAt?: string;
  destroyedAt?: string;
}

/**
 * What became of the drives of a job closed while they were still at the data center (its return
 * address was never corrected): sent back after all, or destroyed securely.
 */
export type DriveDisposal =
  | { kind: "Returned"; carrierName: string; trackingNumber: string; at: string; by: string }
  | { kind: "Destroyed"; certificateReference: string; at: string; by: string };

/** One change of state of the job (no `driveId`) or of one of its drives, by whom and why. */
export interface StateChange {
  at: string;
  driveId?: string;
  from: string | null;
  to: string;
  by: string;
  role: "customer" | "operator" | "timer";
  reason: string;
}

export interface Job {
  key: JobKey;
  /**
   * Set once at creation, never changed: a job deleted and created again under the same name gets a
   * new one, so the names of its run state and copy logs (see `copy-log-names.ts`) are its own.
   * Absent on jobs stored before it existed.
   */
  creationId?: string;
  location: string;
  tags: Record<string, string>;
  jobType: JobType;
  storageAccountId: string;
  returnAddress?: ReturnAddress;
  returnShipping?: ReturnShipping;
  shippingInformation?: ShippingInformation;
  deliveryPackage?: DeliveryPackage;
  returnPackage?: ReturnPackage;
  diagnosticsPath?: string;
  logLevel: LogLevel;
  backupDriveManifest: boolean;
  state: JobState;
  stateBeforeFault?: JobState;
  stateChangedAt: string;
  cancelRequested: boolean;
  /** An export job whose drives could not hold every blob: the list of the rest is a blob. */
  hasIncompleteBlobList?: boolean;
  /**
   * An export whose drives could not hold every blob: the copy agent wrote the documented blob list
   * of the rest to the customer's account (its name from `copy-log-names.ts`), for a follow-up job.
   */
  exportIncomplete?: { blobs: number };
  drives: Drive[];
  extraDrives?: ExtraDrive[];
  /** The package the data center received (a repeat report of it is refused, not re-recorded). */
  receivedPackage?: { carrierName: string; trackingNumber: string; receivedAt: string };
  /** Set by an operator in Transferring/Packaging; cleared when the customer corrects the address. */
  returnAddressProblem?: { reason: string; reportedAt: string };
  /** Any fault on the way means the job ends Closed rather than Completed. */
  hadFault?: boolean;
  driveDisposal?: DriveDisposal;
  export?: ExportSpec;
  encryptionKey: EncryptionKey;
  /**
   * The tenant that created the job (the caller's `tid`): a record only. Whose the job is now is its
   * subscription's registration's to say (a subscription moves between tenants with its jobs).
   */
  tenantId?: string;
  createdAt: string;
  createdBy: Actor;
  lastModifiedAt: string;
  lastModifiedBy: Actor;
  /** While `Creating`: when the job is deleted unless it is updated or shipped first. */
  creatingExpiresAt?: string;
  /** While `Shipping`: when operators are told the package is overdue (moved by an extension). */
  shippingDueAt?: string;
  /** When operators were told the package is overdue; an extension clears it (and the pending close). */
  shippingOverdueNotifiedAt?: string;
  /** Notices the maintenance sweep decided on and has not yet sent (see `deadlines.ts`). */
  outbox?: OutboxNotice[];
  /** The most recent state changes (see `history.ts` for the bound); older ones are archived. */
  history: StateChange[];
  /** How many older entries were moved to the history archive: the sequence number of `history[0]`. */
  historyArchived?: number;
  /** The ids of the latest agent events applied (see `operator-events.ts`): one sent again is not applied twice. */
  appliedEventIds?: string[];
}

/** The customer's definition of a job, as given to Create (and to Create on an existing job). */
export interface JobDefinition {
  location: string;
  tags?: Record<string, string>;
  jobType: JobType;
  storageAccountId: string;
  returnAddress?: ReturnAddress;
  returnShipping?: ReturnShipping;
  deliveryPackage?: DeliveryPackage;
  diagnosticsPath?: string;
  logLevel?: LogLevel;
  backupDriveManifest?: boolean;
  driveList?: DriveInput[];
  export?: ExportSpec;
  encryptionKey?: EncryptionKey;
}

/** What Update (PATCH) may carry. `state` is only ever `Shipping`; empty means no change. */
export interface JobUpdate {
  tags?: Record<string, string>;
  /** Not in the 2021-01-01 Update body; taken, as ARM takes a linked property, and changed only while Creating as by Create. */
  storageAccountId?: string;
  cancelRequested?: boolean;
  state?: "Shipping";
  returnAddress?: ReturnAddress;
  returnShipping?: ReturnShipping;
  deliveryPackage?: DeliveryPackage;
  logLevel?: LogLevel;
  backupDriveManifest?: boolean;
  driveList?: DriveInput[];
}

export interface JobRules {
  /** How long a job may stay `Creating` after its creation or last update. */
  creatingLifetimeMs: number;
  /** How long a `Shipping` job waits for its package before operators are told. */
  shippingWaitMs: number;
  /** How long a `Completed` or `Closed` job is kept before it is purged. */
  finishedRetentionMs: number;
}

export interface OperationContext {
  now: Date;
  actor: Actor;
  rules: JobRules;
}

export const MAX_DRIVES_PER_JOB = 10;

const ALL_STATES = JOB_STATES;
const BEFORE_RETURN: readonly JobState[] = ["Creating", "Shipping", "Received", "Transferring", "Packaging", "Faulted"];
const BEFORE_ARRIVAL: readonly JobState[] = ["Creating", "Shipping"];
const WHILE_CREATING: readonly JobState[] = ["Creating"];

/** Which field may change in which state. A field sent with its current value is never a change. */
export const UPDATABLE_IN = {
  tags: ALL_STATES,
  // The return address may be corrected until the drives are packed to go back.
  returnAddress: BEFORE_RETURN,
  returnShipping: BEFORE_RETURN,
  deliveryPackage: BEFORE_ARRIVAL,
  logLevel: BEFORE_ARRIVAL,
  backupDriveManifest: BEFORE_ARRIVAL,
  driveList: WHILE_CREATING,
  storageAccountId: WHILE_CREATING,
  diagnosticsPath: WHILE_CREATING,
  export: WHILE_CREATING,
  encryptionKey: WHILE_CREATING,
} as const satisfies Record<string, readonly JobState[]>;
type UpdatableField = keyof typeof UPDATABLE_IN;

/** Cancellation is accepted until the drives are being packed to go back. */
export const CANCELLABLE_STATES: readonly JobState[] = ["Creating", "Shipping", "Received", "Transferring"];
/** A customer may delete a job only before anything shipped, or once it is over and all went well. */
export const DELETABLE_STATES: readonly JobState[] = ["Creating", "Completed"];

export function createJob(key: JobKey, definition: JobDefinition, shippingInformation: ShippingInformation, context: OperationContext): Job {
  const { now, actor, rules } = context;
  validateDefinition(definition);
  const at = now.toISOString();
  return {
    key,
    creationId: newCreationId(now),
    location: definition.location,
    tags: definition.tags ?? {},
    jobType: definition.jobType,
    storageAccountId: definition.storageAccountId,
    returnAddress: definition.returnAddress,
    returnShipping: definition.returnShipping,
    shippingInformation,
    deliveryPackage: definition.deliveryPackage,
    diagnosticsPath: definition.diagnosticsPath,
    logLevel: definition.logLevel ?? "Error",
    backupDriveManifest: definition.backupDriveManifest ?? false,
    state: "Creating",
    stateChangedAt: at,
    cancelRequested: false,
    drives: specifiedDrives(withKnownKeys(definition.driveList ?? [], [])),
    export: definition.export,
    encryptionKey: definition.encryptionKey ?? { kekType: "MicrosoftManaged" },
    createdAt: at,
    createdBy: actor,
    lastModifiedAt: at,
    lastModifiedBy: actor,
    creatingExpiresAt: addMs(now, rules.creatingLifetimeMs),
    history: [{ at, from: null, to: "Creating", by: actor.id, role: actor.role ?? "customer", reason: "Job created" }],
  };
}

/**
 * A job's creation id: its creation time (so the names made from it sort and read by date, as
 * Microsoft's `jobname_driveid_timestamp_logtype.xml` do) and 64 random bits, so two jobs created in
 * the same millisecond still differ. No '_', so a name built around it splits one way only.
 */
export function newCreationId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, "")}-${randomBytes(8).toString("hex")}`;
}

/**
 * Create on an existing job (ARM create-or-update): the type and location are fixed for the life of
 * the job; every other field follows the same state rules as Update.
 */
export function redefineJob(job: Job, definition: JobDefinition, context: OperationContext): Job {
  if (definition.jobType !== job.jobType) {
    throw ErrorFactory.badRequest(
      "PropertyChangeNotAllowed",
      `The job type of '${job.key.name}' is '${job.jobType}' and cannot be changed. Create a new job instead.`,
      "properties.jobType",
    );
  }
  if (normalizeLocation(definition.location) !== normalizeLocation(job.location)) {
    throw ErrorFactory.badRequest(
      "PropertyChangeNotAllowed",
      `The location of '${job.key.name}' is '${job.location}' and cannot be changed. Create a new job instead.`,
      "location",
    );
  }
  validateDefinition(definition);
  let next = { ...job };
  next = applyField(next, "tags", definition.tags ?? {});
  next = applyField(next, "storageAccountId", definition.storageAccountId);
  next = applyField(next, "diagnosticsPath", definition.diagnosticsPath);
  next = applyField(next, "export", definition.export);
  next = applyField(next, "encryptionKey", definition.encryptionKey ?? { kekType: "MicrosoftManaged" });
  if (definition.returnAddress !== undefined) next = applyField(next, "returnAddress", definition.returnAddress);
  if (definition.returnShipping !== undefined) next = applyField(next, "returnShipping", definition.returnShipping);
  if (definition.deliveryPackage !== undefined) next = applyField(next, "deliveryPackage", definition.deliveryPackage);
  if (definition.logLevel !== undefined) next = applyField(next, "logLevel", definition.logLevel);
  if (definition.backupDriveManifest !== undefined) next = applyField(next, "backupDriveManifest", definition.backupDriveManifest);
  if (definition.driveList !== undefined) next = applyDriveList(next, definition.driveList);
  if (next.returnAddressProblem && next.returnAddress !== job.returnAddress) next = { ...next, returnAddressProblem: undefined };
  return touch(next, context);
}

export function updateJob(job: Job, update: JobUpdate, context: OperationContext): Job {
  if (update.cancelRequested && update.state === "Shipping") {
    throw ErrorFactory.badRequest(
      "ConflictingUpdate",
      "A request cannot both cancel the job and mark it 'Shipping'. Send one or the other.",
      "properties.state",
    );
  }
  let next = { ...job };
  if (update.tags !== undefined) next = applyField(next, "tags", update.tags);
  if (update.storageAccountId !== undefined) next = applyField(next, "storageAccountId", update.storageAccountId);
  if (update.returnAddress !== undefined) next = applyField(next, "returnAddress", update.returnAddress);
  if (update.returnShipping !== undefined) next = applyField(next, "returnShipping", update.returnShipping);
  if (update.deliveryPackage !== undefined) next = applyField(next, "deliveryPackage", update.deliveryPackage);
  if (update.logLevel !== undefined) next = applyField(next, "logLevel", update.logLevel);
  if (update.backupDriveManifest !== undefined) next = applyField(next, "backupDriveManifest", update.backupDriveManifest);
  if (update.driveList !== undefined) {
    if (job.jobType === "Export") {
      throw ErrorFactory.badRequest("DriveListNotAllowed", "An export job's drives are added by the data center when they arrive; it takes no drive list.", "properties.driveList");
    }
    validateDriveSpecs(update.driveList);
    next = applyDriveList(next, update.driveList);
  }
  if (update.cancelRequested === false && job.cancelRequested) {
    throw ErrorFactory.conflict("CancellationCannotBeWithdrawn", "The job's cancellation was already requested and cannot be withdrawn.", "properties.cancelRequested");
  }
  if (update.cancelRequested === true) next = advanceToPackaging(requestCancellation(next, context), context);
  if (next.returnAddressProblem && next.returnAddress !== job.returnAddress) next = { ...next, returnAddressProblem: undefined };
  if (update.state === "Shipping" && next.state !== "Shipping") next = markShipping(next, context);
  return touch(next, context);
}

export function markShipping(job: Job, context: OperationContext): Job {
  const missing = [
    job.deliveryPackage ? undefined : "a delivery package (properties.deliveryPackage)",
    job.returnAddress ? undefined : "a return address (properties.returnAddress)",
  ].filter((item): item is string => item !== undefined);
  if (job.state === "Creating" && missing.length > 0) {
    throw ErrorFactory.badRequest(
      "ShippingInformationMissing",
      `The job cannot be marked 'Shipping' without ${missing.join(" and ")}. Send them in this request or an earlier one.`,
      "properties.state",
    );
  }
  return transition(job, "markShipping", context, "Customer marked the package as shipped");
}

/**
 * Best effort, as the service documents it: before anything shipped the job is simply over; after
 * that the flag tells the data center to skip the copy for drives that have not started.
 */
export function requestCancellation(job: Job, context: OperationContext): Job {
  if (job.cancelRequested) return job;
  if (job.state === "Faulted") {
    throw ErrorFactory.conflict(
      "JobFaulted",
      "The job is 'Faulted' and cannot be cancelled until an operator clears the fault. Contact support, or retry once the job has resumed.",
      "properties.cancelRequested",
    );
  }
  if (!CANCELLABLE_STATES.includes(job.state)) {
    throw ErrorFactory.conflict(
      "CancellationNotAllowed",
      `A job in state '${job.state}' can no longer be cancelled; cancellation is accepted in ${CANCELLABLE_STATES.join(", ")}.`,
      "properties.cancelRequested",
    );
  }
  const cancelled = { ...job, cancelRequested: true };
  if (job.state === "Creating") return transition(cancelled, "cancelBeforeShipping", context, "Cancelled before shipping");
  return cancelled;
}

/**
 * What the customer may do with a job now, from the same rules Update and Delete apply, so a page
 * offers exactly what the API would accept (the API still decides).
 */
export function customerActions(job: Pick<Job, "state" | "cancelRequested">) {
  return {
    markShipping: job.state === "Creating" && !job.cancelRequested,
    changeDeliveryPackage: UPDATABLE_IN.deliveryPackage.includes(job.state),
    changeReturnAddress: UPDATABLE_IN.returnAddress.includes(job.state),
    cancel: CANCELLABLE_STATES.includes(job.state) && !job.cancelRequested,
    delete: DELETABLE_STATES.includes(job.state),
  };
}

/** Throws a 409 saying when the job can be deleted, unless it can be deleted now. */
export function assertDeletable(job: Job, rules: JobRules): void {
  if (DELETABLE_STATES.includes(job.state)) return;
  const purgeAt = addMs(job.stateChangedAt, rules.finishedRetentionMs);
  const when: Record<JobState, string> = {
    Creating: "",
    Completed: "",
    Shipping: "It can be deleted once it is 'Completed'; while its drives are in transit or at the data center it stays. Cancel it to have the drives returned without copying.",
    Received: "It can be deleted once it is 'Completed'. Cancel it to skip the data copy and have the drives returned sooner.",
    Transferring: "It can be deleted once it is 'Completed'. Cancel it to stop the copy of drives that have not started.",
    Packaging: "It can be deleted once it is 'Completed', after the drives are shipped back.",
    Closed: `A 'Closed' job cannot be deleted by a customer: the service purges it ${describeDuration(rules.finishedRetentionMs)} after it closed (at ${purgeAt}).`,
    Faulted: "It can be deleted only after an operator clears the fault and the job reaches 'Completed'.",
  };
  throw ErrorFactory.conflict("JobNotDeletable", `The job is '${job.state}' and cannot be deleted now. ${when[job.state]}`);
}

/**
 * A job moves to Packaging by itself once no drive has work left: each is finished, never arrived,
 * or was skipped because the job was cancelled (received but not started).
 */
export function advanceToPackaging(job: Job, context: OperationContext): Job {
  if (job.state !== "Received" && job.state !== "Transferring") return job;
  let next = job;
  if (job.cancelRequested) {
    next = { ...next, drives: next.drives.map((drive) => (drive.state === "Received" && !drive.skipped ? { ...drive, skipped: true } : drive)) };
  }
  const workLeft = next.drives.some(driveNeedsWork);
  if (workLeft) return next;
  return transition(next, "beginPackaging", context, job.cancelRequested ? "Cancelled: remaining drives skipped" : "Every drive is finished");
}

/** Whether a drive still has work before the job can be packaged: not finished, not skipped. */
export function driveNeedsWork(drive: Drive): boolean {
  return !FINISHED_DRIVE_STATES.includes(drive.state) && !(drive.state === "Received" && drive.skipped);
}

export function normalizeLocation(location: string): string {
  return location.replace(/\s+/g, "").toLowerCase();
}

/** Moves the job through its state machine and records the change; the one way a job's state changes. */
export function transition(job: Job, name: JobTransition, context: OperationContext, reason: string, returnTo?: JobState): Job {
  const to = transitionJob(job.state, name, job.stateBeforeFault, returnTo);
  const at = context.now.toISOString();
  return {
    ...job,
    state: to,
    stateBeforeFault: to === "Faulted" ? job.state : undefined,
    stateChangedAt: at,
    creatingExpiresAt: to === "Creating" ? job.creatingExpiresAt : undefined,
    // Entering Shipping (again, after a cleared fault) starts a fresh wait for the package.
    shippingDueAt: to === "Shipping" ? addMs(context.now, context.rules.shippingWaitMs) : undefined,
    shippingOverdueNotifiedAt: undefined,
    hadFault: job.hadFault || to === "Faulted" || undefined,
    history: [...job.history, historyEntry(context, job.state, to, reason)],
  };
}

/** Moves one drive through the drive state machine and records the change. */
export function transitionDriveOf(job: Job, driveId: string, name: DriveTransition, context: OperationContext, reason: string, returnTo?: DriveState): Job {
  const drive = findDrive(job, driveId);
  const to = transitionDrive(drive.driveId, drive.state, name, drive.stateBeforeFault, returnTo);
  const changed: Drive = { ...drive, state: to, stateBeforeFault: to === "Faulted" ? drive.state : undefined };
  return {
    ...job,
    drives: job.drives.map((candidate) => (candidate === drive ? changed : candidate)),
    hadFault: job.hadFault || to === "Faulted" || undefined,
    history: [...job.history, { ...historyEntry(context, drive.state, to, reason), driveId: drive.driveId }],
  };
}

export function findDrive(job: Job, driveId: string): Drive {
  const drive = job.drives.find((candidate) => candidate.driveId.toUpperCase() === driveId.toUpperCase());
  if (!drive) {
    throw ErrorFactory.badRequest("DriveNotFound", `Job '${job.key.name}' has no drive '${driveId}'. Its drives: ${job.drives.map((d) => d.driveId).join(", ") || "none"}.`, driveId);
  }
  return drive;
}

function historyEntry(context: OperationContext, from: string, to: string, reason: string): StateChange {
  return { at: context.now.toISOString(), from, to, by: context.actor.id, role: context.actor.role ?? "customer", reason };
}

function touch(job: Job, context: OperationContext): Job {
  const at = context.now.toISOString();
  return {
    ...job,
    lastModifiedAt: at,
    lastModifiedBy: context.actor,
    // Any accepted update to a Creating job restarts its clock.
    creatingExpiresAt: job.state === "Creating" ? addMs(context.now, context.rules.creatingLifetimeMs) : undefined,
  };
}

function applyField<F extends UpdatableField>(job: Job, field: F, value: Job[F & keyof Job] | undefined): Job {
  const current = (job as unknown as Record<string, unknown>)[field];
  if (sameValue(current, value)) return job;
  assertUpdatable(job, field);
  return { ...job, [field]: value };
}

function applyDriveList(job: Job, inputs: DriveInput[]): Job {
  const specs = withKnownKeys(inputs, job.drives);
  const current = job.drives.map(({ driveId, bitLockerKey, manifestFile, manifestHash, driveHeaderHash }) =>
    stripUndefined({ driveId, bitLockerKey, manifestFile, manifestHash, driveHeaderHash }),
  );
  if (sameValue(current, specs.map(stripUndefined))) return job;
  assertUpdatable(job, "driveList");
  return { ...job, drives: specifiedDrives(specs) };
}

function assertUpdatable(job: Job, field: UpdatableField): void {
  const allowed: readonly JobState[] = UPDATABLE_IN[field];
  if (allowed.includes(job.state)) return;
  throw ErrorFactory.conflict(
    "PropertyNotUpdatable",
    `'${field}' cannot be changed while the job is '${job.state}'; it can be changed in: ${allowed.join(", ")}.`,
    `properties.${field}`,
  );
}

/** Completes each drive with the key the job already holds for it; a new drive must bring its own. */
function withKnownKeys(inputs: DriveInput[], known: Drive[]): DriveSpec[] {
  return inputs.map((input, index) => {
    const bitLockerKey = input.bitLockerKey ?? known.find((drive) => drive.driveId.toUpperCase() === input.driveId.toUpperCase())?.bitLockerKey;
    if (!bitLockerKey) {
      throw ErrorFactory.badRequest(
        "BitLockerKeyRequired",
        `Drive '${input.driveId}' needs its 'bitLockerKey' (it may be left out only for a drive the job already has).`,
        `properties.driveList[${index}].bitLockerKey`,
      );
    }
    return { ...input, bitLockerKey };
  });
}

function specifiedDrives(specs: DriveSpec[]): Drive[] {
  return specs.map((spec) => ({ ...stripUndefined(spec), state: "Specified", percentComplete: 0 }));
}

function validateDefinition(definition: JobDefinition): void {
  if (definition.diagnosticsPath !== undefined) {
    const problem = diagnosticsPathProblem(definition.diagnosticsPath);
    if (problem) {
      throw ErrorFactory.badRequest(
        "InvalidDiagnosticsPath",
        `'properties.diagnosticsPath' must be a container name, optionally with a virtual directory (such as 'waimportexport' or 'mylogs/import-2026'), but ${problem}.`,
        "properties.diagnosticsPath",
      );
    }
  }
  if (definition.jobType === "Import") {
    if (definition.export) {
      throw ErrorFactory.badRequest("ExportNotAllowed", "An import job takes a drive list, not 'export'.", "properties.export");
    }
    if (!definition.driveList || definition.driveList.length === 0) {
      throw ErrorFactory.badRequest(
        "DriveListRequired",
        `An import job needs 'driveList' with 1 to ${MAX_DRIVES_PER_JOB} drives.`,
        "properties.driveList",
      );
    }
    validateDriveSpecs(definition.driveList);
  } else {
    if (definition.driveList && definition.driveList.length > 0) {
      throw ErrorFactory.badRequest(
        "DriveListNotAllowed",
        "An export job's drives are added by the data center when they arrive; it takes no drive list.",
        "properties.driveList",
      );
    }
    const exportSpec = definition.export;
    const hasList = !!exportSpec && ((exportSpec.blobPath?.length ?? 0) > 0 || (exportSpec.blobPathPrefix?.length ?? 0) > 0);
    const hasListBlob = !!exportSpec?.blobListBlobPath;
    if (hasList === hasListBlob) {
      throw ErrorFactory.badRequest(
        "ExportBlobListRequired",
        "An export job needs 'export' with either 'blobList' (blobPath and/or blobPathPrefix) or 'blobListBlobPath', not both.",
        "properties.export",
      );
    }
  }
}

function validateDriveSpecs(specs: DriveInput[]): void {
  if (specs.length < 1 || specs.length > MAX_DRIVES_PER_JOB) {
    throw ErrorFactory.badRequest("InvalidDriveCount", `A job takes 1 to ${MAX_DRIVES_PER_JOB} drives; ${specs.length} were given.`, "properties.driveList");
  }
  const seen = new Set<string>();
  for (const [index, spec] of specs.entries()) {
    const id = spec.driveId.toUpperCase();
    if (seen.has(id)) {
      throw ErrorFactory.badRequest("DuplicateDriveId", `Drive '${spec.driveId}' is listed more than once.`, `properties.driveList[${index}].driveId`);
    }
    seen.add(id);
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
