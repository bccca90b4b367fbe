/**
 * The service's clocks, in one screen: which deadline a job or an unmatched arrival has in which
 * state, how long each lasts, and what the maintenance sweep does when one passes. Pure: the sweep
 * service reads the expiry index, re-reads the job, and asks `decideJobDeadline` what to do, so a
 * job whose state moved on since the index entry was written is simply not due any more.
 */
import { addMs, describeDuration } from "./duration";
import type { Arrival } from "./arrival";
import { Actor, Job, JobRules, OperationContext, transition, transitionDriveOf } from "./job";
import { noticeMessage, OutboundMessage } from "./messages";

export interface MaintenanceRules extends JobRules {
  /** After the overdue notice, how long the customer has before a Shipping job is closed. */
  shippingResponseWindowMs: number;
  /** How long a job waits for a corrected return address before its drives are destroyed. */
  returnAddressWaitMs: number;
  /** Unmatched arrivals: when operators are told to return the drives, then to destroy them. */
  arrivalReturnAfterMs: number;
  arrivalDestroyAfterMs: number;
}

export type JobDeadlineKind = "CreatingExpiry" | "ShippingOverdue" | "ShippingClose" | "Purge" | "ReturnAddressExpiry" | "Outbox";
export type ArrivalDeadlineKind = "ArrivalReturn" | "ArrivalDestroy";
/** A deleted job's blobs, owed a delete if the process stopped between the job and its blobs. */
export type BlobCleanupKind = "BlobCleanup";
export type DeadlineKind = JobDeadlineKind | ArrivalDeadlineKind | BlobCleanupKind;

/** How long after a delete the sweep checks that the deleted job's blobs went with it. */
export const BLOB_CLEANUP_GRACE_MS = 10 * 60_000;

export interface Deadline<K extends DeadlineKind = DeadlineKind> {
  kind: K;
  dueAt: string;
}

/** A message owed to someone, kept on the job until it is sent (a transactional outbox). */
export type OutboxNotice = OutboundMessage;

const TIMER: Actor = { id: "maintenance-sweep", type: "Application", role: "timer" };

/** How long an unsent outbox waits before a sweep sends it (longer than any sweep takes to send one). */
export const OUTBOX_GRACE_MS = 10 * 60_000;

/** The deadlines a job has now. Each write of the job keeps the expiry index in step with this. */
export function jobDeadlines(job: Job, rules: MaintenanceRules): Deadline<JobDeadlineKind>[] {
  const deadlines: Deadline<JobDeadlineKind>[] = [];
  if (job.state === "Creating" && job.creatingExpiresAt) deadlines.push({ kind: "CreatingExpiry", dueAt: job.creatingExpiresAt });
  if (job.state === "Shipping" && job.shippingDueAt && !job.shippingOverdueNotifiedAt) {
    deadlines.push({ kind: "ShippingOverdue", dueAt: job.shippingDueAt });
  }
  if (job.state === "Shipping" && job.shippingOverdueNotifiedAt) {
    deadlines.push({ kind: "ShippingClose", dueAt: addMs(job.shippingOverdueNotifiedAt, rules.shippingResponseWindowMs) });
  }
  if (job.state === "Completed" || job.state === "Closed") deadlines.push({ kind: "Purge", dueAt: addMs(job.stateChangedAt, rules.finishedRetentionMs) });
  if (job.returnAddressProblem && (job.state === "Transferring" || job.state === "Packaging")) {
    deadlines.push({ kind: "ReturnAddressExpiry", dueAt: addMs(job.returnAddressProblem.reportedAt, rules.returnAddressWaitMs) });
  }
  // Due only after a grace: the sweep that filled the outbox is sending it right now, and another
  // sweep must not send it too; the entry is for an outbox whose sender died.
  if (job.outbox && job.outbox.length > 0) deadlines.push({ kind: "Outbox", dueAt: addMs(job.outbox[0].at, OUTBOX_GRACE_MS) });
  return deadlines;
}

/**
 * The first deadline the job has (the earliest due; the first listed on a tie). The expiry index
 * keeps one entry at or before it per job, not one per deadline: the sweep, meeting that entry,
 * acts on whatever is due then and chains an entry at the next deadline.
 */
export function earliestDeadline(job: Job, rules: MaintenanceRules): Deadline<JobDeadlineKind> | undefined {
  let earliest: Deadline<JobDeadlineKind> | undefined;
  for (const deadline of jobDeadlines(job, rules)) if (!earliest || deadline.dueAt < earliest.dueAt) earliest = deadline;
  return earliest;
}

/**
 * Which of the job's deadlines a due index entry of `kind` stands for: its own kind when the job
 * has that deadline due, otherwise the job's earliest deadline if that is due (an entry covers the
 * job's deadlines up to the next one, whatever their kinds); `kind` again when nothing is due.
 */
export function dueKind(job: Job, kind: JobDeadlineKind, now: Date, rules: MaintenanceRules): JobDeadlineKind {
  const at = now.toISOString();
  if (jobDeadlines(job, rules).some((deadline) => deadline.kind === kind && deadline.dueAt <= at)) return kind;
  const earliest = earliestDeadline(job, rules);
  return earliest && earliest.dueAt <= at ? earliest.kind : kind;
}

export function arrivalDeadlines(arrival: Arrival, rules: MaintenanceRules): Deadline<ArrivalDeadlineKind>[] {
  if (arrival.status !== "Unmatched") return [];
  const deadlines: Deadline<ArrivalDeadlineKind>[] = [];
  if (!arrival.returnNoticeAt) deadlines.push({ kind: "ArrivalReturn", dueAt: addMs(arrival.arrivedAt, rules.arrivalReturnAfterMs) });
  if (!arrival.destroyNoticeAt) deadlines.push({ kind: "ArrivalDestroy", dueAt: addMs(arrival.arrivedAt, rules.arrivalDestroyAfterMs) });
  return deadlines;
}

export type JobDecision =
  | { action: "skip"; reason: string }
  /** Delete the job and its blobs; the deletion is recorded with `reason`. */
  | { action: "delete"; reason: string; notices: OutboxNotice[] }
  /** Write the changed job (ETag-guarded); its outbox holds the notices to send. */
  | { action: "update"; job: Job };

/**
 * What the sweep does for a job whose index entry of `kind` came due. The job was just re-read: if
 * its state or deadline no longer say it is due, the entry was stale and nothing happens.
 */
export function decideJobDeadline(job: Job, kind: JobDeadlineKind, now: Date, rules: MaintenanceRules): JobDecision {
  const current = jobDeadlines(job, rules).find((deadline) => deadline.kind === kind);
  if (!current) return { action: "skip", reason: `no ${kind} deadline in state '${job.state}'` };
  if (current.dueAt > now.toISOString()) return { action: "skip", reason: `${kind} not due until ${current.dueAt}` };
  const context: OperationContext = { now, actor: TIMER, rules };
  const at = now.toISOString();
  const name = job.key.name;
  const notice = (audience: OutboxNotice["audience"], noticeKind: string, message: string): OutboxNotice =>
    noticeMessage(job, audience, noticeKind, message, at, current.dueAt);

  switch (kind) {
    case "CreatingExpiry":
      return {
        action: "delete",
        reason: `Still 'Creating' ${describeDuration(rules.creatingLifetimeMs)} after its creation or last update`,
        notices: [notice("customer", "JobDeletedCreatingExpired", `Job '${name}' was deleted: it stayed 'Creating' past ${current.dueAt} without being shipped.`)],
      };

    case "Purge":
      return {
        action: "delete",
        reason: `Purged ${describeDuration(rules.finishedRetentionMs)} after it became '${job.state}'`,
        notices: [notice("customer", "JobPurged", `Job '${name}' (${job.state}) was purged after its retention period.`)],
      };

    case "ShippingOverdue": {
      let next: Job = { ...job, shippingOverdueNotifiedAt: at };
      for (const drive of job.drives.filter((candidate) => candidate.state === "Specified")) {
        next = transitionDriveOf(next, drive.driveId, "markNeverReceived", context, "The package is overdue");
      }
      const window = describeDuration(rules.shippingResponseWindowMs);
      return {
        action: "update",
        job: withOutbox(next, [
          notice("operators", "ShippingOverdue", `The package of job '${name}' is overdue (expected by ${current.dueAt}). Contact the customer.`),
          notice("customer", "ShippingOverdue", `We have not received the package of job '${name}'. Tell us about it within ${window}, or the job will be closed.`),
        ]),
      };
    }

    case "ShippingClose": {
      let next = job;
      for (const drive of job.drives.filter((candidate) => candidate.state === "Specified")) {
        next = transitionDriveOf(next, drive.driveId, "markNeverReceived", context, "The package never arrived");
      }
      next = transition(next, "close", context, "No package and no answer within the response window after the overdue notice");
      return {
        action: "update",
        job: withOutbox(next, [
          notice("customer", "JobClosedNoResponse", `Job '${name}' was closed: its package never arrived and we had no answer.`),
          notice("operators", "JobClosedNoResponse", `Job '${name}' was closed for no response.`),
        ]),
      };
    }

    case "ReturnAddressExpiry": {
      const next = transition(job, "close", context, "No corrected return address within the wait");
      return {
        action: "update",
        job: withOutbox(next, [
          notice("operators", "DestroyDrives", `Job '${name}': no corrected return address since ${job.returnAddressProblem!.reportedAt}. Destroy its drives securely.`),
          notice("customer", "JobClosedReturnAddress", `Job '${name}' was closed: without a valid return address its drives will be destroyed securely.`),
        ]),
      };
    }

    case "Outbox":
      // The notices are sent by the sweep service; nothing about the job itself changes.
      return { action: "update", job };
  }
}

export type ArrivalDecision = { action: "skip"; reason: string } | { action: "notify"; arrival: Arrival; notice: ArrivalNotice };

/** Arrivals have no job yet: their notices go to operators only. */
export type ArrivalNotice = Omit<OutboundMessage, "job"> & { job?: OutboundMessage["job"] };

export function decideArrivalDeadline(arrival: Arrival, kind: ArrivalDeadlineKind, now: Date, rules: MaintenanceRules): ArrivalDecision {
  const current = arrivalDeadlines(arrival, rules).find((deadline) => deadline.kind === kind);
  if (!current) return { action: "skip", reason: `no ${kind} deadline for a '${arrival.status}' arrival` };
  if (current.dueAt > now.toISOString()) return { action: "skip", reason: `${kind} not due until ${current.dueAt}` };
  const at = now.toISOString();
  const toReturn = kind === "ArrivalReturn";
  const drives = arrival.driveIds.join(", ");
  return {
    action: "notify",
    arrival: toReturn ? { ...arrival, returnNoticeAt: at } : { ...arrival, destroyNoticeAt: at },
    notice: {
      id: `arrival|${arrival.id}|${kind}`,
      type: "notice",
      job: arrival.jobKey && { subscriptionId: arrival.jobKey.subscriptionId, resourceGroup: arrival.jobKey.resourceGroup, name: arrival.jobKey.name },
      audience: "operators",
      kind: toReturn ? "ReturnUnmatchedDrives" : "DestroyUnmatchedDrives",
      message: toReturn
        ? `Package ${arrival.trackingNumber} (drives ${drives}) has matched no job since ${arrival.arrivedAt}. Return the drives to the sender.`
        : `Package ${arrival.trackingNumber} (drives ${drives}) could not be returned since ${arrival.arrivedAt}. Destroy the drives securely.`,
      at,
    },
  };
}

function withOutbox(job: Job, notices: OutboxNotice[]): Job {
  return { ...job, outbox: [...(job.outbox ?? []), ...notices] };
}
