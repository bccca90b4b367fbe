/**
 * Export around interruptions and other writers: a killed agent run again (every file it journaled
 * whole and not written again, no partial file left under a blob's name), a blob deleted and one
 * changed while the drive fills (blob errors in the log, no file of theirs left on the drive, the
 * drive CompletedMoreInfo, the rest exported), and
 * Create's check of `blobListBlobPath`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { api, expectArmError, jobUrl, sleep } from "../api/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Hex as md5, seedContainer as seed, startCopySuite, stopCopySuite } from "../support/copy-setup";
import { container, driveStatus, fetchLog, lastJsonLine, randomContent, runCli, startCli, tempDir, uniqueName } from "./helpers";
import { CopyJournal } from "../../shared/datacenter-agent/copy-journal";
import { driveFiles, emptyDrive, exportArgs, exportJob, readManifest, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;

beforeAll(async () => ({ service, agent } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

test("an agent killed mid-export and run again finishes the drive: no partial file under a blob's name, finished files kept as they were", async () => {
  const containerName = uniqueName("xresume");
  const blobs: Record<string, Buffer> = {};
  for (let index = 0; index < 12; index++) blobs[`part-${String(index).padStart(2, "0")}.bin`] = randomContent(256 * 1024);
  await seed(containerName, blobs);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("xresume") };
  await receivedExportJob(service, job, ["EXPR0001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } });
  const drive = emptyDrive();
  const state = tempDir("state");
  const exported = () => driveFiles(drive);

  // About 1.5 MB/s: long enough to be killed in the middle.
  const first = startCli(agent, exportArgs(service, job, "EXPR0001", drive, state, ["--cap-mbps", "12", "--parallelism", "2", "--progress-interval", "200"]));
  for (let tries = 0; exported().length < 4 && tries < 300; tries++) await sleep(50);
  first.child.kill("SIGKILL");
  expect((await first.done).signal).toBe("SIGKILL");
  const before = exported();
  expect(before.length).toBeGreaterThanOrEqual(4);
  expect(before.length).toBeLessThan(12);
  // Finished is what the journal holds. A file is at its name from its creation, and journaled just
  // after it is written: the kill can fall in between (on a busy machine, the agent is descheduled
  // there), so at most one file per worker (--parallelism 2) can be unfinished, and is written again.
  const finished = journaledFiles(state);
  expect(finished.size).toBeGreaterThanOrEqual(2);
  expect(before.filter((file) => !finished.has(file)).length).toBeLessThanOrEqual(2);
  for (const file of finished) expect(md5(readFileSync(path.join(drive, ...file.split("/"))))).toBe(md5(blobs[file.split("/")[1]]));
  const written = new Map([...finished].map((file) => [file, statSync(path.join(drive, ...file.split("/"))).mtimeMs]));
  expect((await driveStatus(service, job, "EXPR0001")).drive.state).toBe("Transferring");

  const second = await runCli(agent, exportArgs(service, job, "EXPR0001", drive, state));

  expect(second.code).toBe(0);
  expect(driveFiles(drive)).toEqual(Object.keys(blobs).map((name) => `${containerName}/${name}`));
  for (const name of Object.keys(blobs)) expect(md5(readFileSync(path.join(drive, containerName, name)))).toBe(md5(blobs[name]));
  for (const [file, mtime] of written) expect(statSync(path.join(drive, ...file.split("/"))).mtimeMs).toBe(mtime);
  expect(readManifest(drive).blobLists[0].blobs).toHaveLength(12);
  const { drive: status } = await driveStatus(service, job, "EXPR0001");
  expect(status).toMatchObject({ state: "Completed", bytesSucceeded: 12 * 256 * 1024 });
});

/** What a killed run leaves for a blob before its journal holds it: its file, short, at its name, and its properties file. */
function plantKilledRunLeftovers(drive: string, containerName: string, name: string): { file: string; properties: string; metadata: string } {
  const file = path.join(drive, containerName, name);
  const properties = path.join(drive, "_ImportExport", containerName, `${name}.properties.xml`);
  // A metadata file too, though the blob has no metadata now: it may have had some when the killed run listed it.
  const metadata = path.join(drive, "_ImportExport", containerName, `${name}.metadata.xml`);
  for (const [at, text] of [
    [file, "torn"],
    [properties, "<Properties>"],
    [metadata, "<Metadata>"],
  ]) {
    mkdirSync(path.dirname(at), { recursive: true });
    writeFileSync(at, text);
  }
  return { file, properties, metadata };
}

/** The blobs the agent's journal (in its state folder, one drive's) records as exported. */
function journaledFiles(state: string): Set<string> {
  const [file] = readdirSync(state).filter((name) => name.endsWith(".jsonl"));
  const entries = CopyJournal.at(state, file.slice(0, -".jsonl".length)).read();
  return new Set([...entries.values()].filter((entry) => entry.log.status === "Completed").map((entry) => entry.log.blobPath));
}

test("a blob deleted and one overwritten during the export: blob errors in the log, the drive CompletedMoreInfo, the others exported", async () => {
  const containerName = uniqueName("xchange");
  const blobs: Record<string, Buffer> = {};
  for (let index = 0; index < 10; index++) blobs[`f${index}.bin`] = randomContent(200 * 1024);
  await seed(containerName, blobs);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("xchange") };
  await receivedExportJob(service, job, ["EXPC0001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } });
  const drive = emptyDrive();
  // f8 is gone when the run resumes, so what a killed run left for it may not stay on the drive.
  const { properties: leftoverProperties, metadata: leftoverMetadata } = plantKilledRunLeftovers(drive, containerName, "f8.bin");

  const run = startCli(agent, exportArgs(service, job, "EXPC0001", drive, tempDir("state"), ["--cap-mbps", "8", "--parallelism", "1"]));
  for (let tries = 0; (await driveStatus(service, job, "EXPC0001")).drive.state !== "Transferring" && tries < 300; tries++) await sleep(50);
  await container(containerName).getBlockBlobClient("f8.bin").delete();
  await container(containerName).getBlockBlobClient("f9.bin").upload("changed", 7);
  const done = await run.done;

  expect(done.code).toBe(3);
  expect(lastJsonLine(done.stdout).summary).toEqual({ blobsCopied: 8, issuesByKind: { BlobUnexpectedChange: 2 } });
  expect(driveFiles(drive)).toEqual(Object.keys(blobs).slice(0, 8).map((name) => `${containerName}/${name}`));
  expect(existsSync(leftoverProperties)).toBe(false);
  expect(existsSync(leftoverMetadata)).toBe(false);
  // The partial files were under short names of their own, in a folder gone once the drive is done.
  expect(readdirSync(path.join(drive, "_ImportExport"))).not.toContain(".partial");
  expect(readManifest(drive).blobLists[0].blobs.map((blob) => blob.blobPath)).not.toContain(`${containerName}/f8.bin`);
  const { drive: status } = await driveStatus(service, job, "EXPC0001");
  expect(status.state).toBe("CompletedMoreInfo");
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog.blobs.map((blob) => [blob.blobPath, blob.status])).toEqual([
    [`${containerName}/f8.bin`, "BlobUnexpectedChange"],
    [`${containerName}/f9.bin`, "BlobUnexpectedChange"],
  ]);
  expect(errorLog.status).toBe("CompletedWithErrors");
});

test("a job cancelled during the export: the blobs never reached leave nothing on the drive, not even what a killed run left for them", async () => {
  const containerName = uniqueName("xcancel");
  const blobs: Record<string, Buffer> = {};
  for (let index = 0; index < 12; index++) blobs[`c${String(index).padStart(2, "0")}.bin`] = randomContent(256 * 1024);
  await seed(containerName, blobs);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("xcancel") };
  await receivedExportJob(service, job, ["EXPK0001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } });
  const drive = emptyDrive();
  const { properties: leftoverProperties, metadata: leftoverMetadata } = plantKilledRunLeftovers(drive, containerName, "c11.bin");

  const running = startCli(agent, exportArgs(service, job, "EXPK0001", drive, tempDir("state"), ["--cap-mbps", "8", "--parallelism", "1", "--progress-interval", "100"]));
  for (let tries = 0; driveFiles(drive).filter((file) => file !== `${containerName}/c11.bin`).length < 2 && tries < 300; tries++) await sleep(50);
  expect((await api(service, "PATCH", jobUrl(job.sub, job.rg, job.name), { properties: { cancelRequested: true } })).status).toBe(200);
  const run = await running.done;

  expect(lastJsonLine(run.stdout).outcome).toBe("Cancelled");
  const exported = driveFiles(drive);
  expect(exported.length).toBeGreaterThanOrEqual(2);
  expect(exported.length).toBeLessThan(11);
  expect(exported).not.toContain(`${containerName}/c11.bin`);
  expect(existsSync(leftoverProperties)).toBe(false);
  expect(existsSync(leftoverMetadata)).toBe(false);
}, 60_000);

test("Create refuses a blobListBlobPath that does not exist or is not a blob list, and accepts one that is", async () => {
  const containerName = uniqueName("lists");
  await seed(containerName, {
    "good.xml": Buffer.from('<?xml version="1.0" encoding="utf-8"?><BlobList><BlobPath>pictures/koala.jpg</BlobPath><BlobPathPrefix>/vhds/</BlobPathPrefix></BlobList>'),
    "bad.xml": Buffer.from("<BlobList><Blob>x</Blob></BlobList>"),
  });
  const sub = newSubscriptionId();

  const missing = await exportJob(service, { sub, rg: "demo", name: uniqueName("missing") }, { blobListBlobPath: `/${containerName}/nothing.xml` });
  const invalid = await exportJob(service, { sub, rg: "demo", name: uniqueName("invalid") }, { blobListBlobPath: `${containerName}/bad.xml` });
  const good = await exportJob(service, { sub, rg: "demo", name: uniqueName("good") }, { blobListBlobPath: `${containerName}/good.xml` });
  const elsewhere = await exportJob(service, { sub, rg: "demo", name: uniqueName("other") }, { blobListBlobPath: "lists/any.xml" }, {
    storageAccountId: `/subscriptions/${sub}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/notservedhere`,
  });

  expectArmError(missing, 400, "BlobListBlobNotFound", { target: "properties.export.blobListBlobPath", message: /does not exist/ });
  expectArmError(invalid, 400, "BlobListBlobInvalid", { target: "properties.export.blobListBlobPath", message: /unexpected element <Blob>/ });
  expect(good.status).toBe(201);
  expect(elsewhere.status).toBe(201);
});

test("a blob list deleted after Create is a drive error: the drive Faulted with the reason, and its error log linked", async () => {
  const containerName = uniqueName("gone");
  await seed(containerName, { "list.xml": Buffer.from(`<?xml version="1.0" encoding="utf-8"?><BlobList><BlobPathPrefix>/${containerName}/</BlobPathPrefix></BlobList>`), "a.bin": randomContent(10) });
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("gone") };
  await receivedExportJob(service, job, ["EXPG0001"], { blobListBlobPath: `${containerName}/list.xml` });
  await container(containerName).deleteBlob("list.xml");

  const run = await runCli(agent, exportArgs(service, job, "EXPG0001", emptyDrive(), tempDir("state")));

  expect(run.code).not.toBe(0);
  const { drive } = await driveStatus(service, job, "EXPG0001");
  expect(drive.state).toBe("Faulted");
  expect(drive.errorLogUri).toBeDefined();
  expect((await fetchLog(drive.errorLogUri)).status).toBe("InternalError");
});

test("a small blob whose file cannot be written on the drive is IOFailed in the log, not a request failure; the others exported", async () => {
  const containerName = uniqueName("xwrite");
  await seed(containerName, { "ok.bin": randomContent(1000), "blocked.bin": randomContent(1000) });
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("xwrite") };
  await receivedExportJob(service, job, ["EXPW0001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } });
  const drive = emptyDrive();
  // A folder in the way of the blob's file: the download succeeds, putting the file in place cannot.
  mkdirSync(path.join(drive, containerName, "blocked.bin"), { recursive: true });
  writeFileSync(path.join(drive, containerName, "blocked.bin", "in-the-way"), "x");

  const done = await runCli(agent, exportArgs(service, job, "EXPW0001", drive, tempDir("state")));

  expect(lastJsonLine(done.stdout).summary).toEqual({ blobsCopied: 1, issuesByKind: { IOFailed: 1 } });
  expect(driveFiles(drive)).toContain(`${containerName}/ok.bin`);
  const { drive: status } = await driveStatus(service, job, "EXPW0001");
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog.blobs.map((blob) => [blob.blobPath, blob.status])).toEqual([[`${containerName}/blocked.bin`, "IOFailed"]]);
});
