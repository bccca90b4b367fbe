/**
 * The drive life cycle as one table of allowed transitions, pure and storage-free like the job's.
 * Every change of a drive's state, from the package arriving to the drive going back, passes here.
 */
import { ErrorFactory, ServiceError } from "./errors";

export const DRIVE_STATES = [
  "Specified",
  "Received",
  "NeverReceived",
  "Transferring",
  "Completed",
  "CompletedMoreInfo",
  "ShippedBack",
  "Faulted",
] as const;
export type DriveState = (typeof DRIVE_STATES)[number];

type Target = DriveState | "previous";

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
  clearFault: { from: ["Faulted"], to: "previous" },
} as const satisfies Record<string, { from: readonly DriveState[]; to: Target }>;

export type DriveTransition = keyof typeof DRIVE_TRANSITIONS;

/** A drive in one of these states needs no more work before the job can be packaged. */
export const FINISHED_DRIVE_STATES: readonly DriveState[] = ["Completed", "CompletedMoreInfo", "NeverReceived", "ShippedBack"];

export function isDriveState(value: string): value is DriveState {
  return (DRIVE_STATES as readonly string[]).includes(value);
}

export function canTransitionDrive(from: DriveState, transition: DriveTransition): boolean {
  return (DRIVE_TRANSITIONS[transition].from as readonly DriveState[]).includes(from);
}

export function allowedDriveTransitions(from: DriveState): DriveTransition[] {
  return (Object.keys(DRIVE_TRANSITIONS) as DriveTransition[]).filter((t) => canTransitionDrive(from, t));
}

export function transitionDrive(
  driveId: string,
  from: DriveState,
  transition: DriveTransition,
  stateBeforeFault?: DriveState,
): DriveState {
  if (!canTransitionDrive(from, transition)) throw invalidDriveTransition(driveId, from, transition);
  const to: Target = DRIVE_TRANSITIONS[transition].to;
  if (to !== "previous") return to;
  if (!stateBeforeFault || stateBeforeFault === "Faulted") {
    throw ErrorFactory.conflict("InvalidDriveState", `Drive '${driveId}' has no recorded state to resume after its fault.`);
  }
  return stateBeforeFault;
}

export function invalidDriveTransition(driveId: string, from: DriveState, transition: DriveTransition): ServiceError {
  const allowed = allowedDriveTransitions(from);
  return ErrorFactory.conflict(
    "InvalidDriveStateTransition",
    `'${transition}' is not allowed for drive '${driveId}' in state '${from}'. ` +
      (allowed.length ? `Allowed in '${from}': ${allowed.join(", ")}.` : `Nothing more can happen to a '${from}' drive.`),
    driveId,
  );
}
