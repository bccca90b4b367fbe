/**
 * Drive claims, pure (issue 21 §2): a lease on a drive for one copy agent, on a fixed clock. Who may
 * claim, renew, take over and act on a drive; events with an `agentId` only from the holder; an
 * event id applied once; finishing or faulting a drive lets its claim go.
 */
import { breakClaim, claimDrive } from "../../shared/domain/drive-claims";
import { findDrive, Job } from "../../shared/domain/job";
import { applyOperatorEvent, OperatorEvent } from "../../shared/domain/operator-events";
import { HOUR, operatorAt as operator, shippingImport, T0, thrown } from "../support/fixtures";

const MINUTE = 60_000;
const at = (offsetMs: number) => new Date(T0.getTime() + offsetMs);
const run = (job: Job, event: OperatorEvent, offsetMs: number): Job => applyOperatorEvent(job, event, operator(offsetMs)).job;

function receivedImport(): Job {
  return run(shippingImport(["D1", "D2"]), { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "T1", driveIds: ["D1", "D2"] }, 2 * HOUR);
}

function claimed(agentId = "dock-1/10-aa", offsetMs = 3 * HOUR): Job {
  return claimDrive(receivedImport(), "D1", { agentId, leaseMs: 2 * MINUTE }, at(offsetMs)).job;
}

test("a claim is the agent, when it was made and when it expires; the holder claiming again renews it", () => {
  const job = claimed();
  expect(findDrive(job, "D1").claim).toEqual({ agentId: "dock-1/10-aa", claimedAt: at(3 * HOUR).toISOString(), expiresAt: at(3 * HOUR + 2 * MINUTE).toISOString(), leaseMs: 2 * MINUTE });
  const renewed = claimDrive(job, "d1", { agentId: "dock-1/10-aa", leaseMs: 5 * MINUTE }, at(3 * HOUR + MINUTE)).claim;
  expect(renewed).toEqual({ agentId: "dock-1/10-aa", claimedAt: at(3 * HOUR).toISOString(), expiresAt: at(3 * HOUR + 6 * MINUTE).toISOString(), leaseMs: 5 * MINUTE });
  expect(findDrive(job, "D2").claim).toBeUndefined();
});

test("another agent is refused while the lease runs, naming holder and expiry; after it, or naming the holder it replaces, it takes over", () => {
  const job = claimed();
  const refused = thrown(() => claimDrive(job, "D1", { agentId: "dock-2/20-bb", leaseMs: MINUTE }, at(3 * HOUR + MINUTE)));
  expect([refused.status, refused.code]).toEqual([409, "DriveClaimed"]);
  expect(refused.message).toContain(`'dock-1/10-aa' until ${at(3 * HOUR + 2 * MINUTE).toISOString()}`);
  expect(thrown(() => claimDrive(job, "D1", { agentId: "dock-2/20-bb", leaseMs: MINUTE, replaces: "dock-9/1-ff" }, at(3 * HOUR))).code).toBe("DriveClaimed");
  expect(claimDrive(job, "D1", { agentId: "dock-1/11-cc", leaseMs: MINUTE, replaces: "dock-1/10-aa" }, at(3 * HOUR)).claim.agentId).toBe("dock-1/11-cc");
  expect(claimDrive(job, "D1", { agentId: "dock-2/20-bb", leaseMs: MINUTE }, at(3 * HOUR + 2 * MINUTE)).claim.agentId).toBe("dock-2/20-bb");
});

test("only a drive at the data center to be copied is claimed", () => {
  const faulted = run(receivedImport(), { type: "FaultDrive", driveId: "D1", reason: "cracked" }, 3 * HOUR);
  expect(thrown(() => claimDrive(faulted, "D1", { agentId: "a/1-aa", leaseMs: MINUTE }, at(4 * HOUR))).code).toBe("InvalidDriveState");
  expect(thrown(() => claimDrive(faulted, "D9", { agentId: "a/1-aa", leaseMs: MINUTE }, at(4 * HOUR))).code).toBe("DriveNotFound");
});

test("an agent's events need its claim: another agent's are refused, the holder's renew the lease, none after a break", () => {
  const job = claimed();
  const other = thrown(() => run(job, { type: "TransferStarted", driveId: "D1", agentId: "dock-2/20-bb" }, 3 * HOUR + MINUTE));
  expect(other.code).toBe("DriveClaimed");
  const started = run(job, { type: "TransferStarted", driveId: "D1", agentId: "dock-1/10-aa" }, 3 * HOUR + MINUTE);
  expect(findDrive(started, "D1")).toMatchObject({ state: "Transferring", claim: { expiresAt: at(3 * HOUR + 3 * MINUTE).toISOString() } });
  // Expired, and nobody took it: still the holder's, renewed by its report.
  const late = run(started, { type: "TransferProgress", driveId: "D1", bytesSucceeded: 5, percentComplete: 1, agentId: "dock-1/10-aa" }, 3 * HOUR + 10 * MINUTE);
  expect(findDrive(late, "D1").claim?.expiresAt).toBe(at(3 * HOUR + 12 * MINUTE).toISOString());
  const broken = breakClaim(late, "D1");
  expect(findDrive(broken, "D1").claim).toBeUndefined();
  expect(breakClaim(broken, "D1")).toBe(broken);
  expect(thrown(() => run(broken, { type: "TransferProgress", driveId: "D1", bytesSucceeded: 6, percentComplete: 1, agentId: "dock-1/10-aa" }, 3 * HOUR + 11 * MINUTE)).code).toBe("DriveNotClaimed");
  // An operator's own events carry no agent id and need no claim.
  expect(findDrive(run(late, { type: "TransferProgress", driveId: "D1", bytesSucceeded: 7, percentComplete: 1 }, 3 * HOUR + 11 * MINUTE), "D1").bytesSucceeded).toBe(7);
});

test("finishing or faulting the drive lets its claim go, whoever ends it", () => {
  const started = run(claimed(), { type: "TransferStarted", driveId: "D1", agentId: "dock-1/10-aa" }, 3 * HOUR + MINUTE);
  expect(findDrive(run(started, { type: "TransferFinished", driveId: "D1", outcome: "Completed", agentId: "dock-1/10-aa" }, 4 * HOUR), "D1").claim).toBeUndefined();
  const faulted = run(started, { type: "FaultDrive", driveId: "D1", reason: "pulled" }, 4 * HOUR);
  expect(findDrive(faulted, "D1")).toMatchObject({ state: "Faulted" });
  expect(findDrive(faulted, "D1").claim).toBeUndefined();
  // The agent's next report meets the drive's state, not a claim.
  expect(thrown(() => run(faulted, { type: "TransferProgress", driveId: "D1", bytesSucceeded: 1, percentComplete: 1, agentId: "dock-1/10-aa" }, 4 * HOUR)).code).toBe("InvalidDriveState");
});

test("an event id is applied once: the repeat answers the job as it is, even once the state moved on", () => {
  const job = claimed();
  const event: OperatorEvent = { type: "TransferStarted", driveId: "D1", agentId: "dock-1/10-aa", eventId: "e-1" };
  const first = applyOperatorEvent(job, event, operator(3 * HOUR + MINUTE));
  const again = applyOperatorEvent(first.job, event, operator(3 * HOUR + 2 * MINUTE));
  expect(again).toEqual({ job: first.job, blobWrites: [], notices: [], repeated: true });
  const finished = run(first.job, { type: "TransferFinished", driveId: "D1", outcome: "Completed", agentId: "dock-1/10-aa" }, 4 * HOUR);
  expect(applyOperatorEvent(finished, event, operator(5 * HOUR)).repeated).toBe(true);
  // Only the latest ids are kept.
  let many = first.job;
  for (let index = 0; index < 40; index++) many = run(many, { type: "TransferProgress", driveId: "D1", bytesSucceeded: index, percentComplete: 1, eventId: `p-${index}` }, 3 * HOUR + 3 * MINUTE);
  expect(many.appliedEventIds).toHaveLength(32);
  expect(many.appliedEventIds?.[31]).toBe("p-39");
});
