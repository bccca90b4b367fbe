/**
 * The drive life cycle as one table of allowed transitions, pure and storage-free like the job's.
 * Every change of a drive's state, from the package arriving to the drive going back, passes here.
 */
import { StateMachine } from "./state-machine";

export const DRIVE_STATES = [
  "Specified",
  "Received",
  "NeverReceived",
  "Transferring",
  "Completed",
  "CompletedMoreInfo",
  "ShippedBack",
  "Faulted",
  "Destroyed",
] as const;
export type DriveState = (typeof DRIVE_STATES)[number];

export const DRIVE_TRANSITIONS = {
  /** The drive was in the package, or arrived later in another shipment. */
  receive: { from: ["Specified", "NeverReceived"], to: "Received" },
  /** The package arrived without this drive, or it never arrived at all. */
  markNeverReceived: { from: ["Specified"], to: "NeverReceived" },
  startTransfer: { from: ["Received"], to: "Transferring" },
  /** Copied with no errors. */
  complete: { from: ["Transferring"], to: "Completed" },
  /** Copied, with errors, warnings or overwritten-blob notes in the logs. */
  completeWithInfo: { from: ["Transferring"], to: "CompletedMoreInfo" },
  /** Received drives that were skipped (cancelled job) go back as they are. */
  shipBack: { from: ["Received", "Completed", "CompletedMoreInfo"], to: "ShippedBack" },
  fault: { from: ["Received", "Transferring"], to: "Faulted" },
  clearFault: { from: ["Faulted"], to: "resume" },
  /** Operator: a drive that could not go back (no valid return address) was destroyed securely. */
  destroy: { from: ["Received", "Completed", "CompletedMoreInfo"], to: "Destroyed" },
} as const;

export type DriveTransition = keyof typeof DRIVE_TRANSITIONS;

/** A drive in one of these states needs no more work before the job can be packaged. */
export const FINISHED_DRIVE_STATES: readonly DriveState[] = ["Completed", "CompletedMoreInfo", "NeverReceived", "ShippedBack", "Destroyed"];

const driveMachine = new StateMachine<DriveState, DriveTransition>(DRIVE_TRANSITIONS, "Faulted", {
  invalidTransitionCode: "InvalidDriveStateTransition",
  invalidResumeCode: "InvalidDriveState",
  noun: "drive",
  subject: (id) => `drive '${id}'`,
  // A drive copies only after TransferStarted (which opens its error log), and is destroyed only
  // by the operator's DrivesDestroyed on a closed job.
  resumeExcludes: ["Transferring", "Destroyed"],
});

export function transitionDrive(
  driveId: string,
  from: DriveState,
  transition: DriveTransition,
  stateBeforeFault?: DriveState,
  returnTo?: DriveState,
): DriveState {
  return driveMachine.apply(from, transition, { id: driveId, stateBeforeFault, returnTo });
}
