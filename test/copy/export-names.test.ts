/**
 * Export of blob names at the limits of a file name: a segment of 255 bytes (or 255 characters)
 * exports, its temporary name and its metadata and properties files within the limit too; names the
 * customer's Windows machine could not open (reserved device names, ':', a trailing dot or space, a
 * segment over the limit) are not written: `FileNameInvalid` in the error log, in the incomplete-blob
 * list, and counted by the preview among the blobs that cannot be exported.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { getJob } from "../operator/helpers";
import { newSubscriptionId, TestService } from "../support/service";
import { md5Hex as md5, startCopySuite, stopCopySuite } from "../support/copy-setup";
import { parseExportBlobList } from "../../shared/formats/export-blob-list";
import { resolveDriveFilePath } from "../../shared/formats/drive-manifest";
import { escapeXml } from "../../shared/formats/xml";
import { container, driveStatus, fetchLog, lastJsonLine, randomContent, runCli, tempDir, uniqueName } from "./helpers";
import { driveFiles, emptyDrive, exportArgs, readManifest, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => ({ service, agent, driveTool } = await startCopySuite()));
afterAll(() => stopCopySuite(service));

const LONGEST = "n".repeat(251) + ".bin"; // 255 bytes, the most a file name holds
const LONGEST_WIDE = "é".repeat(127); // 127 characters, 254 bytes
const UNNAMABLE = ["CON", "dir/aux.txt", "a:b.txt", "trailing.", "trailing ", "q?.txt", "n".repeat(256)];

test("a 255-byte name exports with its files; names Windows cannot hold are FileNameInvalid, listed as not exported, never written", async () => {
  const containerName = uniqueName("names");
  const contents: Record<string, Buffer> = { [LONGEST]: randomContent(3000), [`dir/${LONGEST_WIDE}`]: randomContent(10), "ok.txt": Buffer.from("ok") };
  for (const name of UNNAMABLE) contents[name] = randomContent(20);
  await container(containerName).createIfNotExists();
  for (const [name, content] of Object.entries(contents)) {
    await container(containerName).getBlockBlobClient(name).upload(content, content.length, { metadata: { owner: "ana" } });
  }
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("names") };
  await receivedExportJob(service, job, ["EXPL0001"], { blobList: { blobPathPrefix: [`/${containerName}/`] } });
  const drive = emptyDrive();

  const run = await runCli(agent, exportArgs(service, job, "EXPL0001", drive, tempDir("state")));

  expect(run.code).toBe(3);
  expect(lastJsonLine(run.stdout).summary).toEqual({ blobsCopied: 3, issuesByKind: { FileNameInvalid: UNNAMABLE.length } });
  // The exportable ones, byte for byte; nothing else on the drive, not even under another name.
  expect(driveFiles(drive)).toEqual([LONGEST, `dir/${LONGEST_WIDE}`, "ok.txt"].map((name) => `${containerName}/${name}`).sort());
  expect(md5(readFileSync(path.join(drive, containerName, LONGEST)))).toBe(md5(contents[LONGEST]));
  expect(readdirSync(path.join(drive, containerName)).sort()).toEqual([LONGEST, "dir", "ok.txt"].sort());
  expect(readdirSync(path.join(drive, containerName, "dir"))).toEqual([LONGEST_WIDE]);
  expect(readdirSync(path.join(drive, "_ImportExport"))).toEqual([containerName]);
  // Its metadata and properties files: names shortened within the limit, listed with their MD5s.
  const longest = readManifest(drive).blobLists[0].blobs.find((blob) => blob.blobPath === `${containerName}/${LONGEST}`)!;
  for (const part of [longest.metadataPath!, longest.propertiesPath!]) {
    expect(Buffer.byteLength(part.path.split("\\").pop()!)).toBeLessThanOrEqual(255);
    expect(md5(readFileSync(resolveDriveFilePath(drive, part.path))).toUpperCase()).toBe(part.hash);
  }
  const { drive: status } = await driveStatus(service, job, "EXPL0001");
  expect(status.state).toBe("CompletedMoreInfo");
  const errorLog = await fetchLog(status.errorLogUri);
  expect(errorLog.blobs.map((blob) => [blob.blobPath, blob.status]).sort()).toEqual(UNNAMABLE.map((name) => [`${containerName}/${name}`, "FileNameInvalid"]).sort());
  // The job's last drive lists them with the blobs not exported.
  const listText = await (await fetch((await getJob(service, job)).properties.incompleteBlobListUri)).text();
  expect(parseExportBlobList(listText).blobPath).toHaveLength(UNNAMABLE.length);
  for (const name of UNNAMABLE) expect(listText).toContain(`<BlobPath>${escapeXml(`${containerName}/${name}`)}</BlobPath>`);

  // The preview counts them among the blobs that cannot be exported.
  const preview = await runCli(driveTool, ["preview-export", "--account", "demostore", "--prefix", `/${containerName}/`, "--drive-size", "1GB"]);
  expect(preview.code).toBe(0);
  expect(lastJsonLine(preview.stdout)).toMatchObject({ blobs: 3, blobsThatCannotBeExported: UNNAMABLE.length, blobsWithNamesADriveCannotHold: UNNAMABLE.length });
});
