/**
 * Issue 21 §2: one copy agent per drive. An agent claims the drive through the operator API (a
 * lease with its identity and an expiry, on the service's clock); another agent is refused with the
 * holder and the expiry; the holder's progress renews the lease; an expired claim can be taken over;
 * an operator can break a claim; events from an agent that does not hold the claim are refused.
 * Agent events carry an id, so a retried event is applied once. Jobs carry an immutable creation id.
 * The service runs on a test clock: leases expire when the test moves it.
 */
import { createJob, expectArmError } from "../api/helpers";
import { api, jobUrl } from "../api/helpers";
import { driveSpec, importJobBody, newSubscriptionId, startTestService, TestClock, TestService } from "../support/service";
import { Body, driveOf, event, getHistory, getJob, getOperatorJob, JobRef, markShipping, operatorJobPath, PACKAGE, postEvent } from "./helpers";

let service: TestService;
const clock = new TestClock();
beforeAll(async () => {
  service = await startTestService({}, undefined, clock);
});
afterAll(() => service.close());

const RG = "claims-rg";
const DRIVE = "DRIVE01";
let counter = 0;

async function receivedJob(): Promise<JobRef> {
  const job = { sub: newSubscriptionId(), rg: RG, name: `claims-${++counter}` };
  await createJob(service, job.sub, RG, job.name, importJobBody(job.sub, { properties: { driveList: [driveSpec(DRIVE), driveSpec("DRIVE02")] } }));
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: [DRIVE, "DRIVE02"] });
  return job;
}

function claim(job: JobRef, body: Record<string, unknown>, driveId = DRIVE) {
  return api(service, "POST", operatorJobPath(job, `/drives/${driveId}/claim`), body);
}

function breakClaim(job: JobRef, driveId = DRIVE) {
  return api(service, "DELETE", operatorJobPath(job, `/drives/${driveId}/claim`));
}

function claimsOf(job: Body): Body[] {
  return job.operator.driveClaims;
}

test("a claim is a lease with the agent's identity and an expiry on the service's clock; another agent is refused with both", async () => {
  const job = await receivedJob();
  const now = clock.now();

  const granted = await claim(job, { agentId: "station-a/101-aa", leaseDuration: "PT2M" });

  expect(granted.status).toBe(200);
  expect(granted.body).toEqual({ driveId: DRIVE, agentId: "station-a/101-aa", claimedAt: now.toISOString(), expiresAt: new Date(now.getTime() + 120_000).toISOString(), leaseDuration: "PT2M" });
  const refused = await claim(job, { agentId: "station-b/202-bb", leaseDuration: "PT2M" });
  expectArmError(refused, 409, "DriveClaimed");
  expect(refused.body.error.message).toContain("station-a/101-aa");
  expect(refused.body.error.message).toContain(granted.body.expiresAt);
  // The same agent claiming again renews its lease.
  clock.advance(30_000);
  const renewed = await claim(job, { agentId: "station-a/101-aa", leaseDuration: "PT2M" });
  expect(renewed.body.expiresAt).toBe(new Date(now.getTime() + 150_000).toISOString());
  // Operators see the claim; the customer's Get Job does not.
  expect(claimsOf(await getOperatorJob(service, job))).toEqual([{ driveId: DRIVE, agentId: "station-a/101-aa", claimedAt: now.toISOString(), expiresAt: renewed.body.expiresAt }]);
  expect(JSON.stringify(await getJob(service, job))).not.toContain("station-a");
  // Another drive of the job is another claim.
  expect((await claim(job, { agentId: "station-b/202-bb", leaseDuration: "PT2M" }, "DRIVE02")).status).toBe(200);
});

test("a claim's lease and agent id are checked; a drive that is not at the data center to copy cannot be claimed", async () => {
  const job = await receivedJob();
  for (const body of [{ agentId: "a/1", leaseDuration: "2 minutes" }, { agentId: "a/1", leaseDuration: "P30D" }, { agentId: "a/1", leaseDuration: "PT0S" }, { agentId: "a b", leaseDuration: "PT1M" }, { leaseDuration: "PT1M" }]) {
    expect((await claim(job, body)).status).toBe(400);
  }
  await event(service, job, { type: "FaultDrive", driveId: DRIVE, reason: "broken" });
  expectArmError(await claim(job, { agentId: "a/1", leaseDuration: "PT1M" }), 409, "InvalidDriveState");
  expectArmError(await claim(job, { agentId: "a/1", leaseDuration: "PT1M" }, "NOSUCHDRIVE"), 400, "DriveNotFound");
});

test("events from an agent that does not hold the claim are refused; the holder's progress renews its lease", async () => {
  const job = await receivedJob();
  await claim(job, { agentId: "holder/1-aa", leaseDuration: "PT1M" });

  expectArmError(await postEvent(service, job, { type: "TransferStarted", driveId: DRIVE, agentId: "other/2-bb" }), 409, "DriveClaimed");
  expect(driveOf(await getJob(service, job), DRIVE).state).toBe("Received");
  expect((await postEvent(service, job, { type: "TransferStarted", driveId: DRIVE, agentId: "holder/1-aa" })).status).toBe(200);

  clock.advance(50_000);
  await event(service, job, { type: "TransferProgress", driveId: DRIVE, bytesSucceeded: 10, percentComplete: 1, agentId: "holder/1-aa" });
  const [renewed] = claimsOf(await getOperatorJob(service, job));
  expect(renewed.expiresAt).toBe(new Date(clock.now().getTime() + 60_000).toISOString());
  expectArmError(await postEvent(service, job, { type: "TransferProgress", driveId: DRIVE, bytesSucceeded: 20, percentComplete: 2, agentId: "other/2-bb" }), 409, "DriveClaimed");
  expectArmError(await postEvent(service, job, { type: "FaultDrive", driveId: DRIVE, reason: "not mine", agentId: "other/2-bb" }), 409, "DriveClaimed");

  // Finishing lets the claim go.
  await event(service, job, { type: "TransferFinished", driveId: DRIVE, outcome: "Completed", agentId: "holder/1-aa" });
  expect(claimsOf(await getOperatorJob(service, job))).toEqual([]);
});

test("an expired claim is taken over, and the old holder is then refused; a live one is taken over only by naming its holder", async () => {
  const job = await receivedJob();
  await claim(job, { agentId: "crashed/1-aa", leaseDuration: "PT1M" });
  await event(service, job, { type: "TransferStarted", driveId: DRIVE, agentId: "crashed/1-aa" });

  expectArmError(await claim(job, { agentId: "resume/2-bb", leaseDuration: "PT1M", replaces: "someone/9-ff" }), 409, "DriveClaimed");
  expect((await claim(job, { agentId: "resume/2-bb", leaseDuration: "PT1M", replaces: "crashed/1-aa" })).status).toBe(200);
  clock.advance(61_000);
  expect(claimsOf(await getOperatorJob(service, job))[0].expiresAt < clock.now().toISOString()).toBe(true);
  const takeover = await claim(job, { agentId: "third/3-cc", leaseDuration: "PT1M" });
  expect(takeover.status).toBe(200);

  expectArmError(await postEvent(service, job, { type: "TransferProgress", driveId: DRIVE, bytesSucceeded: 1, percentComplete: 1, agentId: "resume/2-bb" }), 409, "DriveClaimed");
  expect((await postEvent(service, job, { type: "TransferProgress", driveId: DRIVE, bytesSucceeded: 1, percentComplete: 1, agentId: "third/3-cc" })).status).toBe(200);
});

test("an operator breaks a claim: the holder's next event is refused, another agent may claim", async () => {
  const job = await receivedJob();
  await claim(job, { agentId: "stuck/1-aa", leaseDuration: "PT1H" });
  await event(service, job, { type: "TransferStarted", driveId: DRIVE, agentId: "stuck/1-aa" });

  const broken = await breakClaim(job);

  expect(broken.status).toBe(200);
  expect(claimsOf(broken.body)).toEqual([]);
  expect((await breakClaim(job)).status).toBe(200);
  expectArmError(await postEvent(service, job, { type: "TransferProgress", driveId: DRIVE, bytesSucceeded: 1, percentComplete: 1, agentId: "stuck/1-aa" }), 409, "DriveNotClaimed");
  expect((await claim(job, { agentId: "fresh/2-bb", leaseDuration: "PT1M" })).status).toBe(200);
  // An operator's own event (no agent id) is the operator's word: faulting the drive lets the claim go.
  await event(service, job, { type: "FaultDrive", driveId: DRIVE, reason: "pulled for inspection" });
  expect(claimsOf(await getOperatorJob(service, job))).toEqual([]);
  expectArmError(await postEvent(service, job, { type: "TransferProgress", driveId: DRIVE, bytesSucceeded: 2, percentComplete: 2, agentId: "fresh/2-bb" }), 409, "InvalidDriveState");
});

test("an agent event sent twice with one event id is applied once", async () => {
  const job = await receivedJob();
  await claim(job, { agentId: "retry/1-aa", leaseDuration: "PT1M" });
  const started = { type: "TransferStarted", driveId: DRIVE, agentId: "retry/1-aa", eventId: "0f1e2d3c-0000-4000-8000-000000000001" };
  const finished = { type: "TransferFinished", driveId: DRIVE, outcome: "Completed", agentId: "retry/1-aa", eventId: "0f1e2d3c-0000-4000-8000-000000000002" };

  for (const body of [started, started, finished, finished]) expect((await postEvent(service, job, body)).status).toBe(200);

  const changes = (await getHistory(service, job)).filter((change) => change.driveId === DRIVE).map((change) => change.to);
  expect(changes).toEqual(["Received", "Transferring", "Completed"]);
  // Without an id a repeat is a second event, refused by the state machine as before.
  expect((await postEvent(service, job, { ...finished, eventId: undefined })).status).toBe(409);
});

test("a job carries a creation id of its own: a job re-created under the same name gets a new one", async () => {
  const sub = newSubscriptionId();
  const job = { sub, rg: RG, name: "recreated" };
  await createJob(service, sub, RG, job.name, importJobBody(sub));
  const first = (await getOperatorJob(service, job)).operator.creationId;
  expect(first).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{16}$/);
  // An update keeps it.
  await markShipping(service, job);
  expect((await getOperatorJob(service, job)).operator.creationId).toBe(first);
  expect(JSON.stringify(await getJob(service, job))).not.toContain(first);

  const other = { sub, rg: RG, name: "recreated-too" };
  await createJob(service, sub, RG, other.name, importJobBody(sub));
  expect(await api(service, "DELETE", jobUrl(sub, RG, other.name))).toMatchObject({ status: 200 });
  await createJob(service, sub, RG, other.name, importJobBody(sub));
  const recreated = (await getOperatorJob(service, other)).operator.creationId;
  await api(service, "DELETE", jobUrl(sub, RG, other.name));
  await createJob(service, sub, RG, other.name, importJobBody(sub));
  expect((await getOperatorJob(service, other)).operator.creationId).not.toBe(recreated);
});
