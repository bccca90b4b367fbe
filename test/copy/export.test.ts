/**
 * Export jobs end to end through the agent and the operator API, on Azurite's `demostore`: blobs by
 * name, by prefix and by a blob-list blob; a job across two small drives (every blob exactly once
 * on a drive or in the incomplete-blob list) and a follow-up job that takes that list as is.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { api, jobUrl } from "../api/helpers";
import { getJob } from "../operator/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Hex as md5, seedContainer as seed, startCopySuite, stopCopySuite } from "../support/copy-setup";
import { parseExportBlobList } from "../../shared/formats/export-blob-list";
import { blobFootprint, usableBytes } from "../../shared/formats/export-packing";
import { KEY_RECORD_FILE, keyUnlocks, parseKeyRecord } from "../../shared/formats/key-record";
import { md5Hex } from "../../shared/formats/drive-manifest";
import { demostore, driveStatus, lastJsonLine, randomContent, runCli, tempDir, uniqueName } from "./helpers";
import { resolveSelection } from "../../shared/storage/export-selection";
import { driveFiles, emptyDrive, exportArgs, readManifest, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;

beforeAll(async () => ({ service, agent } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

test("export by blob names: each named blob a byte-identical file, with the manifest's block MD5s and a key record the job's key opens", async () => {
  const containerName = uniqueName("names");
  const big = randomContent(9 * 1024 * 1024 + 17);
  await seed(containerName, { "a/one.bin": randomContent(1000), "two.txt": Buffer.from("two"), "big.bin": big, "other.bin": randomContent(10) });
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("names") };
  await receivedExportJob(service, job, ["EXPN0001"], { blobList: { blobPath: [`${containerName}/big.bin`, `${containerName}/a/one.bin`, `${containerName}/two.txt`] } });
  const drive = emptyDrive();

  const run = await runCli(agent, exportArgs(service, job, "EXPN0001", drive, tempDir("state")));

  expect(run.stderr).toMatch(/Completed: 3 blobs copied/);
  expect(run.code).toBe(0);
  expect(driveFiles(drive)).toEqual([`${containerName}/a/one.bin`, `${containerName}/big.bin`, `${containerName}/two.txt`]);
  expect(md5(readFileSync(path.join(drive, containerName, "big.bin")))).toBe(md5(big));
  const manifest = readManifest(drive);
  expect(manifest.driveId).toBe("EXPN0001");
  expect(manifest.blobLists[0].blobs.map((blob) => blob.blobPath)).toEqual([`${containerName}/big.bin`, `${containerName}/a/one.bin`, `${containerName}/two.txt`]);
  const bigEntry = manifest.blobLists[0].blobs[0];
  expect(bigEntry.filePath).toBe(`\\${containerName}\\big.bin`);
  expect(bigEntry.blockList!.map((block) => block.length)).toEqual([4194304, 4194304, 1048593]);
  expect(bigEntry.blockList![2].hash).toBe(md5Hex(big.subarray(8 * 1024 * 1024)));
  const keys = await api(service, "POST", jobUrl(job.sub, job.rg, job.name, "/listBitLockerKeys"));
  const key = keys.body.value.find((entry: { driveId: string }) => entry.driveId === "EXPN0001").bitLockerKey;
  expect(keyUnlocks(parseKeyRecord(readFileSync(path.join(drive, KEY_RECORD_FILE), "utf8")), key)).toBe(true);
  const { drive: status } = await driveStatus(service, job, "EXPN0001");
  expect(status.state).toBe("Completed");
  expect(status.bytesSucceeded).toBe(big.length + 1003);
  expect((await getJob(service, job)).properties.incompleteBlobListUri).toBeUndefined();
});

test("two small drives by prefix: every blob once on a drive or in the incomplete list; a follow-up job by blob-list blob takes exactly the rest", async () => {
  const containerName = uniqueName("prefix");
  const contents = Object.fromEntries(Array.from({ length: 8 }, (_, index) => [`b${index}.bin`, randomContent(60_000 + index)]));
  await seed(containerName, contents);
  await seed(`${containerName}x`, { "not-me.bin": randomContent(5) });
  // A listed blob's footprint counts its properties file too, whose text the listing decides.
  const [listed] = (await resolveSelection(demostore(), { blobPath: [`${containerName}/b0.bin`], blobPathPrefix: [] })).blobs;
  const footprint = blobFootprint({ ...listed, length: 60_010 });
  // Room for three blobs a drive, not four.
  const capacity = String(3 * footprint + (4096 * 3 + 1024 * 2 + 512 + 1024 * 1024) + 100);
  expect(usableBytes(Number(capacity))).toBeLessThan(4 * footprint);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("prefix") };
  await receivedExportJob(service, job, ["EXPP0001", "EXPP0002"], { blobList: { blobPathPrefix: [`/${containerName}/`] } }, { logLevel: "Verbose" });
  const drives = [emptyDrive(), emptyDrive()];

  const first = await runCli(agent, exportArgs(service, job, "EXPP0001", drives[0], tempDir("state"), ["--capacity", capacity]));
  const second = await runCli(agent, exportArgs(service, job, "EXPP0002", drives[1], tempDir("state"), ["--capacity", capacity]));

  expect([first.code, second.code]).toEqual([0, 0]);
  expect(lastJsonLine(first.stdout)).toMatchObject({ exportStart: 0, exportNext: 3, listLength: 8, blobsLeft: 5 });
  expect(lastJsonLine(second.stdout)).toMatchObject({ exportStart: 3, exportNext: 6, blobsLeft: 2 });
  const onDrives = [...driveFiles(drives[0]), ...driveFiles(drives[1])];
  expect(onDrives).toEqual(["b0.bin", "b1.bin", "b2.bin", "b3.bin", "b4.bin", "b5.bin"].map((name) => `${containerName}/${name}`));
  for (const file of onDrives) {
    const drive = driveFiles(drives[0]).includes(file) ? drives[0] : drives[1];
    expect(md5(readFileSync(path.join(drive, ...file.split("/"))))).toBe(md5(contents[file.split("/")[1]]));
  }
  const got = await getJob(service, job);
  expect(got.properties.incompleteBlobListUri).toMatch(/^http/);
  const listText = await (await fetch(got.properties.incompleteBlobListUri)).text();
  const rest = parseExportBlobList(listText);
  expect(rest.blobPath).toEqual([`${containerName}/b6.bin`, `${containerName}/b7.bin`]);
  // The portal's timeline says what each drive holds of the list, and how many blobs were left out.
  const timeline = await api(service, "GET", `/portal/api/subscriptions/${job.sub}/resourceGroups/${job.rg}/jobs/${job.name}/timeline`);
  expect(timeline.body.copyLogs).toEqual([
    { driveId: "EXPP0001", blobsCopied: 3, issuesByKind: {}, exportRange: { start: 0, next: 3 } },
    { driveId: "EXPP0002", blobsCopied: 3, issuesByKind: {}, exportRange: { start: 3, next: 6 } },
  ]);
  expect(timeline.body.incompleteBlobs).toBe(2);

  // The follow-up job names the list blob itself (where Get Job's link points) as its blobListBlobPath.
  const listBlobPath = decodeURIComponent(new URL(got.properties.incompleteBlobListUri).pathname.split("/").slice(2).join("/"));
  const followUp = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("followup") };
  await receivedExportJob(service, followUp, ["EXPF0001"], { blobListBlobPath: listBlobPath });
  const drive = emptyDrive();
  const third = await runCli(agent, exportArgs(service, followUp, "EXPF0001", drive, tempDir("state")));

  expect(third.code).toBe(0);
  expect(driveFiles(drive)).toEqual([`${containerName}/b6.bin`, `${containerName}/b7.bin`]);
  expect(md5(readFileSync(path.join(drive, containerName, "b7.bin")))).toBe(md5(contents["b7.bin"]));
  expect((await getJob(service, followUp)).properties.incompleteBlobListUri).toBeUndefined();
});
