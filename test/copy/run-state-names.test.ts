/**
 * Issue 21 §2: the agent's run state is per job, not per name. The resume journal, the copy logs
 * and the incomplete-blob list of two jobs never share one: not for jobs `x_y/zz…` and `x/y_zz…`
 * (which once mapped to one journal), not for one job name in two resource groups (which once shared
 * their log blobs and incomplete list in the account).
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { sleep } from "../api/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Hex as md5, seedContainer, startCopySuite, stopCopySuite } from "../support/copy-setup";
import { agentArgs, blobNames, container, driveStatus, fetchLog, prepareDrive, randomContent, receivedJob, runCli, sourceFolder, startCli, tempDir, uniqueName } from "./helpers";
import { emptyDrive, exportArgs, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; !(await check()) && tries < 400; tries++) await sleep(25);
}

test("jobs x_y/zz… and x/y_zz… with one drive id keep separate journals (regression: a resumed import reported Completed with blobs never copied)", async () => {
  const sub = newSubscriptionId();
  const name = uniqueName("zz");
  const jobA = { sub, rg: "x_y", name };
  const jobB = { sub, rg: "x", name: `y_${name}` };
  const driveId = `SAME${name.slice(2, 8).toUpperCase()}`;
  const files = (tag: string) => Object.fromEntries(Array.from({ length: 12 }, (_, index) => [`${tag}-${String(index).padStart(2, "0")}.bin`, randomContent(128 * 1024)]));
  const filesA = files("a");
  const containerA = uniqueName("journala");
  const containerB = uniqueName("journalb");
  const a = await prepareDrive(driveTool, ["--source", sourceFolder(filesA), "--destination", containerA, "--drive-id", driveId, "--block-size", "65536"]);
  const b = await prepareDrive(driveTool, ["--source", sourceFolder(files("b")), "--destination", containerB, "--drive-id", driveId, "--block-size", "65536"]);
  await receivedJob(service, jobA, [a.entry], { logLevel: "Verbose" });
  await receivedJob(service, jobB, [b.entry]);
  const state = tempDir("state");
  const slow = ["--cap-mbps", "8", "--parallelism", "1", "--progress-interval", "100"];

  // A is stopped as soon as it has started; B after it has finished several blobs (its journal says so).
  const firstA = startCli(agent, agentArgs(service, jobA, driveId, a.drive, state, slow));
  await waitFor(async () => (await driveStatus(service, jobA, driveId)).drive.state === "Transferring");
  firstA.child.kill("SIGKILL");
  await firstA.done;
  const runB = startCli(agent, agentArgs(service, jobB, driveId, b.drive, state, slow));
  await waitFor(async () => (await blobNames(containerB)).length >= 6);
  runB.child.kill("SIGKILL");
  await runB.done;

  const resumedA = await runCli(agent, agentArgs(service, jobA, driveId, a.drive, state));

  expect(resumedA.code).toBe(0);
  expect(await blobNames(containerA)).toEqual(Object.keys(filesA).sort());
  for (const [file, content] of Object.entries(filesA)) expect(md5(await container(containerA).getBlockBlobClient(file).downloadToBuffer())).toBe(md5(content));
  const verbose = await fetchLog((await driveStatus(service, jobA, driveId)).drive.verboseLogUri);
  expect(verbose.blobs.map((blob) => blob.blobPath).sort()).toEqual(Object.keys(filesA).map((file) => `${containerA}/${file}`).sort());
}, 90_000);

test("one job name in two resource groups: each drive's errorLogUri shows its own blobs (regression: both wrote one log blob)", async () => {
  const sub = newSubscriptionId();
  const name = uniqueName("twin");
  const driveId = `TWIN${name.slice(4, 10).toUpperCase()}`;
  const jobs = [
    { sub, rg: "first", name },
    { sub, rg: "second", name },
  ];
  for (const job of jobs) {
    const containerName = uniqueName(job.rg);
    const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ [`${job.rg}-present.txt`]: "here", [`${job.rg}-missing.txt`]: "gone" }), "--destination", containerName, "--drive-id", driveId]);
    rmSync(path.join(drive, containerName, `${job.rg}-missing.txt`));
    await receivedJob(service, job, [entry]);
    const run = await runCli(agent, agentArgs(service, job, driveId, drive, tempDir("state")));
    expect(run.code).toBe(3);
  }

  for (const job of jobs) {
    const log = await fetchLog((await driveStatus(service, job, driveId)).drive.errorLogUri);
    expect(log.blobs.map((blob) => path.basename(blob.blobPath))).toEqual([`${job.rg}-missing.txt`]);
  }
});

test("one export job name in two resource groups: each incompleteBlobListUri lists its own blobs (regression: a follow-up export would take the other's)", async () => {
  const sub = newSubscriptionId();
  const name = uniqueName("xtwin");
  const jobs = [
    { sub, rg: "first", name },
    { sub, rg: "second", name },
  ];
  const left = new Map<string, string>();
  for (const job of jobs) {
    const containerName = uniqueName(`x${job.rg}`);
    // The drive holds the first blob; the second is left for the incomplete list.
    await seedContainer(containerName, { "1.bin": randomContent(40_000), "2.bin": randomContent(40_000) });
    left.set(job.rg, `${containerName}/2.bin`);
    await receivedExportJob(service, job, ["XTWIN001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } });
    const run = await runCli(agent, exportArgs(service, job, "XTWIN001", emptyDrive(), tempDir("state"), ["--capacity", String(1024 * 1024 + 60_000)]));
    expect([0, 3]).toContain(run.code);
  }

  for (const job of jobs) {
    const uri = (await driveStatus(service, job, "XTWIN001")).job.properties.incompleteBlobListUri;
    const list = await (await fetch(uri)).text();
    expect(list).toContain(left.get(job.rg));
    expect(list).not.toContain(left.get(job.rg === "first" ? "second" : "first"));
  }
});
