/**
 * The job life cycle as one table of allowed transitions. Pure and storage-free: customers, operators
 * and the maintenance timers all change a job's state through `transitionJob`, so the rules of the
 * service can be read in one screen.
 */
import { ErrorFactory, ServiceError } from "./errors";

export const JOB_STATES = [
  "Creating",
  "Shipping",
  "Received",
  "Transferring",
  "Packaging",
  "Completed",
  "Closed",
  "Faulted",
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A target of `previous` returns the job to the state it had before it faulted. */
type Target = JobState | "previous";

export const JOB_TRANSITIONS = {
  /** Customer: the package is on its way (needs a delivery package and a return address). */
  markShipping: { from: ["Creating"], to: "Shipping" },
  /** Customer: cancelled before anything shipped, so there is nothing to copy or return. */
  cancelBeforeShipping: { from: ["Creating"], to: "Completed" },
  /** Operator: the package arrived at the data center. */
  receivePackage: { from: ["Shipping"], to: "Received" },
  /** Operator: the first drive started copying. */
  startTransfer: { from: ["Received"], to: "Transferring" },
  /** Every drive is finished, never arrived, or was skipped because the job was cancelled. */
  beginPackaging: { from: ["Received", "Transferring"], to: "Packaging" },
  /** Operator: drives shipped back and nothing went wrong. */
  complete: { from: ["Packaging"], to: "Completed" },
  /** Drives shipped back with problems, or the timers gave up waiting (shipping, return address). */
  close: { from: ["Shipping", "Transferring", "Packaging"], to: "Closed" },
  /** Operator: something needs a person before the job can go on. */
  fault: { from: ["Shipping", "Received", "Transferring", "Packaging"], to: "Faulted" },
  /** Operator: the problem is cleared; the job resumes where it stopped. */
  clearFault: { from: ["Faulted"], to: "previous" },
} as const satisfies Record<string, { from: readonly JobState[]; to: Target }>;

export type JobTransition = keyof typeof JOB_TRANSITIONS;

export const TERMINAL_JOB_STATES: readonly JobState[] = ["Completed", "Closed"];

export function isJobState(value: string): value is JobState {
  return (JOB_STATES as readonly string[]).includes(value);
}

export function canTransitionJob(from: JobState, transition: JobTransition): boolean {
  return (JOB_TRANSITIONS[transition].from as readonly JobState[]).includes(from);
}

/** The transitions allowed from a state, for error messages and the operator console. */
export function allowedJobTransitions(from: JobState): JobTransition[] {
  return (Object.keys(JOB_TRANSITIONS) as JobTransition[]).filter((t) => canTransitionJob(from, t));
}

/**
 * Returns the state a job reaches by `transition`, or throws a 409 naming the current state and
 * what it allows. `stateBeforeFault` is needed only to clear a fault.
 */
export function transitionJob(from: JobState, transition: JobTransition, stateBeforeFault?: JobState): JobState {
  if (!canTransitionJob(from, transition)) {
    throw invalidJobTransition(from, transition);
  }
  const to: Target = JOB_TRANSITIONS[transition].to;
  if (to !== "previous") return to;
  if (!stateBeforeFault || stateBeforeFault === "Faulted") {
    throw ErrorFactory.conflict("InvalidJobState", "The job has no recorded state to resume after its fault.");
  }
  return stateBeforeFault;
}

export function invalidJobTransition(from: JobState, transition: JobTransition): ServiceError {
  const allowed = allowedJobTransitions(from);
  return ErrorFactory.conflict(
    "InvalidJobStateTransition",
    `'${transition}' is not allowed for a job in state '${from}'. ` +
      (allowed.length ? `Allowed in '${from}': ${allowed.join(", ")}.` : `Nothing more can happen to a '${from}' job.`),
  );
}
