/**
 * The agent's claim on its drive, made before it writes anything anywhere (the drive, the customer's
 * account, its own state folder): a second agent on the drive is refused here, with the holder and
 * the expiry. A run of this station that crashed is taken over at once (the station sees that its
 * process is gone); any other holder's claim must expire, or an operator must break it.
 *
 * During the copy, the service refusing the agent's progress (the claim was broken or taken, the
 * drive faulted, the job faulted) stops the copy: `CopyHalted` carries the refusal.
 */
import { AgentIdentity, isGoneRunOfStation } from "./agent-identity";
import { DriveClaimView, JobRef, OperatorApiError, OperatorClient } from "./operator-client";

export interface ClaimSettings {
  agent: AgentIdentity;
  /** ISO-8601, as the service takes it. */
  leaseDuration: string;
}

export type ClaimOutcome = { claimed: true } | { claimed: false; reason: string; holder?: DriveClaimView };

/** Refusal codes that mean another agent has, or may take, the drive. */
export const CLAIM_LOST_CODES = ["DriveClaimed", "DriveNotClaimed"];

export async function claimDrive(request: { job: JobRef; operator: OperatorClient; claim: ClaimSettings }, driveId: string): Promise<ClaimOutcome> {
  const { operator, claim } = request;
  try {
    await operator.claim(request.job, driveId, claim.leaseDuration);
    return { claimed: true };
  } catch (error) {
    if (!(error instanceof OperatorApiError) || error.code !== "DriveClaimed") throw error;
    const holder = await holderOf(request, driveId);
    if (holder && isGoneRunOfStation(holder.agentId, claim.agent)) {
      try {
        await operator.claim(request.job, driveId, claim.leaseDuration, holder.agentId);
        return { claimed: true };
      } catch (again) {
        if (!(again instanceof OperatorApiError) || again.code !== "DriveClaimed") throw again;
        return { claimed: false, reason: again.message, holder: await holderOf(request, driveId) };
      }
    }
    return { claimed: false, reason: error.message, holder };
  }
}

/** The drive's claim as the operator API shows it, if any. */
export async function holderOf(request: { job: JobRef; operator: OperatorClient }, driveId: string): Promise<DriveClaimView | undefined> {
  const job = await request.operator.getJob(request.job);
  return job.operator.driveClaims?.find((claim) => claim.driveId.toUpperCase() === driveId.toUpperCase());
}

/** The service refused the copy's progress: the claim is gone, or the drive or job left the copy. */
export class CopyHalted extends Error {
  constructor(readonly refusal: OperatorApiError) {
    super(refusal.message);
    this.name = "CopyHalted";
  }
}
