/**
 * An export's metadata and properties files, through the agent on Azurite's `demostore`: each
 * copied blob's `<Metadata>` and `<Properties>` files on the drive parse back to the blob's own
 * values, the manifest names them with their MD5s, repair-export writes a lost or damaged one again
 * (and refuses to when the blob changed since), and an import of the exported drive sets them again.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { api, jobUrl } from "../api/helpers";
import { newSubscriptionId, startTestService, TestService } from "../support/service";
import { MANIFEST_FILE, md5Hex, resolveDriveFilePath } from "../../shared/formats/drive-manifest";
import { parseMetadataFile, parsePropertiesFile } from "../../shared/formats/metadata-properties";
import { agentArgs, bundleCli, container, driveStatus, lastJsonLine, receivedJob, removeTempDirs, runCli, tempDir, uniqueName } from "./helpers";
import { emptyDrive, exportArgs, readManifest, receivedExportJob } from "./export-helpers";

let service: TestService;
let agent: string;
let driveTool: string;

beforeAll(async () => {
  service = await startTestService();
  agent = bundleCli("datacenter");
  driveTool = bundleCli("drive");
});
afterAll(async () => {
  await service.close();
  removeTempDirs();
});

const HEADERS = {
  blobContentType: "text/plain; charset=utf-8",
  blobContentEncoding: "identity",
  blobContentLanguage: "en-GB",
  blobCacheControl: "max-age=3600",
  blobContentDisposition: 'attachment; filename="notes.txt"',
};
const METADATA = { Author: "Ana", ProjectCode: "X-42" };

/** Seeds `notes.txt` with metadata and every property, and `plain.bin` with none; exports both onto one drive. */
async function exportedDrive(driveId: string) {
  const containerName = uniqueName("meta");
  await container(containerName).createIfNotExists();
  const notes = container(containerName).getBlockBlobClient("docs/notes.txt");
  await notes.upload("some notes", 10, { blobHTTPHeaders: HEADERS, metadata: METADATA });
  await container(containerName).getBlockBlobClient("plain.bin").upload(Buffer.from([1, 2, 3]), 3);
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("metaexp") };
  // One by name, one by prefix: both ways of naming blobs carry their metadata and properties.
  await receivedExportJob(service, job, [driveId], { blobList: { blobPath: [`${containerName}/docs/notes.txt`], blobPathPrefix: [`/${containerName}/plain`] } }, { logLevel: "Verbose" });
  const drive = emptyDrive();
  const run = await runCli(agent, exportArgs(service, job, driveId, drive, tempDir("state")));
  expect(run.code).toBe(0);
  return { containerName, job, drive, notes };
}

test("each exported blob's metadata and properties files parse back to its own values, and the manifest names them with their MD5s", async () => {
  const { containerName, drive, notes } = await exportedDrive("EXPM0001");
  const stored = await notes.getProperties();

  const [notesEntry, plainEntry] = readManifest(drive).blobLists[0].blobs;
  expect(notesEntry.metadataPath!.path).toBe(`\\_ImportExport\\${containerName}\\docs\\notes.txt.metadata.xml`);
  expect(notesEntry.propertiesPath!.path).toBe(`\\_ImportExport\\${containerName}\\docs\\notes.txt.properties.xml`);
  for (const part of [notesEntry.metadataPath!, notesEntry.propertiesPath!, plainEntry.propertiesPath!]) {
    expect(md5Hex(readFileSync(resolveDriveFilePath(drive, part.path)))).toBe(part.hash);
  }
  expect(parseMetadataFile(readFileSync(resolveDriveFilePath(drive, notesEntry.metadataPath!.path), "utf8"))).toEqual(METADATA);
  expect(parsePropertiesFile(readFileSync(resolveDriveFilePath(drive, notesEntry.propertiesPath!.path), "utf8"))).toEqual({
    lastModified: stored.lastModified!.toUTCString(),
    etag: expect.stringContaining(stored.etag!.replace(/"/g, "")),
    contentLength: "10",
    contentType: HEADERS.blobContentType,
    contentMD5: Buffer.from(stored.contentMD5!).toString("base64"),
    contentEncoding: HEADERS.blobContentEncoding,
    contentLanguage: HEADERS.blobContentLanguage,
    cacheControl: HEADERS.blobCacheControl,
    contentDisposition: HEADERS.blobContentDisposition,
  });
  // A blob without metadata has no metadata file; its properties file has the defaults Azure gave it.
  expect(plainEntry.metadataPath).toBeUndefined();
  expect(parsePropertiesFile(readFileSync(resolveDriveFilePath(drive, plainEntry.propertiesPath!.path), "utf8"))).toMatchObject({ contentLength: "3", contentType: "application/octet-stream" });
});

test("repair-export writes a deleted properties file and a damaged metadata file again, and refuses once the blob changed", async () => {
  const { drive, job, notes } = await exportedDrive("EXPM0002");
  const { drive: status } = await driveStatus(service, job, "EXPM0002");
  const [notesEntry] = readManifest(drive).blobLists[0].blobs;
  const metadataFile = resolveDriveFilePath(drive, notesEntry.metadataPath!.path);
  const propertiesFile = resolveDriveFilePath(drive, notesEntry.propertiesPath!.path);
  rmSync(propertiesFile);
  writeFileSync(metadataFile, readFileSync(metadataFile, "utf8").replace("Ana", "Bob"));

  const repaired = await runCli(driveTool, ["repair-export", "--drive", drive, "--copy-log", status.verboseLogUri, "--account", "demostore"]);

  expect(repaired.code).toBe(0);
  expect(lastJsonLine(repaired.stdout).repaired.map((item: { problem: string }) => item.problem)).toEqual(["metadata corrupted", "properties missing"]);
  expect(md5Hex(readFileSync(metadataFile))).toBe(notesEntry.metadataPath!.hash);
  expect(md5Hex(readFileSync(propertiesFile))).toBe(notesEntry.propertiesPath!.hash);

  await notes.setMetadata({ Author: "Someone else" });
  rmSync(metadataFile);
  const refused = await runCli(driveTool, ["repair-export", "--drive", drive, "--copy-log", status.verboseLogUri, "--account", "demostore"]);
  expect(refused.code).toBe(5);
  expect(lastJsonLine(refused.stdout).failed).toEqual([expect.objectContaining({ problem: "metadata missing", reason: "the blob's metadata changed since the export" })]);
});

test("an import of the exported drive sets each blob's metadata and properties again", async () => {
  const { containerName, drive, job: exportJob, notes } = await exportedDrive("EXPM0003");
  const before = await notes.getProperties();
  const keys = await api(service, "POST", jobUrl(exportJob.sub, exportJob.rg, exportJob.name, "/listBitLockerKeys"));
  const bitLockerKey = keys.body.value[0].bitLockerKey;
  await container(containerName).deleteBlob("docs/notes.txt");
  await container(containerName).deleteBlob("plain.bin");
  const job = { sub: newSubscriptionId(), rg: "demo", name: uniqueName("metaimp") };
  await receivedJob(service, job, [{ driveId: "EXPM0003", bitLockerKey, manifestFile: `\\${MANIFEST_FILE}`, manifestHash: md5Hex(readFileSync(path.join(drive, MANIFEST_FILE))) }]);

  const run = await runCli(agent, agentArgs(service, job, "EXPM0003", drive, tempDir("state")));

  expect(run.code).toBe(0);
  const after = await notes.getProperties();
  expect(after.metadata).toEqual({ author: "Ana", projectcode: "X-42" }); // names come back through headers, in lower case
  for (const field of ["contentType", "contentEncoding", "contentLanguage", "cacheControl", "contentDisposition", "contentLength"] as const) {
    expect([field, after[field]]).toEqual([field, before[field]]);
  }
  expect(Buffer.from(after.contentMD5!).toString("base64")).toBe(Buffer.from(before.contentMD5!).toString("base64"));
  const listed = container(containerName).listBlobsFlat({ includeMetadata: true, prefix: "docs/" });
  expect((await listed.next()).value.metadata).toEqual(METADATA);
});
