/**
 * An export drive comes from a stranger too: whatever it holds where the agent writes (the key
 * record, the manifest, a blob's file, its temporary name, `_ImportExport`, a folder on the way)
 * must be replaced, never written through, or the drive faulted with the reason. Each test plants
 * links to a folder BESIDE the drive, runs the real agent (or repair-export), and asserts the
 * planted folder is byte-for-byte unchanged. Also the export's own correctness found by the same
 * testing: an empty blob's manifest entry reads back, and a blob path naming no blob is logged.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { api, jobUrl } from "../api/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Hex as md5, seedContainer as seed, startCopySuite, stopCopySuite } from "../support/copy-setup";
import { plantBeside, replaceWithLink, snapshotTree } from "../support/planted";
import { readBlobListBlob } from "../../shared/storage/export-selection";
import { MANIFEST_FILE, md5Hex, resolveDriveFilePath } from "../../shared/formats/drive-manifest";
import { BlobListFormatError, writeExportBlobList } from "../../shared/formats/export-blob-list";
import { KEY_RECORD_FILE, keyUnlocks, parseKeyRecord } from "../../shared/formats/key-record";
import { agentArgs, container, demostore, driveStatus, fetchLog, lastJsonLine, randomContent, receivedJob, runCli, tempDir, uniqueName } from "./helpers";
import { driveFiles, emptyDrive, exportArgs, readManifest, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

/** Every symbolic link left on the drive (relative paths): the agent's writes must have replaced them all. */
function linksOn(drive: string): string[] {
  const links: string[] = [];
  const walk = (folder: string, prefix: string) => {
    for (const name of readdirSync(folder)) {
      const stats = lstatSync(path.join(folder, name));
      if (stats.isSymbolicLink()) links.push(`${prefix}${name}`);
      else if (stats.isDirectory()) walk(path.join(folder, name), `${prefix}${name}/`);
    }
  };
  walk(drive, "");
  return links;
}

async function bitLockerKey(job: { sub: string; rg: string; name: string }, driveId: string): Promise<string> {
  const keys = await api(service, "POST", jobUrl(job.sub, job.rg, job.name, "/listBitLockerKeys"));
  return keys.body.value.find((entry: { driveId: string }) => entry.driveId === driveId).bitLockerKey;
}

test("links planted where the export writes (key record, manifest, a blob's file, _ImportExport, a container and a folder on the way; the temporary names: next test) are replaced, never written through; a folder where a file goes is IOFailed", async () => {
  const c = uniqueName("hostexp");
  const c2 = uniqueName("hostexq");
  const blobs = { "a.bin": randomContent(1000), "b.bin": randomContent(1000), "big.bin": randomContent(5 * 1024 * 1024 + 3), "dir.bin": randomContent(10), "sub/d.bin": randomContent(500) };
  await seed(c, blobs);
  await seed(c2, { "e.bin": Buffer.from("e") });
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostexp") };
  await receivedExportJob(service, job, ["EXPH0001"], { blobList: { blobPathPrefix: [`/${c}/`, `/${c2}/`] } });
  const drive = emptyDrive();
  mkdirSync(drive, { recursive: true });
  const outside = plantBeside(drive, "station", {
    "key.json": "the station's key",
    "manifest.xml": "another drive's manifest",
    "partial": "a partial",
    "a.bin": "the station's a",
    "tools/keep.txt": "tools",
    "c2/keep.txt": "c2",
    "sub/keep.txt": "sub",
  });
  const at = (relative: string) => path.join(drive, ...relative.split("/"));
  replaceWithLink(at(KEY_RECORD_FILE), path.join(outside, "key.json"));
  replaceWithLink(at(MANIFEST_FILE), path.join(outside, "manifest.xml"));
  replaceWithLink(at(`${MANIFEST_FILE}.partial`), path.join(outside, "partial"));
  replaceWithLink(at(`${c}/a.bin`), path.join(outside, "a.bin"));
  replaceWithLink(at(`${c}/sub`), path.join(outside, "sub"));
  replaceWithLink(at("_ImportExport"), path.join(outside, "tools"));
  replaceWithLink(at(c2), path.join(outside, "c2"));
  mkdirSync(at(`${c}/dir.bin`));
  writeFileSync(at(`${c}/dir.bin/in-the-way`), "x");
  const before = snapshotTree(outside);

  const run = await runCli(agent, exportArgs(service, job, "EXPH0001", drive, tempDir("state")));

  expect(snapshotTree(outside)).toEqual(before);
  expect(run.code).toBe(3);
  expect(lastJsonLine(run.stdout).summary).toEqual({ blobsCopied: 5, issuesByKind: { IOFailed: 1 } });
  // The one planted link left is at a name the agent no longer writes (the manifest's old temporary name).
  expect(linksOn(drive)).toEqual([`${MANIFEST_FILE}.partial`]);
  expect(driveFiles(drive)).toEqual([`${c2}/e.bin`, `${c}/a.bin`, `${c}/b.bin`, `${c}/big.bin`, `${c}/dir.bin/in-the-way`, `${c}/sub/d.bin`].sort());
  for (const [name, content] of Object.entries(blobs)) if (name !== "dir.bin") expect(md5(readFileSync(at(`${c}/${name}`)))).toBe(md5(content));
  expect(keyUnlocks(parseKeyRecord(readFileSync(at(KEY_RECORD_FILE), "utf8")), await bitLockerKey(job, "EXPH0001"))).toBe(true);
  const manifest = readManifest(drive);
  expect(manifest.blobLists[0].blobs).toHaveLength(5);
  for (const blob of manifest.blobLists[0].blobs) expect(md5Hex(readFileSync(resolveDriveFilePath(drive, blob.propertiesPath!.path)))).toBe(blob.propertiesPath!.hash);
  const { drive: status } = await driveStatus(service, job, "EXPH0001");
  expect((await fetchLog(status.errorLogUri)).blobs.map((blob) => [blob.blobPath, blob.status])).toEqual([[`${c}/dir.bin`, "IOFailed"]]);
});

test("a link where the export keeps its temporary files (\\_ImportExport\\.partial) is replaced by a real folder, never written through, and the folder is gone once the drive is written", async () => {
  const c = uniqueName("hostpart");
  const blobs = { "small.bin": randomContent(1000), "big.bin": randomContent(5 * 1024 * 1024 + 3) };
  await seed(c, blobs);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostpart") };
  await receivedExportJob(service, job, ["EXPH0006"], { blobList: { blobPathPrefix: [`/${c}/`] } });
  const drive = emptyDrive();
  mkdirSync(path.join(drive, "_ImportExport"), { recursive: true });
  const outside = plantBeside(drive, "station", { "keep.txt": "the station's file" });
  replaceWithLink(path.join(drive, "_ImportExport", ".partial"), outside);
  const before = snapshotTree(outside);

  const run = await runCli(agent, exportArgs(service, job, "EXPH0006", drive, tempDir("state")));

  expect(snapshotTree(outside)).toEqual(before);
  expect(run.code).toBe(0);
  expect(linksOn(drive)).toEqual([]);
  expect(readdirSync(path.join(drive, "_ImportExport"))).toEqual([c]);
  for (const [name, content] of Object.entries(blobs)) expect(md5(readFileSync(path.join(drive, c, name)))).toBe(md5(content));
  expect(readManifest(drive).blobLists[0].blobs).toHaveLength(2);
});

test("a folder where the drive manifest must be written faults the drive before any copy, with the reason; the folder is left as it was", async () => {
  const c = uniqueName("hostdir");
  await seed(c, { "a.bin": randomContent(100) });
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostdir") };
  await receivedExportJob(service, job, ["EXPH0002"], { blobList: { blobPathPrefix: [`/${c}/`] } });
  const drive = emptyDrive();
  mkdirSync(path.join(drive, MANIFEST_FILE), { recursive: true });
  writeFileSync(path.join(drive, MANIFEST_FILE, "keep.txt"), "keep");
  const before = snapshotTree(path.join(drive, MANIFEST_FILE));

  const run = await runCli(agent, exportArgs(service, job, "EXPH0002", drive, tempDir("state")));

  expect(run.code).toBe(4);
  expect(lastJsonLine(run.stdout)).toMatchObject({ outcome: "Faulted", driveStatus: "DiskOperationFailed", reason: expect.stringMatching(/DriveManifest\.xml.*folder/) });
  expect(snapshotTree(path.join(drive, MANIFEST_FILE))).toEqual(before);
  expect(driveFiles(drive)).toEqual([`${MANIFEST_FILE}/keep.txt`]);
  const { drive: status } = await driveStatus(service, job, "EXPH0002");
  expect(status.state).toBe("Faulted");
});

test("repair-export never writes through a link: a blob's file, a folder on the way and a properties file that are links are replaced by the right files; a linked manifest is refused", async () => {
  const c = uniqueName("hostrep");
  const blobs = { "a.bin": randomContent(70_000), "sub/b.bin": randomContent(1000) };
  await seed(c, blobs);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostrep") };
  await receivedExportJob(service, job, ["EXPH0003"], { blobList: { blobPathPrefix: [`/${c}/`] } }, { logLevel: "Verbose" });
  const drive = emptyDrive();
  expect((await runCli(agent, exportArgs(service, job, "EXPH0003", drive, tempDir("state")))).code).toBe(0);
  const { drive: status } = await driveStatus(service, job, "EXPH0003");
  const manifestBytes = readFileSync(path.join(drive, MANIFEST_FILE));
  const [aEntry] = readManifest(drive).blobLists[0].blobs;
  // Same lengths as the real files, other bytes: a repair that follows the links would "mend" them in place.
  const outside = plantBeside(drive, "station", { "a.bin": randomContent(70_000), "sub/b.bin": randomContent(1000), "props.xml": "<Properties/>", [MANIFEST_FILE]: manifestBytes });
  replaceWithLink(path.join(drive, c, "a.bin"), path.join(outside, "a.bin"));
  replaceWithLink(path.join(drive, c, "sub"), path.join(outside, "sub"));
  replaceWithLink(resolveDriveFilePath(drive, aEntry.propertiesPath!.path), path.join(outside, "props.xml"));
  const before = snapshotTree(outside);

  const repaired = await runCli(driveTool, ["repair-export", "--drive", drive, "--copy-log", status.verboseLogUri, "--account", "demostore"]);

  expect(snapshotTree(outside)).toEqual(before);
  expect(repaired.code).toBe(0);
  expect(lastJsonLine(repaired.stdout).repaired.map((item: { blobPath: string; problem: string }) => [item.blobPath, item.problem])).toEqual([
    [`${c}/a.bin`, "properties missing"],
    [`${c}/a.bin`, "missing"],
    [`${c}/sub/b.bin`, "missing"],
  ]);
  expect(linksOn(drive)).toEqual([]);
  for (const [name, content] of Object.entries(blobs)) expect(md5(readFileSync(path.join(drive, c, ...name.split("/"))))).toBe(md5(content));
  expect(md5Hex(readFileSync(resolveDriveFilePath(drive, aEntry.propertiesPath!.path)))).toBe(aEntry.propertiesPath!.hash);

  replaceWithLink(path.join(drive, MANIFEST_FILE), path.join(outside, MANIFEST_FILE));
  const refused = await runCli(driveTool, ["repair-export", "--drive", drive, "--copy-log", status.verboseLogUri, "--account", "demostore"]);
  expect(refused.code).toBe(4);
  expect(refused.stderr).toMatch(/DriveManifest\.xml.*symbolic link/);
  expect(snapshotTree(outside)).toEqual(before);
});

test("a 0-byte blob's manifest entry reads back: repair-export checks the drive, and the drive imports back, the empty blob included", async () => {
  const c = uniqueName("hostempty");
  await seed(c, { "empty.txt": Buffer.alloc(0), "x.txt": Buffer.from("x") });
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostempty") };
  await receivedExportJob(service, job, ["EXPH0004"], { blobList: { blobPathPrefix: [`/${c}/`] } }, { logLevel: "Verbose" });
  const drive = emptyDrive();
  expect((await runCli(agent, exportArgs(service, job, "EXPH0004", drive, tempDir("state")))).code).toBe(0);
  const { drive: status } = await driveStatus(service, job, "EXPH0004");

  const [emptyEntry] = readManifest(drive).blobLists[0].blobs;
  expect(emptyEntry).toMatchObject({ blobPath: `${c}/empty.txt`, length: 0, blockList: [] });
  const repaired = await runCli(driveTool, ["repair-export", "--drive", drive, "--copy-log", status.verboseLogUri, "--account", "demostore"]);
  expect(repaired.code).toBe(0);
  expect(lastJsonLine(repaired.stdout)).toMatchObject({ checked: 2, repaired: [], failed: [] });

  await container(c).deleteBlob("empty.txt");
  await container(c).deleteBlob("x.txt");
  const importJob = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostback") };
  const manifestHash = md5Hex(readFileSync(path.join(drive, MANIFEST_FILE)));
  await receivedJob(service, importJob, [{ driveId: "EXPH0004", bitLockerKey: await bitLockerKey(job, "EXPH0004"), manifestFile: `\\${MANIFEST_FILE}`, manifestHash }]);
  const imported = await runCli(agent, agentArgs(service, importJob, "EXPH0004", drive, tempDir("state")));
  expect(imported.code).toBe(0);
  expect((await container(c).getBlockBlobClient("empty.txt").getProperties()).contentLength).toBe(0);
});

test("a blobPath naming no blob is in the drive's error log (BlobRequestFailed), counted as preview-export counts it", async () => {
  const c = uniqueName("hostnone");
  await seed(c, { "x.txt": Buffer.from("x") });
  const selection = { blobPath: [`${c}/x.txt`, `${c}/nosuch.txt`] };
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("hostnone") };
  await receivedExportJob(service, job, ["EXPH0005"], { blobList: selection });
  const list = path.join(tempDir("list"), "list.xml");
  writeFileSync(list, writeExportBlobList(selection));

  const run = await runCli(agent, exportArgs(service, job, "EXPH0005", emptyDrive(), tempDir("state")));
  const preview = await runCli(driveTool, ["preview-export", "--account", "demostore", "--blob-list", list, "--drive-size", "1GB"]);

  expect(run.code).toBe(3);
  expect(lastJsonLine(run.stdout).summary).toEqual({ blobsCopied: 1, issuesByKind: { BlobRequestFailed: 1 } });
  const { drive: status } = await driveStatus(service, job, "EXPH0005");
  expect(status.state).toBe("CompletedMoreInfo");
  const logged = (await fetchLog(status.errorLogUri)).blobs.map((blob) => [blob.blobPath, blob.status]);
  expect(logged).toEqual([[`${c}/nosuch.txt`, "BlobRequestFailed"]]);
  expect(lastJsonLine(preview.stdout).nonexistent).toHaveLength(logged.length);
});

test("a blobListBlobPath with '..' segments is refused, not normalised into another container", async () => {
  const c = uniqueName("hostlist");
  const d = uniqueName("hostlistd");
  await seed(d, { "list.xml": Buffer.from(writeExportBlobList({ blobPath: [`${d}/secret.bin`] })) });

  await expect(readBlobListBlob(demostore(), `${c}/../${d}/list.xml`)).rejects.toThrow(BlobListFormatError);
  await expect(readBlobListBlob(demostore(), `${d}/list.xml`)).resolves.toEqual({ blobPath: [`${d}/secret.bin`], blobPathPrefix: [] });
});
