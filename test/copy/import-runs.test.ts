/**
 * How the agent behaves around other writers and interruptions: the three dispositions against
 * blobs already in the account, a killed agent run again (nothing half-written ever visible, nothing
 * finished copied twice), a job cancelled mid-copy (the agent stops after the blobs in flight, the
 * copied blobs stay), two agents on two drives of one job at once, and a dataset CSV with two folders.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { api, jobUrl, sleep } from "../api/helpers";
import { getJob } from "../operator/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Hex as md5, startCopySuite, stopCopySuite } from "../support/copy-setup";
import {
  agentArgs,
  blobNames,
  container,
  driveStatus,
  fetchLog,
  lastJsonLine,
  prepareDrive,
  randomContent,
  receivedJob,
  runCli,
  sourceFolder,
  startCli,
  tempDir,
  uniqueName,
} from "./helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

test.each([
  ["rename", ["existing (2).txt", "existing.txt"], "Renamed", "CompletedMoreInfo", "old"],
  ["no-overwrite", ["existing.txt"], "Skipped", "CompletedMoreInfo", "old"],
  ["overwrite", ["existing.txt"], "Overwritten", "Completed", "new"],
])("disposition %s against an existing blob", async (disposition, names, dispositionStatus, driveState, kept) => {
  const containerName = uniqueName("disp");
  await container(containerName).create();
  await container(containerName).getBlockBlobClient("existing.txt").upload("old", 3);
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "existing.txt": "new" }), "--destination", containerName, "--disposition", disposition]);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("disp") };
  await receivedJob(service, job, [entry], { logLevel: "Verbose" });

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(driveState === "Completed" ? 0 : 3);
  expect(await blobNames(containerName)).toEqual(names);
  expect((await container(containerName).getBlockBlobClient("existing.txt").downloadToBuffer()).toString()).toBe(kept);
  if (disposition === "rename") expect((await container(containerName).getBlockBlobClient("existing (2).txt").downloadToBuffer()).toString()).toBe("new");
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(status.state).toBe(driveState);
  const verbose = await fetchLog(status.verboseLogUri);
  expect(verbose.blobs[0].importDisposition).toEqual({ status: dispositionStatus, value: disposition });
});

test("an agent killed mid-copy and run again finishes the drive: no half-written blob, nothing copied twice", async () => {
  const containerName = uniqueName("resume");
  const files: Record<string, Buffer> = {};
  for (let index = 0; index < 12; index++) files[`part-${String(index).padStart(2, "0")}.bin`] = randomContent(256 * 1024);
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder(files), "--destination", containerName, "--block-size", "65536"]);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("resume") };
  await receivedJob(service, job, [entry], { logLevel: "Verbose" });
  const state = tempDir("state");

  // About 1.5 MB/s: the copy takes a couple of seconds, long enough to be killed in the middle.
  const first = startCli(agent, agentArgs(service, job, entry.driveId, drive, state, ["--cap-mbps", "12", "--parallelism", "2", "--progress-interval", "200"]));
  for (let tries = 0; (await blobNames(containerName)).length < 3 && tries < 200; tries++) await sleep(50);
  first.child.kill("SIGKILL");
  const killed = await first.done;
  expect(killed.signal).toBe("SIGKILL");
  const visible = await blobNames(containerName);
  expect(visible.length).toBeGreaterThan(0);
  expect(visible.length).toBeLessThan(12);
  for (const name of visible) expect(md5(await container(containerName).getBlockBlobClient(name).downloadToBuffer())).toBe(md5(files[name]));
  expect((await driveStatus(service, job, entry.driveId)).drive.state).toBe("Transferring");
  const before = new Map<string, string>();
  for (const name of visible) before.set(name, (await container(containerName).getBlockBlobClient(name).getProperties()).etag!);

  const second = await runCli(agent, agentArgs(service, job, entry.driveId, drive, state));

  expect(second.code).toBe(0);
  expect(await blobNames(containerName)).toEqual(Object.keys(files).sort());
  for (const [name, content] of Object.entries(files)) expect(md5(await container(containerName).getBlockBlobClient(name).downloadToBuffer())).toBe(md5(content));
  // Blobs finished before the kill were not written again.
  for (const [name, etag] of before) expect((await container(containerName).getBlockBlobClient(name).getProperties()).etag).toBe(etag);
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(status).toMatchObject({ state: "Completed", percentComplete: 100 });
  const verbose = await fetchLog(status.verboseLogUri);
  expect(verbose.blobs.map((blob) => blob.blobPath).sort()).toEqual(Object.keys(files).map((name) => `${containerName}/${name}`).sort());
  expect(verbose.blobs.every((blob) => blob.status === "Completed" && blob.importDisposition?.status === "Created")).toBe(true);
}, 60_000);

test("a job cancelled during the copy stops the agent after the blobs in flight; the copied blobs stay", async () => {
  const containerName = uniqueName("cancel");
  const files: Record<string, Buffer> = {};
  for (let index = 0; index < 20; index++) files[`f-${String(index).padStart(2, "0")}.bin`] = randomContent(128 * 1024);
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder(files), "--destination", containerName]);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("cancel") };
  await receivedJob(service, job, [entry]);

  const running = startCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state"), ["--cap-mbps", "8", "--parallelism", "1", "--progress-interval", "100"]));
  for (let tries = 0; (await blobNames(containerName)).length < 2 && tries < 200; tries++) await sleep(50);
  const cancelled = await api(service, "PATCH", jobUrl(job.sub, job.rg, job.name), { properties: { cancelRequested: true } });
  expect(cancelled.status).toBe(200);
  const run = await running.done;

  expect(run.stdout).toContain('"outcome":"Cancelled"');
  expect(run.code).toBe(5);
  const result = lastJsonLine(run.stdout);
  expect(result.outcome).toBe("Cancelled");
  const copied = await blobNames(containerName);
  expect(copied.length).toBeGreaterThanOrEqual(2);
  expect(copied.length).toBeLessThan(20);
  expect(result.summary.blobsCopied).toBe(copied.length);
  expect(result.summary.issuesByKind.Cancelled).toBe(20 - copied.length);
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(status).toMatchObject({ state: "CompletedMoreInfo", copyStatus: "Cancelled" });
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog.blobs.filter((blob) => blob.importDisposition?.status === "Cancelled")).toHaveLength(20 - copied.length);
  expect((await getJob(service, job)).properties.state).toBe("Packaging");
}, 60_000);

test("two agents copy two drives of one job at the same time", async () => {
  const containerName = uniqueName("two");
  const left: Record<string, Buffer> = { "left/a.bin": randomContent(200_000), "left/b.bin": randomContent(90_000) };
  const right: Record<string, Buffer> = { "right/c.bin": randomContent(150_000), "right/d.bin": randomContent(10) };
  const one = await prepareDrive(driveTool, ["--source", sourceFolder(left), "--destination", containerName, "--block-size", "65536"]);
  const two = await prepareDrive(driveTool, ["--source", sourceFolder(right), "--destination", containerName, "--block-size", "65536"]);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("twodrives") };
  await receivedJob(service, job, [one.entry, two.entry]);

  const [first, second] = await Promise.all([
    runCli(agent, agentArgs(service, job, one.entry.driveId, one.drive, tempDir("state"), ["--progress-interval", "50"])),
    runCli(agent, agentArgs(service, job, two.entry.driveId, two.drive, tempDir("state"), ["--progress-interval", "50"])),
  ]);

  expect([first.code, second.code]).toEqual([0, 0]);
  expect(await blobNames(containerName)).toEqual([...Object.keys(left), ...Object.keys(right)].sort());
  for (const [name, content] of Object.entries({ ...left, ...right })) expect(md5(await container(containerName).getBlockBlobClient(name).downloadToBuffer())).toBe(md5(content));
  const customer = await getJob(service, job);
  expect(customer.properties.state).toBe("Packaging");
  expect(customer.properties.percentComplete).toBe(100);
  expect(customer.properties.driveList.map((drive: { state: string }) => drive.state)).toEqual(["Completed", "Completed"]);
});

test("a dataset CSV with two source folders imports both, each to its own destination", async () => {
  const photos = uniqueName("photos");
  const docs = uniqueName("docs");
  const first = sourceFolder({ "x.jpg": "jpeg bytes", "sub/y.jpg": "more jpeg" });
  const second = sourceFolder({ "report.txt": "text" });
  const csv = path.join(tempDir("dataset"), "dataset.csv");
  writeFileSync(
    csv,
    "BasePath,DstBlobPathOrPrefix,BlobType,Disposition,MetadataFile,PropertiesFile\n" +
      `"${first}/","${photos}/2024/",BlockBlob,rename,None,None\n` +
      `"${second}/","${docs}/",BlockBlob,overwrite,None,None\n`,
  );
  const { drive, entry } = await prepareDrive(driveTool, ["--dataset", csv]);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("dataset") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")));

  expect(run.code).toBe(0);
  expect(await blobNames(photos)).toEqual(["2024/sub/y.jpg", "2024/x.jpg"]);
  expect(await blobNames(docs)).toEqual(["report.txt"]);
});
