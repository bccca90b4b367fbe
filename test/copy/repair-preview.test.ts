/**
 * The customer's side of export and repair, through `npm run drive`: the drive count preview
 * against a case counted by hand, repair-export mending a deleted and a corrupted file on a returned
 * drive, and repair-import uploading from the customer's own copy the blobs an import failed.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Hex as md5, seedContainer as seed, startCopySuite, stopCopySuite } from "../support/copy-setup";
import {
  agentArgs,
  container,
  driveStatus,
  lastJsonLine,
  prepareDrive,
  randomContent,
  receivedJob,
  runCli,
  sourceFolder,
  tempDir,
  uniqueName,
} from "./helpers";
import { emptyDrive, exportArgs, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

test("preview-export: drives, occupied space and the blobs that cannot be exported, as counted by hand", async () => {
  const name = uniqueName("prev"); // 12 characters: blob paths of 18, file paths of 19
  await seed(name, { "a.bin": randomContent(10_000), "b.bin": randomContent(5_000), "c.bin": randomContent(1_100_000), "d.bin": randomContent(1_020_000) });
  const list = path.join(tempDir("list"), "list.xml");
  writeFileSync(list, `<?xml version="1.0" encoding="utf-8"?>\n<BlobList>\n<BlobPathPrefix>/${name}/</BlobPathPrefix>\n<BlobPathPrefix>/${name}/</BlobPathPrefix>\n<BlobPathPrefix>/nosuch${name}/</BlobPathPrefix>\n</BlobList>\n`);

  const run = await runCli(driveTool, ["preview-export", "--account", "demostore", "--blob-list", list, "--drive-size", "2MiB"]);

  expect(run.code).toBe(0);
  // A 2 MiB drive keeps 1,037,824 bytes for blobs (less 1 MiB file system, key record 5,120,
  // manifest record 1,024, header 512, its last cluster 4,096). Per blob: clusters + 1,024 + a
  // manifest entry of 256 + 18 + 19 + 128, plus its properties file (no metadata here): under 512
  // bytes, so only its file record, 1,024, and its manifest line, 96 + 48 for its path
  // (\_ImportExport\<name>\a.bin.properties.xml): 1,168. a: 12,288 + 1,445 + 1,168; b: 8,192 +
  // 1,445 + 1,168 (25,706 so far); c (1,101,824 in clusters) fits no drive; d: 1,024,000 + 1,445 +
  // 1,168 does not fit beside a and b.
  expect(lastJsonLine(run.stdout)).toEqual({
    driveBytes: 2_097_152,
    drivesNeeded: 2,
    blobs: 3,
    bytes: 1_035_000,
    blobsThatCannotBeExported: 1,
    nonexistent: [`/nosuch${name}/`],
    drives: [
      { blobs: 2, occupiedBytes: 2_097_152 - 1_037_824 + 25_706, lengthBytes: 15_000 },
      { blobs: 1, occupiedBytes: 2_097_152 - 1_037_824 + 1_026_613, lengthBytes: 1_020_000 },
    ],
  });
  expect(run.stdout).toMatch(/Number of duplicate blob paths\/prefixes:\t1/);
  expect(run.stdout).toMatch(/Number of drives needed:\t2/);
  // Sizes in units that fit, decimal as drives are sold (regression: "Drive size: 0.00 GB" for a small drive).
  expect(run.stdout).toMatch(/^Drive size:\t2\.10 MB$/m);
  expect(run.stdout).toMatch(/^Total size of blobs that can be exported:\t1\.03 MB$/m);
  expect(run.stdout).toMatch(/^\tDrive #1:\tblobs = 2, occupied space = 1\.09 MB$/m);
  expect(run.stdout).toMatch(/^\tDrive #2:\tblobs = 1, occupied space = 2\.09 MB$/m);
});

test("repair-export downloads a deleted file and the corrupted block of another, and finds nothing left to mend after", async () => {
  const containerName = uniqueName("rexp");
  const blobs = { "big.bin": randomContent(9 * 1024 * 1024), "small.txt": Buffer.from("small and fine"), "gone.bin": randomContent(70_000) };
  await seed(containerName, blobs);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("rexp") };
  await receivedExportJob(service, job, ["EXPX0001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } }, { logLevel: "Verbose" });
  const drive = emptyDrive();
  expect((await runCli(agent, exportArgs(service, job, "EXPX0001", drive, tempDir("state")))).code).toBe(0);
  const { drive: status } = await driveStatus(service, job, "EXPX0001");
  rmSync(path.join(drive, containerName, "gone.bin"));
  const big = readFileSync(path.join(drive, containerName, "big.bin"));
  big[5 * 1024 * 1024] ^= 0xff;
  writeFileSync(path.join(drive, containerName, "big.bin"), big);

  const repaired = await runCli(driveTool, ["repair-export", "--drive", drive, "--copy-log", status.verboseLogUri, "--account", "demostore"]);
  const again = await runCli(driveTool, ["repair-export", "--drive", drive, "--copy-log", status.verboseLogUri, "--account", "demostore"]);

  expect(repaired.code).toBe(0);
  const report = lastJsonLine(repaired.stdout);
  expect(report.checked).toBe(3);
  expect(report.repaired.map((item: { blobPath: string; problem: string; blocks: number }) => [item.blobPath, item.problem, item.blocks])).toEqual([
    [`${containerName}/big.bin`, "corrupted", 1],
    [`${containerName}/gone.bin`, "missing", 1],
  ]);
  for (const [name, content] of Object.entries(blobs)) expect(md5(readFileSync(path.join(drive, containerName, name)))).toBe(md5(content));
  expect(lastJsonLine(again.stdout)).toMatchObject({ checked: 3, repaired: [], failed: [] });
});

test("repair-import uploads, from the customer's copy, the blob an import failed (a file corrupted on the drive), verified by MD5", async () => {
  const containerName = uniqueName("rimp");
  const files = { "ok.txt": Buffer.from("fine"), "docs/broken.bin": randomContent(300_000) };
  const source = sourceFolder(files);
  const { drive, entry } = await prepareDrive(driveTool, ["--source", source, "--destination", containerName]);
  const onDrive = path.join(drive, containerName, "docs", "broken.bin");
  const damaged = readFileSync(onDrive);
  damaged[1000] ^= 0xff;
  writeFileSync(onDrive, damaged);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("rimp") };
  await receivedJob(service, job, [entry]);
  expect((await runCli(agent, agentArgs(service, job, entry.driveId, drive, tempDir("state")))).code).toBe(3);
  const { drive: status } = await driveStatus(service, job, entry.driveId);
  expect(await container(containerName).getBlockBlobClient("docs/broken.bin").exists()).toBe(false);

  const run = await runCli(driveTool, ["repair-import", "--source", source, "--copy-log", status.errorLogUri, "--account", "demostore"]);

  expect(run.code).toBe(0);
  expect(lastJsonLine(run.stdout).repaired.map((item: { blobPath: string }) => item.blobPath)).toEqual([`${containerName}/docs/broken.bin`]);
  const uploaded = await container(containerName).getBlockBlobClient("docs/broken.bin").downloadToBuffer();
  expect(md5(uploaded)).toBe(md5(files["docs/broken.bin"]));
  const properties = await container(containerName).getBlockBlobClient("docs/broken.bin").getProperties();
  expect(Buffer.from(properties.contentMD5!).toString("hex")).toBe(md5(files["docs/broken.bin"]));
});
