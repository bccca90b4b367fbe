/**
 * The copy agent asks the linked access check again before it touches a job's account (issue 20,
 * item 1): here the account's subscription moves to another tenant after the job was made, as ARM's
 * lifecycle notification says, so the job's tenant no longer owns the account. The agent faults the
 * drive with `LinkedAuthorizationFailed`, and neither the account nor the drive is touched: no blob
 * written, no log written for the job, nothing on the export drive.
 *
 * Its own subscriptions table (SUBSCRIPTIONS_TABLE_NAME), since it moves demostore's subscription.
 */
import { existsSync, readdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { DEMOSTORE_SUBSCRIPTION } from "../../devhost/azurite";
import { getServices } from "../../shared/app/services";
import { DEV_TENANT } from "../../shared/auth/authenticator";
import { getHistory } from "../operator/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { bundleCli } from "../support/cli";
import { seedContainer } from "../support/copy-setup";
import { newSubscriptionId, startTestService, TestService } from "../support/service";
import { emptyDrive, exportArgs, receivedExportJob } from "./export-helpers";
import { agentArgs, demostore, lastJsonLine, prepareDrive, receivedJob, removeTempDirs, runCli, sourceFolder, tempDir, uniqueName } from "./helpers";

let service: TestService;
let agent: string;
let driveTool: string;
const victim = uniqueName("victim");

/**
 * demostore as the agent could have changed it: every blob of the seeded container with its etag,
 * and every blob anywhere named for one of this file's jobs (their logs). Other suites use demostore
 * at the same time, so its other containers are theirs to change.
 */
async function snapshotOfDemostore(): Promise<string> {
  const lines: string[] = [];
  for await (const blob of demostore().getContainerClient(victim).listBlobsFlat()) lines.push(`${blob.name} ${blob.properties.etag}`);
  for await (const item of demostore().listContainers()) {
    for await (const blob of demostore().getContainerClient(item.name).listBlobsFlat()) {
      if (jobNames.some((name) => blob.name.includes(name))) lines.push(`${item.name}/${blob.name}`);
    }
  }
  return lines.join("\n");
}

const jobNames: string[] = [];
function newJob(prefix: string) {
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName(prefix) };
  jobNames.push(job.name);
  return job;
}

beforeAll(async () => {
  service = await startTestService({ ...uniqueStorageNames(), SUBSCRIPTIONS_TABLE_NAME: `msubs${randomBytes(5).toString("hex")}` });
  agent = bundleCli("datacenter");
  driveTool = bundleCli("drive");
  await seedContainer(victim, { "private/secret.txt": Buffer.from("the owner's secret"), "private/other.txt": Buffer.from("more") });
});
afterAll(async () => {
  await service.close();
  removeTempDirs();
});

/** ARM says demostore's subscription now belongs to another tenant. */
async function moveDemostoreSubscription(tenantId: string): Promise<void> {
  await (await getServices()).subscriptions.notify(DEMOSTORE_SUBSCRIPTION, { state: "Registered", tenantId });
}

test("import: the account's subscription moved to another tenant; the drive is faulted LinkedAuthorizationFailed, nothing written", async () => {
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "secret.txt": "the intruder's version" }), "--destination", `${victim}/private`]);
  const job = newJob("moved");
  await receivedJob(service, job, [entry]);
  await moveDemostoreSubscription("tenant-that-now-owns-it");
  const before = await snapshotOfDemostore();

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "LinkedAuthorizationFailed" });
  const fault = (await getHistory(service, job)).find((change) => change.to === "Faulted");
  expect(fault?.reason).toMatch(/^LinkedAuthorizationFailed: .*demostore/);
  expect(await snapshotOfDemostore()).toBe(before);
  await moveDemostoreSubscription(DEV_TENANT);
});

test("import: the job's own subscription moved to a tenant that does not own the account; refused the same way", async () => {
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "secret.txt": "the new owner's version" }), "--destination", `${victim}/private`]);
  const job = newJob("jobmoved");
  await receivedJob(service, job, [entry]);
  // The job's subscription (and with it the job) now belongs to another tenant; demostore does not.
  await (await getServices()).subscriptions.notify(job.sub, { state: "Registered", tenantId: "tenant-the-job-moved-to" });
  const before = await snapshotOfDemostore();

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "LinkedAuthorizationFailed" });
  expect(await snapshotOfDemostore()).toBe(before);
});

test("export: the same refusal, and the drive stays empty", async () => {
  const job = newJob("movedexp");
  const driveId = "MOVEDEXP01";
  await receivedExportJob(service, job, [driveId], { blobList: { blobPathPrefix: [`/${victim}/`] } });
  await moveDemostoreSubscription("tenant-that-now-owns-it");
  const before = await snapshotOfDemostore();
  const drive = emptyDrive();

  const run = await runCli(agent, exportArgs(service, job, driveId, drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "LinkedAuthorizationFailed" });
  expect(existsSync(drive) ? readdirSync(drive) : []).toEqual([]);
  expect(await snapshotOfDemostore()).toBe(before);
  await moveDemostoreSubscription(DEV_TENANT);
});
