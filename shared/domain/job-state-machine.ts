/**
 * The job life cycle as one table of allowed transitions. Pure and storage-free: customers, operators
 * and the maintenance timers all change a job's state through `transitionJob`, so the rules of the
 * service can be read in one screen.
 */
import { StateMachine } from "./state-machine";

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
  /** Operator: the problem is cleared; the job resumes where it stopped, or where that state leads. */
  clearFault: { from: ["Faulted"], to: "resume" },
} as const;

export type JobTransition = keyof typeof JOB_TRANSITIONS;

const jobMachine = new StateMachine<JobState, JobTransition>(JOB_TRANSITIONS, "Faulted", {
  invalidTransitionCode: "InvalidJobStateTransition",
  invalidResumeCode: "InvalidJobState",
  noun: "job",
  subject: () => "a job",
  // A job that faulted ends Closed, never Completed; Transferring needs a drive to start copying.
  resumeExcludes: ["Completed", "Transferring"],
});

/**
 * Returns the state a job reaches by `transition`, or throws a 409 naming the current state and
 * what it allows. Clearing a fault needs `stateBeforeFault`, and may name a `returnTo` state.
 */
export function transitionJob(from: JobState, transition: JobTransition, stateBeforeFault?: JobState, returnTo?: JobState): JobState {
  return jobMachine.apply(from, transition, { stateBeforeFault, returnTo });
}
