/**
 * An unmatched arrival: a package that came for a job that is not `Shipping`, or for no known job.
 * It is recorded rather than shrugged off, listed for operators, and attached to its job once the
 * job is `Shipping` (the customer marking it so attaches it at once). The maintenance timers read
 * `arrivedAt` for the return and destruction clocks, and operators close it out by recording that
 * its drives were returned to the sender or destroyed. Its status changes only through the one
 * transition table below.
 */
import { randomBytes } from "node:crypto";
import type { Actor, Job, JobKey } from "./job";
import type { DriveDisposalEvent } from "./operator-events";
import { StateMachine } from "./state-machine";

export type ArrivalReason = "NoSuchJob" | "JobNotShipping" | "NoJobNamed";

export const ARRIVAL_STATUSES = ["Unmatched", "Attached", "Returned", "Destroyed"] as const;
export type ArrivalStatus = (typeof ARRIVAL_STATUSES)[number];

export const ARRIVAL_TRANSITIONS = {
  /** Its job is Shipping: the job receives the package. */
  attach: { from: ["Unmatched"], to: "Attached" },
  /** Operator: the drives went back to the sender (carrier and tracking recorded). */
  returnDrives: { from: ["Unmatched"], to: "Returned" },
  /** Operator: the drives were destroyed securely (the certificate's reference recorded). */
  destroyDrives: { from: ["Unmatched"], to: "Destroyed" },
} as const;
export type ArrivalTransition = keyof typeof ARRIVAL_TRANSITIONS;

// An arrival has no fault state; "Unmatched" stands in for the machine's, which no rule resumes from.
const arrivalMachine = new StateMachine<ArrivalStatus, ArrivalTransition>(ARRIVAL_TRANSITIONS, "Unmatched", {
  invalidTransitionCode: "InvalidArrivalStatus",
  invalidResumeCode: "InvalidArrivalStatus",
  noun: "arrival",
  subject: (id) => `arrival '${id}'`,
});

export interface Arrival {
  id: string;
  carrierName: string;
  trackingNumber: string;
  driveIds: string[];
  /** The job the package label names, if any. */
  jobKey?: JobKey;
  reason: ArrivalReason;
  arrivedAt: string;
  status: ArrivalStatus;
  attachedAt?: string;
  attachedTo?: JobKey;
  /** When operators recorded the drives returned or destroyed, who did, and the proof. */
  closedAt?: string;
  closedBy?: string;
  returnPackage?: { carrierName: string; trackingNumber: string };
  certificateReference?: string;
  /** When operators were told to return the drives, then to destroy them (each told once). */
  returnNoticeAt?: string;
  destroyNoticeAt?: string;
}

export function newArrival(input: Omit<Arrival, "id" | "status" | "arrivedAt">, now: Date): Arrival {
  // Ids sort by arrival time, so listing them reads oldest first.
  const id = `${now.toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
  return { ...input, id, arrivedAt: now.toISOString(), status: "Unmatched" };
}

/** The service itself, as the actor that receives a waiting package when its job is Shipping. */
export const ARRIVAL_DESK: Actor = { id: "import-export-service", type: "Application", role: "operator" };

/**
 * A carrier name or tracking number as two reports of it are compared: NFKC (so fullwidth `１２３`
 * is `123`), case-folded (lower, upper, lower again: full folding such as `ẞ` and `ß` to `ss`), without
 * whitespace, dashes or invisible format characters, which labels and scanners add or drop
 * (`1Z 999 AA1` and `1Z999AA1`). Other punctuation stays: it can tell two numbers apart. The
 * arrival keeps the text as reported, for display.
 */
export function packageText(text: string): string {
  return text.normalize("NFKC").toLowerCase().toUpperCase().toLowerCase().normalize("NFKC").replace(/[\s\p{Pd}\p{Cf}]/gu, "");
}

/** One package: a carrier's tracking number names one parcel, however it was typed or scanned. */
export function samePackage(a: { carrierName: string; trackingNumber: string }, b: { carrierName: string; trackingNumber: string }): boolean {
  return packageText(a.trackingNumber) === packageText(b.trackingNumber) && packageText(a.carrierName) === packageText(b.carrierName);
}

/**
 * Whether the job already received this arrival's package: an attach whose job write went through
 * but whose arrival move did not. Retrying it only moves the arrival.
 */
export function receivedBy(arrival: Arrival, job: Pick<Job, "key" | "receivedPackage">): boolean {
  return !!job.receivedPackage && samePackage(job.receivedPackage, arrival);
}

export function attachArrival(arrival: Arrival, to: JobKey, now: Date): Arrival {
  return { ...arrival, status: arrivalMachine.apply(arrival.status, "attach", { id: arrival.id }), attachedAt: now.toISOString(), attachedTo: to };
}

/** Closes out an unmatched arrival: its drives returned to the sender or destroyed. */
export function disposeOfArrival(arrival: Arrival, event: DriveDisposalEvent, actorId: string, now: Date): Arrival {
  const closed = { closedAt: now.toISOString(), closedBy: actorId };
  if (event.type === "DrivesReturned") {
    const status = arrivalMachine.apply(arrival.status, "returnDrives", { id: arrival.id });
    return { ...arrival, ...closed, status, returnPackage: { carrierName: event.carrierName, trackingNumber: event.trackingNumber } };
  }
  const status = arrivalMachine.apply(arrival.status, "destroyDrives", { id: arrival.id });
  return { ...arrival, ...closed, status, certificateReference: event.certificateReference };
}
