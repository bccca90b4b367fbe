/**
 * What data-center operators record about a job, as typed events, and what each does to it. Pure:
 * `applyOperatorEvent` returns the new job plus the blob writes and notices the event calls for,
 * which the operator service carries out. Every state change goes through the job and drive state
 * machines (`transition`, `transitionDriveOf`).
 */
import { checkAgentEvent, releaseClaim } from "./drive-claims";
import { addMs } from "./duration";
import { ErrorFactory } from "./errors";
import type { DriveState } from "./drive-state-machine";
import { advanceToPackaging, DriveCopyLog, driveNeedsWork, findDrive, Job, OperationContext, ReturnPackage, transition, transitionDriveOf } from "./job";
import type { JobState } from "./job-state-machine";
import { DriveBlobKind } from "./log-blobs";

/**
 * What a copy agent adds to its events on a drive: who it is (the event must come from the drive's
 * claim holder, see `drive-claims.ts`) and an id, so an event it sends again after a lost answer is
 * applied once. An operator's own event carries neither.
 */
export interface AgentEventFields {
  agentId?: string;
  eventId?: string;
}

/** The longest reason an event carries (a fault's, a clearing's): the agent cuts longer ones and logs them whole. */
export const MAX_REASON_CHARS = 1024;

/** How many applied event ids a job remembers: an agent retries an event at once, never after dozens of others. */
const APPLIED_EVENT_IDS = 32;

export type OperatorEvent =
  | { type: "PackageReceived"; carrierName: string; trackingNumber: string; driveIds: string[] }
  | { type: "DriveReceived"; driveId: string; carrierName?: string; trackingNumber?: string }
  | ({
      type: "TransferStarted";
      driveId: string;
      totalBytes?: number;
      manifest?: string;
      /** Export jobs: where in the job's blob list this drive starts, and the key its volume is locked with. */
      exportStart?: number;
      bitLockerKey?: string;
    } & AgentEventFields)
  | ({
      type: "TransferProgress";
      driveId: string;
      bytesSucceeded: number;
      totalBytes?: number;
      percentComplete: number;
      copyStatus?: string;
      errorLog?: string[];
      verboseLog?: string[];
    } & AgentEventFields)
  | ({
      type: "TransferFinished";
      driveId: string;
      outcome: "Completed" | "CompletedMoreInfo";
      bytesSucceeded?: number;
      copyStatus?: string;
      errorLog?: string[];
      verboseLog?: string[];
      /** Export jobs: the blobs that did not fit on the drives. */
      incompleteBlobs?: string[];
      /** The copy agent's logs in the customer's account, and their summary. */
      copyLog?: DriveCopyLog;
      /** Export jobs: where the next drive carries on, and blobs too large for any drive of this size. */
      exportNext?: number;
      exportTooLarge?: string[];
      /** Export jobs: the agent wrote the list of blobs left over to the customer's account. */
      incompleteBlobList?: { blobs: number };
    } & AgentEventFields)
  | { type: "ShippedBack"; carrierName: string; trackingNumber: string; driveCount: number; shipDate: string }
  | { type: "ReturnAddressProblem"; reason: string }
  | { type: "FaultJob"; reason: string }
  | { type: "ClearJobFault"; returnTo?: JobState; reason: string }
  | ({ type: "FaultDrive"; driveId: string; reason: string; /** The copy agent's error log holding the drive's status. */ copyLog?: DriveCopyLog } & AgentEventFields)
  | { type: "ClearDriveFault"; driveId: string; returnTo?: DriveState; reason: string }
  | { type: "ExtendShippingWait"; days: number; reason?: string }
  | { type: "CloseUnresponsive"; reason: string }
  | DriveDisposalEvent;

/**
 * How operators close out drives still at the data center with nowhere to go: a job closed because
 * its return address was never corrected, or an unmatched arrival (see `arrival.ts`).
 */
export type DriveDisposalEvent =
  | { type: "DrivesReturned"; carrierName: string; trackingNumber: string; shipDate?: string }
  | { type: "DrivesDestroyed"; certificateReference: string };

export type OperatorEventType = OperatorEvent["type"];

/** The job states each event is recorded in: the operator console offers exactly these. */
export const EVENT_ALLOWED_IN: Record<OperatorEventType, readonly JobState[]> = {
  PackageReceived: ["Shipping"],
  DriveReceived: ["Received", "Transferring"],
  TransferStarted: ["Received", "Transferring"],
  TransferProgress: ["Transferring"],
  TransferFinished: ["Transferring"],
  ShippedBack: ["Packaging"],
  ReturnAddressProblem: ["Transferring", "Packaging"],
  FaultJob: ["Shipping", "Received", "Transferring", "Packaging"],
  ClearJobFault: ["Faulted"],
  FaultDrive: ["Received", "Transferring"],
  ClearDriveFault: ["Received", "Transferring", "Faulted"],
  ExtendShippingWait: ["Shipping"],
  CloseUnresponsive: ["Shipping"],
  // Only while the closed job still holds drives (see `heldDrives`).
  DrivesReturned: ["Closed"],
  DrivesDestroyed: ["Closed"],
};

export function eventsAllowedIn(state: JobState): OperatorEventType[] {
  return (Object.keys(EVENT_ALLOWED_IN) as OperatorEventType[]).filter((type) => EVENT_ALLOWED_IN[type].includes(state));
}

/** The events this job allows now: its state's, less the disposal of drives it no longer holds. */
export function eventsAllowedFor(job: Job): OperatorEventType[] {
  const holds = holdsDrives(job);
  return eventsAllowedIn(job.state).filter((type) => holds || (type !== "DrivesReturned" && type !== "DrivesDestroyed"));
}

/** Drives of a closed job still at the data center: received, never shipped back or destroyed. */
export function heldDrives(job: Job): Job["drives"] {
  return job.state === "Closed" ? job.drives.filter((drive) => drive.state === "Received" || drive.state === "Completed" || drive.state === "CompletedMoreInfo") : [];
}

function heldExtraDrives(job: Job): NonNullable<Job["extraDrives"]> {
  return job.state === "Closed" ? (job.extraDrives ?? []).filter((extra) => !extra.returnedAt && !extra.destroyedAt) : [];
}

function holdsDrives(job: Job): boolean {
  return heldDrives(job).length > 0 || heldExtraDrives(job).length > 0;
}

export interface BlobWrite {
  kind: "append" | "put";
  driveId?: string;
  blob: DriveBlobKind | "incompleteBlobList";
  lines?: string[];
  content?: string;
}

export interface Notice {
  audience: "customer" | "operators";
  kind: string;
  message: string;
}

export interface EventOutcome {
  job: Job;
  blobWrites: BlobWrite[];
  notices: Notice[];
  /** Answer to a progress event of a running drive on a cancelled job: the operator stops it. */
  stopTransfer?: boolean;
  /** The event was applied before (its id is remembered): nothing changes, nothing is written. */
  repeated?: boolean;
}

const MAX_EXPORT_DRIVES = 10;

export function applyOperatorEvent(job: Job, event: OperatorEvent, context: OperationContext): EventOutcome {
  const agent = "agentId" in event || "eventId" in event ? (event as AgentEventFields & { driveId: string }) : undefined;
  // Checked first: an event applied before may no longer be allowed in the state it led to.
  if (agent?.eventId && job.appliedEventIds?.includes(agent.eventId)) return { job, blobWrites: [], notices: [], repeated: true };
  assertEventAllowed(job, event.type);
  let claimed = job;
  if (agent?.agentId) claimed = checkAgentEvent(job, agent.driveId, agent.agentId, context.now);
  const outcome = applyEvent(claimed, event, context);
  let next = advanceToPackaging(outcome.job, context);
  // A drive no longer copied lets its claim go, whoever ended the copy.
  if (event.type === "TransferFinished" || event.type === "FaultDrive") next = releaseClaim(next, event.driveId);
  if (agent?.eventId) next = { ...next, appliedEventIds: [...(next.appliedEventIds ?? []), agent.eventId].slice(-APPLIED_EVENT_IDS) };
  return { ...outcome, job: next };
}

function applyEvent(job: Job, event: OperatorEvent, context: OperationContext): EventOutcome {
  const none = { blobWrites: [] as BlobWrite[], notices: [] as Notice[] };
  switch (event.type) {
    case "PackageReceived":
      return { ...none, job: receivePackage(job, event, context) };

    case "DriveReceived": {
      const received = transitionDriveOf(job, event.driveId, "receive", context, `Arrived later${event.trackingNumber ? ` (tracking ${event.trackingNumber})` : ""}`);
      return { ...none, job: received };
    }

    case "TransferStarted": {
      if (job.cancelRequested) {
        throw ErrorFactory.conflict("JobCancelled", `The cancellation of job '${job.key.name}' was requested, so its drives are not copied; ship them back instead.`);
      }
      let next = transitionDriveOf(job, event.driveId, "startTransfer", context, "Copy started");
      if (next.state === "Received") next = transition(next, "startTransfer", context, `First drive (${event.driveId}) started copying`);
      next = updateDrive(next, event.driveId, { totalBytes: event.totalBytes, percentComplete: 0, bytesSucceeded: 0, blobs: { errorLog: true } });
      if (event.exportStart !== undefined || event.bitLockerKey !== undefined) {
        if (job.jobType !== "Export") throw ErrorFactory.badRequest("ExportFieldsNotAllowed", "'exportStart' and 'bitLockerKey' are for the drives of an export job.", "exportStart");
        if (event.exportStart !== undefined) assertExportTurn(job, event.driveId, event.exportStart);
        const drive = findDrive(next, event.driveId);
        next = updateDrive(next, event.driveId, {
          exportRange: event.exportStart !== undefined ? { start: event.exportStart } : drive.exportRange,
          // The key the data center locked the drive with; kept if the drive already has one.
          bitLockerKey: drive.bitLockerKey ?? event.bitLockerKey,
        });
      }
      const blobWrites: BlobWrite[] = [{ kind: "append", driveId: event.driveId, blob: "errorLog", lines: [] }];
      if (event.manifest !== undefined && job.backupDriveManifest) {
        blobWrites.push({ kind: "put", driveId: event.driveId, blob: "manifest", content: event.manifest });
        next = updateDrive(next, event.driveId, { blobs: { manifest: true } });
      }
      return { ...none, job: next, blobWrites };
    }

    case "TransferProgress": {
      const drive = findDrive(job, event.driveId);
      if (drive.state !== "Transferring") {
        throw ErrorFactory.conflict("InvalidDriveState", `Drive '${drive.driveId}' is '${drive.state}', not 'Transferring'; progress is recorded only while it copies.`, drive.driveId);
      }
      const next = updateDrive(job, event.driveId, {
        bytesSucceeded: event.bytesSucceeded,
        totalBytes: event.totalBytes,
        percentComplete: event.percentComplete,
        copyStatus: event.copyStatus,
      });
      return { ...logWrites(next, event.driveId, event.errorLog, event.verboseLog), stopTransfer: job.cancelRequested };
    }

    case "TransferFinished": {
      const withInfo = event.outcome === "CompletedMoreInfo";
      let next = transitionDriveOf(job, event.driveId, withInfo ? "completeWithInfo" : "complete", context, withInfo ? "Copied, with errors or warnings in the logs" : "Copied");
      next = updateDrive(next, event.driveId, { percentComplete: 100, bytesSucceeded: event.bytesSucceeded, copyStatus: event.copyStatus ?? event.outcome, copyLog: event.copyLog });
      if (event.exportNext !== undefined) {
        if (job.jobType !== "Export") throw ErrorFactory.badRequest("ExportFieldsNotAllowed", "'exportNext' is for the drives of an export job.", "exportNext");
        const range = findDrive(next, event.driveId).exportRange ?? { start: 0 };
        next = updateDrive(next, event.driveId, { exportRange: { ...range, next: event.exportNext, tooLarge: event.exportTooLarge } });
      }
      if (event.incompleteBlobList) {
        if (job.jobType !== "Export") throw ErrorFactory.badRequest("IncompleteBlobListNotAllowed", "Only an export job has a list of blobs that did not fit.", "incompleteBlobList");
        next = { ...next, exportIncomplete: event.incompleteBlobList.blobs > 0 ? { blobs: event.incompleteBlobList.blobs } : undefined };
      }
      const outcome = logWrites(next, event.driveId, event.errorLog, event.verboseLog);
      if (event.incompleteBlobs && event.incompleteBlobs.length > 0) {
        if (job.jobType !== "Export") throw ErrorFactory.badRequest("IncompleteBlobListNotAllowed", "Only an export job has a list of blobs that did not fit.", "incompleteBlobs");
        // Appended: each drive of the export adds the blobs it could not hold.
        outcome.blobWrites.push({ kind: "append", blob: "incompleteBlobList", lines: event.incompleteBlobs });
        outcome.job = { ...outcome.job, hasIncompleteBlobList: true };
      }
      return outcome;
    }

    case "ShippedBack":
      return { ...none, job: shipBack(job, event, context) };

    case "ReturnAddressProblem":
      return {
        ...none,
        job: { ...job, returnAddressProblem: { reason: event.reason, reportedAt: context.now.toISOString() } },
        notices: [
          {
            audience: "customer",
            kind: "ReturnAddressProblem",
            message: `The drives of job '${job.key.name}' cannot be shipped back to the return address: ${event.reason}. Correct 'returnAddress' on the job.`,
          },
        ],
      };

    case "FaultJob":
      return { ...none, job: transition(job, "fault", context, event.reason) };

    case "ClearJobFault": {
      if (event.returnTo === "Packaging" && job.drives.some(driveNeedsWork)) {
        throw ErrorFactory.conflict(
          "DrivesNotFinished",
          `Job '${job.key.name}' can't resume in 'Packaging' while drives still have work: ${job.drives.filter(driveNeedsWork).map((d) => `${d.driveId} (${d.state})`).join(", ")}.`,
        );
      }
      return { ...none, job: transition(job, "clearFault", context, event.reason, event.returnTo) };
    }

    case "FaultDrive": {
      const faulted = transitionDriveOf(job, event.driveId, "fault", context, event.reason);
      return { ...none, job: event.copyLog ? updateDrive(faulted, event.driveId, { copyLog: event.copyLog }) : faulted };
    }

    case "ClearDriveFault":
      return { ...none, job: transitionDriveOf(job, event.driveId, "clearFault", context, event.reason, event.returnTo) };

    case "ExtendShippingWait": {
      const base = job.shippingDueAt && job.shippingDueAt > context.now.toISOString() ? job.shippingDueAt : context.now.toISOString();
      return { ...none, job: { ...job, shippingDueAt: addMs(base, event.days * 86_400_000), shippingOverdueNotifiedAt: undefined } };
    }

    case "DrivesReturned":
    case "DrivesDestroyed":
      return { ...none, job: disposeOfDrives(job, event, context) };

    case "CloseUnresponsive": {
      let next = job;
      for (const drive of job.drives.filter((candidate) => candidate.state === "Specified")) {
        next = transitionDriveOf(next, drive.driveId, "markNeverReceived", context, "The package never arrived");
      }
      return { ...none, job: transition(next, "close", context, event.reason) };
    }
  }
}

/**
 * An export's drives are filled one after another, each starting where the last stopped: a drive
 * may start only while no other drive of the job is filling, and only at that point of the list.
 * Checked here, under the job's ETag, so two agents cannot both take the same stretch.
 */
function assertExportTurn(job: Job, driveId: string, exportStart: number): void {
  const busy = job.drives.find((drive) => drive.driveId.toUpperCase() !== driveId.toUpperCase() && drive.state === "Transferring");
  if (busy) {
    throw ErrorFactory.conflict("ExportDriveBusy", `Drive '${busy.driveId}' of job '${job.key.name}' is being filled; an export's drives are filled one after another.`, driveId);
  }
  const furthest = job.drives.reduce((at, drive) => Math.max(at, drive.exportRange?.next ?? 0), 0);
  if (exportStart !== furthest) {
    throw ErrorFactory.conflict("ExportStartMismatch", `Drive '${driveId}' must start at blob ${furthest} of the job's list, where its earlier drives stopped (not ${exportStart}).`, driveId);
  }
}

function assertEventAllowed(job: Job, type: OperatorEventType): void {
  if (EVENT_ALLOWED_IN[type].includes(job.state)) return;
  const allowed = eventsAllowedIn(job.state);
  throw ErrorFactory.conflict(
    "EventNotAllowed",
    `'${type}' cannot be recorded for a job in state '${job.state}'. ` +
      (allowed.length ? `Events allowed in '${job.state}': ${allowed.join(", ")}.` : `No operator event applies to a '${job.state}' job.`),
  );
}

function receivePackage(job: Job, event: Extract<OperatorEvent, { type: "PackageReceived" }>, context: OperationContext): Job {
  const at = context.now.toISOString();
  const inPackage = new Set(event.driveIds.map((id) => id.toUpperCase()));
  let next = job;
  const extras: string[] = [];
  if (job.jobType === "Export") {
    // An export job's drives are whatever the customer sent, up to the job's limit.
    const drives = [...next.drives];
    for (const driveId of event.driveIds) {
      if (drives.some((drive) => drive.driveId.toUpperCase() === driveId.toUpperCase())) continue;
      if (drives.length >= MAX_EXPORT_DRIVES) extras.push(driveId);
      else drives.push({ driveId, state: "Received", percentComplete: 0 });
    }
    next = { ...next, drives };
    for (const drive of next.drives.slice(job.drives.length)) {
      next = { ...next, history: [...next.history, { at, driveId: drive.driveId, from: null, to: "Received", by: context.actor.id, role: context.actor.role ?? "operator", reason: `In package ${event.trackingNumber}` }] };
    }
  } else {
    for (const drive of job.drives) {
      if (inPackage.has(drive.driveId.toUpperCase())) {
        next = transitionDriveOf(next, drive.driveId, "receive", context, `In package ${event.trackingNumber}`);
      } else if (drive.state === "Specified") {
        // Already NeverReceived when the sweep found the package overdue: it stays so.
        next = transitionDriveOf(next, drive.driveId, "markNeverReceived", context, `Not in package ${event.trackingNumber}`);
      }
    }
    const known = new Set(job.drives.map((drive) => drive.driveId.toUpperCase()));
    extras.push(...event.driveIds.filter((id) => !known.has(id.toUpperCase())));
  }
  if (extras.length > 0) {
    next = { ...next, extraDrives: [...(next.extraDrives ?? []), ...extras.map((driveId) => ({ driveId, trackingNumber: event.trackingNumber, arrivedAt: at }))] };
  }
  next = { ...next, receivedPackage: { carrierName: event.carrierName, trackingNumber: event.trackingNumber, receivedAt: at } };
  return transition(next, "receivePackage", context, `Package ${event.carrierName} ${event.trackingNumber} received with ${event.driveIds.length} drive(s)`);
}

function shipBack(job: Job, event: Extract<OperatorEvent, { type: "ShippedBack" }>, context: OperationContext): Job {
  if (job.returnAddressProblem) {
    throw ErrorFactory.conflict(
      "ReturnAddressProblemPending",
      `The drives cannot be shipped back while the return address has a problem (${job.returnAddressProblem.reason}); the customer must correct it first.`,
    );
  }
  const returnPackage: ReturnPackage = { carrierName: event.carrierName, trackingNumber: event.trackingNumber, driveCount: event.driveCount, shipDate: event.shipDate };
  let next: Job = { ...job, returnPackage };
  // A drive already ShippedBack (a fault cleared to ShippedBack) went back earlier: it is not shipped twice.
  for (const drive of job.drives.filter((candidate) => candidate.state !== "NeverReceived" && candidate.state !== "ShippedBack")) {
    next = transitionDriveOf(next, drive.driveId, "shipBack", context, `Shipped back in ${event.trackingNumber}`);
  }
  const at = context.now.toISOString();
  next = { ...next, extraDrives: next.extraDrives?.map((extra) => ({ ...extra, returnedAt: extra.returnedAt ?? at })) };
  const problems = job.hadFault || job.drives.some((drive) => drive.state === "CompletedMoreInfo" || drive.state === "NeverReceived");
  return problems
    ? transition(next, "close", context, "Drives shipped back; some drives had errors, never arrived, or the job faulted")
    : transition(next, "complete", context, "Drives shipped back");
}

/**
 * A closed job's drives that could not go back: sent back after all (the customer gave an address
 * some other way) or destroyed securely. Each drive's change is in the history; the job stays Closed.
 */
function disposeOfDrives(job: Job, event: DriveDisposalEvent, context: OperationContext): Job {
  const held = heldDrives(job);
  const extras = heldExtraDrives(job);
  if (held.length === 0 && extras.length === 0) {
    throw ErrorFactory.conflict(
      "NoDrivesHeld",
      `Job '${job.key.name}' holds no drives at the data center: they were shipped back, destroyed, or never arrived.`,
    );
  }
  const at = context.now.toISOString();
  const by = context.actor.id;
  let next = job;
  if (event.type === "DrivesReturned") {
    for (const drive of held) next = transitionDriveOf(next, drive.driveId, "shipBack", context, `Shipped back in ${event.carrierName} ${event.trackingNumber} after the job closed`);
    const returnPackage: ReturnPackage = {
      carrierName: event.carrierName,
      trackingNumber: event.trackingNumber,
      driveCount: held.length + extras.length,
      shipDate: event.shipDate ?? at.slice(0, 10),
    };
    return {
      ...next,
      returnPackage,
      extraDrives: next.extraDrives?.map((extra) => (extras.includes(extra) ? { ...extra, returnedAt: at } : extra)),
      driveDisposal: { kind: "Returned", carrierName: event.carrierName, trackingNumber: event.trackingNumber, at, by },
    };
  }
  for (const drive of held) next = transitionDriveOf(next, drive.driveId, "destroy", context, `Destroyed securely, certificate ${event.certificateReference}`);
  return {
    ...next,
    extraDrives: next.extraDrives?.map((extra) => (extras.includes(extra) ? { ...extra, destroyedAt: at } : extra)),
    driveDisposal: { kind: "Destroyed", certificateReference: event.certificateReference, at, by },
  };
}

function updateDrive(job: Job, driveId: string, changes: Partial<Omit<Job["drives"][number], "blobs">> & { blobs?: Job["drives"][number]["blobs"] }): Job {
  const drive = findDrive(job, driveId);
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  const updated = { ...drive, ...defined, blobs: changes.blobs ? { ...drive.blobs, ...changes.blobs } : drive.blobs };
  return { ...job, drives: job.drives.map((candidate) => (candidate === drive ? updated : candidate)) };
}

function logWrites(job: Job, driveId: string, errorLog?: string[], verboseLog?: string[]): EventOutcome {
  const blobWrites: BlobWrite[] = [];
  let next = job;
  if (errorLog && errorLog.length > 0) {
    blobWrites.push({ kind: "append", driveId, blob: "errorLog", lines: errorLog });
    next = updateDrive(next, driveId, { blobs: { errorLog: true } });
  }
  // The verbose log exists only when the customer asked for it.
  if (verboseLog && verboseLog.length > 0 && job.logLevel === "Verbose") {
    blobWrites.push({ kind: "append", driveId, blob: "verboseLog", lines: verboseLog });
    next = updateDrive(next, driveId, { blobs: { verboseLog: true } });
  }
  return { job: next, blobWrites, notices: [] };
}
