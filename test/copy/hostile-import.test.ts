/**
 * An import drive comes from a stranger: the agent must never read outside it. Each test plants a
 * link (or a FIFO, socket or device) on a prepared drive pointing at a folder BESIDE the drive that
 * holds the very bytes the manifest expects (so only the link rule stands between the station's
 * files and the customer's account), runs the real agent, and asserts the planted folder is
 * byte-for-byte unchanged, nothing of it reached the account, and the log carries the documented
 * code. repair-import, run by the customer, follows the same rules on its source folders and blob paths.
 */
import { readFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Server } from "node:net";
import { writeDriveLog } from "../../shared/formats/copy-log";
import { md5Hex as md5Upper } from "../../shared/formats/drive-manifest";
import { getHistory } from "../operator/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { startCopySuite, stopCopySuite } from "../support/copy-setup";
import { plantBeside, replaceWithDevice, replaceWithFifo, replaceWithLink, replaceWithSocket, snapshotTree } from "../support/planted";
import { agentArgs, blobNames, container, driveStatus, fetchLog, lastJsonLine, prepareDrive, randomContent, receivedJob, runCli, sourceFolder, tempDir, uniqueName } from "./helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

test("links, a FIFO, a socket and a device where files belong (and a linked folder on the way) are FileNotFound, never read: the planted folder is unchanged and none of it is uploaded", async () => {
  const containerName = uniqueName("hostile");
  const files = { "ok.txt": "fine\n", "a.txt": randomContent(3000), "b.txt": "fifo\n", "dev.txt": "device\n", "sock.txt": "socket\n", "sub/c.txt": randomContent(2000) };
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder(files), "--destination", containerName]);
  const onDrive = (relative: string) => path.join(drive, containerName, ...relative.split("/"));
  // The station's own files, with exactly the bytes the manifest expects.
  const outside = plantBeside(drive, "station", { "a.txt": files["a.txt"], "sub/c.txt": files["sub/c.txt"] });
  replaceWithLink(onDrive("a.txt"), path.join(outside, "a.txt"));
  replaceWithLink(onDrive("sub"), path.join(outside, "sub"));
  replaceWithFifo(onDrive("b.txt"));
  replaceWithDevice(onDrive("dev.txt"));
  let socket: Server | undefined;
  const before = snapshotTree(outside);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostileimp") };
  await receivedJob(service, job, [entry]);

  let run;
  try {
    socket = await replaceWithSocket(onDrive("sock.txt"));
    run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")), { timeoutMs: 20_000 });
  } finally {
    socket?.close();
  }

  expect(run.code).toBe(3);
  expect(lastJsonLine(run.stdout).summary).toEqual({ blobsCopied: 1, issuesByKind: { FileNotFound: 5 } });
  expect(await blobNames(containerName)).toEqual(["ok.txt"]);
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog.blobs.map((blob) => [blob.filePath, blob.status]).sort()).toEqual(
    ["a.txt", "b.txt", "dev.txt", "sock.txt", "sub\\c.txt"].map((name) => [`\\${containerName}\\${name}`, "FileNotFound"]),
  );
  expect(snapshotTree(outside)).toEqual(before);
});

test("a manifest that is a link out of the drive (the bytes the job's hash expects) faults the drive: ManifestNotFound, nothing copied", async () => {
  const containerName = uniqueName("hostman");
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName]);
  const outside = plantBeside(drive, "station", { "DriveManifest.xml": readFileSync(path.join(drive, "DriveManifest.xml")) });
  replaceWithLink(path.join(drive, "DriveManifest.xml"), path.join(outside, "DriveManifest.xml"));
  const before = snapshotTree(outside);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostman") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")), { timeoutMs: 20_000 });

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "ManifestNotFound", reason: expect.stringMatching(/symbolic link/) });
  expect(await blobNames(containerName)).toEqual([]);
  expect(snapshotTree(outside)).toEqual(before);
});

test("a key record that is a link out of the drive faults the drive (BitLockerProtectorNotFound), the linked file unread", async () => {
  const containerName = uniqueName("hostkey");
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName]);
  const outside = plantBeside(drive, "station", { "BitLockerKeyRecord.json": readFileSync(path.join(drive, "BitLockerKeyRecord.json")) });
  replaceWithLink(path.join(drive, "BitLockerKeyRecord.json"), path.join(outside, "BitLockerKeyRecord.json"));
  const before = snapshotTree(outside);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostkey") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")), { timeoutMs: 20_000 });

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "BitLockerProtectorNotFound", reason: expect.stringMatching(/symbolic link/) });
  expect(await blobNames(containerName)).toEqual([]);
  expect(snapshotTree(outside)).toEqual(before);
});

test("a key record of 3 GiB (sparse) is refused by its size before it is read: BitLockerProtectorNotFound saying so, nothing copied", async () => {
  const containerName = uniqueName("bigkey");
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName]);
  // A real record holds a few hundred bytes; a stranger's drive may hold anything under its name.
  truncateSync(path.join(drive, "BitLockerKeyRecord.json"), 3 * 1024 ** 3);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("bigkey") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")), { timeoutMs: 20_000 });

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "BitLockerProtectorNotFound", reason: expect.stringMatching(/key record is larger than 64 KiB/) });
  expect(await blobNames(containerName)).toEqual([]);
});

test("a manifest that is a FIFO never blocks the agent: the drive is faulted at once (ManifestNotFound)", async () => {
  const containerName = uniqueName("hostfifo");
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName]);
  replaceWithFifo(path.join(drive, "DriveManifest.xml"));
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostfifo") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")), { timeoutMs: 20_000 });

  expect(run.signal).toBeNull();
  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "ManifestNotFound", reason: expect.stringMatching(/not a regular file/) });
  const history = await getHistory(service, job);
  expect(history.find((change) => change.to === "Faulted")?.reason).toMatch(/^ManifestNotFound: /);
});

test("a linked _ImportExport folder: the list's metadata file behind it is FileNotFound, its blobs not copied, the planted folder unchanged", async () => {
  const containerName = uniqueName("hostmeta");
  const metadata = path.join(tempDir("meta"), "metadata.xml");
  writeFileSync(metadata, '<?xml version="1.0" encoding="UTF-8"?>\n<Metadata>\n  <Owner>station</Owner>\n</Metadata>\n');
  const { drive, entry } = await prepareDrive(driveTool, ["--source", sourceFolder({ "a.txt": "a" }), "--destination", containerName, "--metadata", metadata]);
  const outside = plantBeside(drive, "station", { "metadata-1.xml": readFileSync(path.join(drive, "_ImportExport", "metadata-1.xml")) });
  replaceWithLink(path.join(drive, "_ImportExport"), outside);
  const before = snapshotTree(outside);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostmeta") };
  await receivedJob(service, job, [entry]);

  const run = await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")), { timeoutMs: 20_000 });

  expect(run.code).toBe(3);
  expect(await blobNames(containerName)).toEqual([]);
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  const [logged] = (await fetchLog(status.errorLogUri)).blobs;
  expect(logged).toMatchObject({ status: "CompletedWithErrors", metadata: { status: "FileNotFound" } });
  expect(snapshotTree(outside)).toEqual(before);
});

test("repair-import refuses a copy log's blob path with '..' (never normalised into another container) and a source file that is a link", async () => {
  const containerName = uniqueName("hostrimp");
  const otherContainer = uniqueName("hostother");
  await container(otherContainer).create();
  const content = randomContent(5000);
  const source = sourceFolder({ "x.bin": content });
  const outside = plantBeside(source, "station", { "linked.bin": content });
  replaceWithLink(path.join(source, "linked.bin"), path.join(outside, "linked.bin"));
  const before = snapshotTree(outside);
  const hash = md5Upper(content);
  const failed = (blobPath: string, filePath: string) => ({ status: "FileNotFound" as const, blobPath, filePath, length: content.length, blocks: [{ offset: 0, length: content.length, hash, status: "Uncommitted" as const }] });
  const log = path.join(tempDir("log"), "error.xml");
  writeFileSync(
    log,
    writeDriveLog({ driveId: "HOSTILE1", status: "CompletedWithErrors", blobs: [failed(`${containerName}/../${otherContainer}/x.bin`, `\\${containerName}\\x.bin`), failed(`${containerName}/linked.bin`, `\\${containerName}\\linked.bin`)] }),
  );

  const run = await runCli(driveTool, ["repair-import", "--source", source, "--copy-log", log, "--account", "demostore"]);

  expect(run.code).toBe(5);
  const report = lastJsonLine(run.stdout);
  expect(report.repaired).toEqual([]);
  expect(report.failed.map((item: { blobPath: string; reason: string }) => [item.blobPath, item.reason])).toEqual([
    [`${containerName}/../${otherContainer}/x.bin`, expect.stringMatching(/'\.\.' path segment/)],
    [`${containerName}/linked.bin`, expect.stringMatching(/no file of 5000 bytes/)],
  ]);
  expect(await blobNames(otherContainer)).toEqual([]);
  expect(await blobNames(containerName)).toEqual([]);
  expect(snapshotTree(outside)).toEqual(before);
});
