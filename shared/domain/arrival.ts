/**
 * An unmatched arrival: a package that came for a job that is not `Shipping`, or for no known job.
 * It is recorded rather than shrugged off, listed for operators, and attached to its job once the
 * job is `Shipping` (the customer marking it so attaches it at once). The maintenance timers read
 * `arrivedAt` for the return and destruction clocks.
 */
import { randomBytes } from "node:crypto";
import type { Job, JobKey } from "./job";

export type ArrivalReason = "NoSuchJob" | "JobNotShipping" | "NoJobNamed";

export interface Arrival {
  id: string;
  carrierName: string;
  trackingNumber: string;
  driveIds: string[];
  /** The job the package label names, if any. */
  jobKey?: JobKey;
  reason: ArrivalReason;
  arrivedAt: string;
  status: "Unmatched" | "Attached";
  attachedAt?: string;
  attachedTo?: JobKey;
  /** When operators were told to return the drives, then to destroy them (each told once). */
  returnNoticeAt?: string;
  destroyNoticeAt?: string;
}

export function newArrival(input: Omit<Arrival, "id" | "status" | "arrivedAt">, now: Date): Arrival {
  // Ids sort by arrival time, so listing them reads oldest first.
  const id = `${now.toISOString().replace(/[-:.]/g, "")}-${randomBytes(4).toString("hex")}`;
  return { ...input, id, arrivedAt: now.toISOString(), status: "Unmatched" };
}

/**
 * Whether the job already received this arrival's package: an attach whose job write went through
 * but whose arrival move did not. Retrying it only moves the arrival.
 */
export function receivedBy(arrival: Arrival, job: Pick<Job, "key" | "receivedPackage">): boolean {
  const received = job.receivedPackage;
  return !!received && received.trackingNumber === arrival.trackingNumber && received.carrierName === arrival.carrierName;
}

export function attachArrival(arrival: Arrival, to: JobKey, now: Date): Arrival {
  return { ...arrival, status: "Attached", attachedAt: now.toISOString(), attachedTo: to };
}
