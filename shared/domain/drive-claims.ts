/**
 * One copy agent per drive. An agent claims a drive before it touches it: a lease with the agent's
 * identity and an expiry on the service's clock, kept on the drive in the job's document (so it is
 * written with the job's ETag, like everything else about the drive). The holder's progress renews
 * the lease; a second agent is refused while the lease runs, with the holder and the expiry; an
 * expired claim may be taken over (its agent crashed); an operator may break one. A claim is not a
 * state: the drive's state still changes only through the drive state machine.
 *
 * Events that carry an `agentId` come from an agent and must come from the holder; an event without
 * one is an operator's own word and is taken as such (an operator faulting a drive mid-copy stops its
 * agent, whose next report is then refused).
 */
import { ErrorFactory } from "./errors";
import { findDrive, Job } from "./job";
import type { DriveState } from "./drive-state-machine";

export interface DriveClaim {
  agentId: string;
  claimedAt: string;
  expiresAt: string;
  /** The lease the agent asked for: each renewal runs this long from the service's now. */
  leaseMs: number;
}

export interface ClaimRequest {
  agentId: string;
  leaseMs: number;
  /**
   * The holder the claimant knows to be gone (its own station's crashed run): taken over even while
   * its lease runs. Any other holder is refused.
   */
  replaces?: string;
}

/** Shortest and longest lease: a test may shrink it to a second; a day is more than any renewal gap. */
export const MIN_LEASE_MS = 1_000;
export const MAX_LEASE_MS = 86_400_000;

/** A drive is claimed to be copied: only while it is at the data center for that. */
export const CLAIMABLE_DRIVE_STATES: readonly DriveState[] = ["Received", "Transferring"];

/** The agent identities the service accepts: `<station>/<run>` as the agent makes them, or any such token. */
export const AGENT_ID = /^[A-Za-z0-9._-]{1,64}(\/[A-Za-z0-9._-]{1,64})?$/;

export function isClaimLive(claim: DriveClaim | undefined, now: Date): claim is DriveClaim {
  return !!claim && now.toISOString() < claim.expiresAt;
}

/** Claims the drive for the agent (or renews its own claim); the job with the claim, and the claim. */
export function claimDrive(job: Job, driveId: string, request: ClaimRequest, now: Date): { job: Job; claim: DriveClaim } {
  const drive = findDrive(job, driveId);
  if (!CLAIMABLE_DRIVE_STATES.includes(drive.state)) {
    throw ErrorFactory.conflict("InvalidDriveState", `Drive '${drive.driveId}' is '${drive.state}'; a drive is claimed for copying only while it is 'Received' or 'Transferring'.`, drive.driveId);
  }
  const held = drive.claim;
  if (held && held.agentId !== request.agentId && held.agentId !== request.replaces && isClaimLive(held, now)) throw claimedBy(job, drive.driveId, held);
  const renewing = held?.agentId === request.agentId;
  const claim: DriveClaim = {
    agentId: request.agentId,
    claimedAt: renewing ? held.claimedAt : now.toISOString(),
    expiresAt: new Date(now.getTime() + request.leaseMs).toISOString(),
    leaseMs: request.leaseMs,
  };
  return { job: withClaim(job, drive.driveId, claim), claim };
}

/** An operator breaks the claim: the holder's next event is refused. Breaking no claim is no change. */
export function breakClaim(job: Job, driveId: string): Job {
  const drive = findDrive(job, driveId);
  return drive.claim ? withClaim(job, drive.driveId, undefined) : job;
}

/**
 * An agent's event on a drive: refused unless the agent holds the drive's claim (live, or expired
 * with nobody having taken it over); the holder's lease runs again from now.
 */
export function checkAgentEvent(job: Job, driveId: string, agentId: string, now: Date): Job {
  const drive = findDrive(job, driveId);
  // A drive no longer being copied (an operator faulted it) has no claim: the event's own rules refuse it.
  if (!CLAIMABLE_DRIVE_STATES.includes(drive.state)) return job;
  const held = drive.claim;
  if (!held) {
    throw ErrorFactory.conflict(
      "DriveNotClaimed",
      `Agent '${agentId}' does not hold a claim on drive '${drive.driveId}' of job '${job.key.name}' (an operator broke it, or it was never made): the agent must stop.`,
      drive.driveId,
    );
  }
  if (held.agentId !== agentId) throw claimedBy(job, drive.driveId, held);
  return withClaim(job, drive.driveId, { ...held, expiresAt: new Date(now.getTime() + held.leaseMs).toISOString() });
}

/** The drive is no longer copied (finished, faulted): its claim goes with it. */
export function releaseClaim(job: Job, driveId: string): Job {
  return breakClaim(job, driveId);
}

function claimedBy(job: Job, driveId: string, claim: DriveClaim) {
  return ErrorFactory.conflict(
    "DriveClaimed",
    `Drive '${driveId}' of job '${job.key.name}' is claimed by agent '${claim.agentId}' until ${claim.expiresAt}: another agent is copying it. ` +
      "Wait for the claim to expire, or have an operator break it (DELETE …/drives/{driveId}/claim) if that agent is gone.",
    driveId,
  );
}

function withClaim(job: Job, driveId: string, claim: DriveClaim | undefined): Job {
  return { ...job, drives: job.drives.map((drive) => (drive.driveId === driveId ? { ...drive, claim } : drive)) };
}
