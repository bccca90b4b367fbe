/**
 * Issue 21 §2 through the agent itself (real processes): it claims the drive before anything
 * else. A second agent on the drive (another station, or the same one) is refused before it writes
 * anything on the drive, in the account or in its state folder, with the holder and the expiry; a
 * crashed agent's claim expires and a resume takes over; an operator can break a claim; faulting the
 * drive or breaking the claim mid-copy stops the agent promptly. The service runs on a test clock,
 * so a lease expires when the test moves it.
 */
import { existsSync, readdirSync } from "node:fs";
import { api, sleep } from "../api/helpers";
import { getHistory, getOperatorJob, JobRef, operatorJobPath } from "../operator/helpers";
import { bundleCli } from "../support/cli";
import { newSubscriptionId, startTestService, TestClock, TestService } from "../support/service";
import { stopCopySuite } from "../support/copy-setup";
import { agentArgs, blobNames, container, driveStatus, lastJsonLine, prepareDrive, randomContent, receivedJob, runCli, sourceFolder, startCli, tempDir, uniqueName } from "./helpers";
import { emptyDrive, exportArgs, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;
let driveTool: string;
const clock = new TestClock();

beforeAll(async () => {
  service = await startTestService({}, undefined, clock);
  agent = bundleCli("datacenter");
  driveTool = bundleCli("drive");
});
afterAll(() => stopCopySuite(service));

function claim(job: JobRef, driveId: string, agentId: string, leaseDuration = "PT10M") {
  return api(service, "POST", operatorJobPath(job, `/drives/${driveId}/claim`), { agentId, leaseDuration });
}

async function claimsOf(job: JobRef) {
  return (await getOperatorJob(service, job)).operator.driveClaims as { driveId: string; agentId: string; expiresAt: string }[];
}

/** An import job with one drive of `count` files, Received. */
async function importDriveReady(count = 2, size = 1000) {
  const containerName = uniqueName("claimed");
  const files = Object.fromEntries(Array.from({ length: count }, (_, index) => [`f-${String(index).padStart(2, "0")}.bin`, randomContent(size)]));
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder(files), "--destination", containerName]);
  const diagnostics = uniqueName("diag");
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("claims") };
  await receivedJob(service, job, [entry], { diagnosticsPath: diagnostics });
  return { job, drive, driveId: entry.driveId, containerName, diagnostics };
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; !(await check()) && tries < 400; tries++) await sleep(25);
}

test("an import drive claimed by another agent is refused before anything is written, naming the holder and the expiry", async () => {
  const { job, drive, driveId, containerName, diagnostics } = await importDriveReady();
  const held = await claim(job, driveId, "dock-7/4242-beef");
  expect(held.status).toBe(200);
  const state = tempDir("state");

  const run = await runCli(agent, agentArgs(service, job, driveId, drive, state, ["--station", "dock-1"]));

  expect(run.code).toBe(7);
  expect(run.stderr).toContain("dock-7/4242-beef");
  expect(run.stderr).toContain(held.body.expiresAt);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Refused", claim: { agentId: "dock-7/4242-beef", expiresAt: held.body.expiresAt } });
  // Nothing in the account (neither the logs' container nor the blobs'), nothing in the state folder.
  expect(await container(diagnostics).exists()).toBe(false);
  expect(await container(containerName).exists()).toBe(false);
  expect(readdirSync(state)).toEqual([]);
  expect((await driveStatus(service, job, driveId)).drive.state).toBe("Received");
  expect(await claimsOf(job)).toMatchObject([{ driveId, agentId: "dock-7/4242-beef", expiresAt: held.body.expiresAt }]);
});

test("an export drive claimed by another agent is refused before the agent writes on the drive", async () => {
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("xclaims") };
  await receivedExportJob(service, job, ["XCLM0001"], { blobList: { blobPathPrefix: ["/nothing-here/"] } });
  await claim(job, "XCLM0001", "dock-7/4242-beef");
  const drive = emptyDrive();

  const run = await runCli(agent, exportArgs(service, job, "XCLM0001", drive, tempDir("state")));

  expect(run.code).toBe(7);
  expect(run.stderr).toContain("dock-7/4242-beef");
  expect(existsSync(drive)).toBe(false);
});

test("two agents of one station on one drive: the second is refused while the first copies, and the first finishes", async () => {
  const { job, drive, driveId, containerName } = await importDriveReady(12, 128 * 1024);
  const first = startCli(agent, agentArgs(service, job, driveId, drive, tempDir("state"), ["--station", "dock-1", "--cap-mbps", "2", "--parallelism", "1"]));
  await waitFor(async () => (await claimsOf(job)).length === 1);
  const [holder] = await claimsOf(job);
  expect(holder.agentId).toMatch(new RegExp(`^dock-1/${first.child.pid}-[0-9a-f]+$`));

  const second = await runCli(agent, agentArgs(service, job, driveId, drive, tempDir("state"), ["--station", "dock-1"]));

  expect(second.code).toBe(7);
  expect(second.stderr).toContain(holder.agentId);
  const done = await first.done;
  expect(done.code).toBe(0);
  expect(await blobNames(containerName)).toHaveLength(12);
  expect(await claimsOf(job)).toEqual([]);
}, 60_000);

test("a crashed agent's claim expires and a resume takes over; an operator can break a claim at once", async () => {
  const { job, drive, driveId } = await importDriveReady();
  await claim(job, driveId, "crashed/999-dead", "PT1M");
  const state = tempDir("state");
  expect((await runCli(agent, agentArgs(service, job, driveId, drive, state))).code).toBe(7);

  clock.advance(61_000);
  const resumed = await runCli(agent, agentArgs(service, job, driveId, drive, state));

  expect(resumed.code).toBe(0);

  const other = await importDriveReady();
  await claim(other.job, other.driveId, "stuck/1-aa", "PT1H");
  expect((await api(service, "DELETE", operatorJobPath(other.job, `/drives/${other.driveId}/claim`))).status).toBe(200);
  expect((await runCli(agent, agentArgs(service, other.job, other.driveId, other.drive, tempDir("state")))).code).toBe(0);
});

test("faulting the drive mid-copy stops the agent promptly: no more blobs, exit 4, the drive stays Faulted (regression: it copied on, then exit 1)", async () => {
  const { job, drive, driveId, containerName } = await importDriveReady(40, 128 * 1024);
  const running = startCli(agent, agentArgs(service, job, driveId, drive, tempDir("state"), ["--cap-mbps", "4", "--parallelism", "1", "--progress-interval", "100"]));
  await waitFor(async () => (await blobNames(containerName)).length >= 2);

  const faulted = await api(service, "POST", operatorJobPath(job, "/events"), { type: "FaultDrive", driveId, reason: "pulled for inspection" });
  expect(faulted.status).toBe(200);
  const at = Date.now();
  const run = await running.done;

  expect(Date.now() - at).toBeLessThan(5_000);
  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted" });
  const copied = (await blobNames(containerName)).length;
  expect(copied).toBeLessThan(40);
  const { drive: status } = await driveStatus(service, job, driveId);
  expect(status.state).toBe("Faulted");
  const changes = (await getHistory(service, job)).filter((change) => change.driveId === driveId).map((change) => change.to);
  expect(changes).toEqual(["Received", "Transferring", "Faulted"]);
}, 60_000);

test("a claim broken and taken by another agent mid-copy stops the first agent at its next report (exit 7)", async () => {
  const { job, drive, driveId, containerName } = await importDriveReady(40, 128 * 1024);
  const running = startCli(agent, agentArgs(service, job, driveId, drive, tempDir("state"), ["--cap-mbps", "4", "--parallelism", "1", "--progress-interval", "100"]));
  await waitFor(async () => (await blobNames(containerName)).length >= 2);

  expect((await api(service, "DELETE", operatorJobPath(job, `/drives/${driveId}/claim`))).status).toBe(200);
  expect((await claim(job, driveId, "dock-9/77-aa")).status).toBe(200);
  const run = await running.done;

  expect(run.code).toBe(7);
  // Its next report names the new holder, or (a report between the break and the new claim, which a
  // 100 ms progress interval on a loaded machine can hit) says the claim it held is gone.
  expect(run.stderr).toMatch(/dock-9\/77-aa|DriveNotClaimed/);
  expect((await blobNames(containerName)).length).toBeLessThan(40);
  expect((await driveStatus(service, job, driveId)).drive.state).toBe("Transferring");
}, 60_000);
