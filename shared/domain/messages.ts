/**
 * Messages for people: notices (package overdue, job closed, drives to destroy…) and a
 * customer-facing message for every change of state of a job or a drive, whoever made it, as Data
 * Box and Snowball tell their customers. Each has a stable id so consumers can drop duplicates.
 */
import type { Job, StateChange } from "./job";

export interface OutboundMessage {
  id: string;
  type: "notice" | "stateChanged";
  audience: "customer" | "operators";
  kind: string;
  message: string;
  at: string;
  job: { subscriptionId: string; resourceGroup: string; name: string };
  /** The customer's contact, from the job's return address. */
  contactEmail?: string;
  driveId?: string;
  from?: string | null;
  to?: string;
}

export function jobRef(job: Pick<Job, "key">): OutboundMessage["job"] {
  return { subscriptionId: job.key.subscriptionId, resourceGroup: job.key.resourceGroup, name: job.key.name };
}

/** A stable id for the job across its life (a re-created job of the same name is another job). */
export function jobInstanceId(job: Pick<Job, "key" | "createdAt">): string {
  const { subscriptionId, resourceGroup, name } = job.key;
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase() + `@${job.createdAt}`;
}

/** One message per history entry `after` has beyond `before`. */
export function stateChangeMessages(before: Job | undefined, after: Job): OutboundMessage[] {
  // `after` is `before` plus new entries; ids number entries from the creation, archived ones too.
  const start = before?.history.length ?? 0;
  const archived = after.historyArchived ?? 0;
  return after.history.slice(start).map((change, offset) => stateChangeMessage(after, change, archived + start + offset));
}

function stateChangeMessage(job: Job, change: StateChange, index: number): OutboundMessage {
  const subject = change.driveId ? `Drive ${change.driveId} of job '${job.key.name}'` : `Job '${job.key.name}'`;
  return {
    id: `${jobInstanceId(job)}#${index}`,
    type: "stateChanged",
    audience: "customer",
    kind: change.driveId ? "DriveStateChanged" : "JobStateChanged",
    message: `${subject} is now '${change.to}'${change.from ? ` (was '${change.from}')` : ""}: ${change.reason}.`,
    at: change.at,
    job: jobRef(job),
    contactEmail: job.returnAddress?.email,
    driveId: change.driveId,
    from: change.from,
    to: change.to,
  };
}

export function noticeMessage(job: Job, audience: OutboundMessage["audience"], kind: string, message: string, at: string, idSuffix: string): OutboundMessage {
  return {
    id: `${jobInstanceId(job)}|${kind}|${audience}|${idSuffix}`,
    type: "notice",
    audience,
    kind,
    message,
    at,
    job: jobRef(job),
    contactEmail: audience === "customer" ? job.returnAddress?.email : undefined,
  };
}

/** A notice that may name no job (an unmatched arrival's, a maintenance failure's). */
export type JoblessNotice = Omit<OutboundMessage, "job"> & { job?: OutboundMessage["job"] };

/**
 * Operators are told, once, that the maintenance sweep keeps failing at something due: what, why,
 * and when it tries again. The id is the deadline's, so a repeat is dropped by consumers.
 */
export function sweepFailureNotice(failure: {
  deadline: { kind: string; dueAt: string; id: string };
  subject: string;
  job?: OutboundMessage["job"];
  message: string;
  retryAfter: string;
  at: string;
}): JoblessNotice {
  return {
    id: `sweep|${failure.deadline.id}|SweepFailed`,
    type: "notice",
    audience: "operators",
    kind: "SweepFailed",
    message:
      `The maintenance sweep could not act on ${failure.subject}, due ${failure.deadline.dueAt} (${failure.deadline.kind}): ${failure.message}. ` +
      `It tries again after ${failure.retryAfter}, waiting longer each time; everything else due went ahead.`,
    at: failure.at,
    job: failure.job,
  };
}
