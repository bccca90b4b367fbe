/**
 * Log blobs: what operators log lands in blobs whose read-only SAS URIs Get Job returns; a plain
 * fetch of each returns the text. The verbose log exists only at logLevel Verbose, the manifest only
 * with backupDriveManifest; a tampered signature is refused, and deleting the job deletes the blobs.
 */
import { getSettings } from "../../shared/service/app/composition";
import { createBlobServiceClient } from "../../shared/storage/clients";
import { API, driveSpec, importJobBody, jobPath, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob } from "../api/helpers";
import { driveOf, event, fetchText, getJob, JobRef, markShipping, PACKAGE, RETURN, tamperedSignature } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "Logs-RG";
const CONTAINER = "importexport-logs";

function logsContainer() {
  return createBlobServiceClient(getSettings()).getContainerClient(CONTAINER);
}

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of logsContainer().listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

/** An import job with one drive, received and copying. */
async function copyingJob(name: string, properties: Record<string, unknown>): Promise<JobRef> {
  const job = { sub: newSubscriptionId(), rg: RG, name };
  await createJob(service, job.sub, RG, name, importJobBody(job.sub, { properties: { driveList: [driveSpec("Drive01")], ...properties } }));
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["Drive01"] });
  return job;
}

const LINE = (text: string) => new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${text}$`);

test("Verbose with a manifest backup: error log, verbose log and manifest URIs return what was logged", async () => {
  const job = await copyingJob("verbose-logs", { logLevel: "Verbose", backupDriveManifest: true });
  const manifest = "<DriveManifest><Drive><DriveId>Drive01</DriveId><BlobList/></Drive></DriveManifest>";
  await event(service, job, { type: "TransferStarted", driveId: "Drive01", manifest, totalBytes: 10 });
  await event(service, job, { type: "TransferProgress", driveId: "Drive01", bytesSucceeded: 5, percentComplete: 50, errorLog: ["first error", "second error"], verboseLog: ["verbose one"] });
  await event(service, job, { type: "TransferProgress", driveId: "Drive01", bytesSucceeded: 8, percentComplete: 80, verboseLog: ["verbose two", "verbose three"] });
  await event(service, job, { type: "TransferFinished", driveId: "Drive01", outcome: "CompletedMoreInfo", errorLog: ["third error (ünïcode ✓)"] });

  const drive = driveOf(await getJob(service, job), "Drive01");
  const error = await fetchText(drive.errorLogUri);
  expect(error.status).toBe(200);
  expect(error.contentType).toMatch(/^text\/plain/);
  expect(error.text.split("\n")).toEqual([expect.stringMatching(LINE("first error")), expect.stringMatching(LINE("second error")), expect.stringMatching(LINE("third error \\(ünïcode ✓\\)")), ""]);

  const verbose = await fetchText(drive.verboseLogUri);
  expect(verbose.status).toBe(200);
  expect(verbose.text.split("\n")).toEqual([expect.stringMatching(LINE("verbose one")), expect.stringMatching(LINE("verbose two")), expect.stringMatching(LINE("verbose three")), ""]);

  const backup = await fetchText(drive.manifestUri);
  expect(backup.status).toBe(200);
  expect(backup.contentType).toMatch(/^application\/xml/);
  expect(backup.text).toBe(manifest);

  // Each URI is a read-only SAS for that one blob, under the job's lower-case prefix.
  const prefix = `/${CONTAINER}/waimportexport/${job.sub}/logs-rg/verbose-logs/drives/DRIVE01/`;
  for (const [uri, file] of [[drive.errorLogUri, "error.log"], [drive.verboseLogUri, "verbose.log"], [drive.manifestUri, "manifest.xml"]]) {
    const url = new URL(uri);
    expect(url.pathname.endsWith(`${prefix}${file}`)).toBe(true);
    expect(url.searchParams.get("sp")).toBe("r");
    expect(url.searchParams.get("sr")).toBe("b");
    const lifetime = Date.parse(url.searchParams.get("se")!) - Date.now();
    expect(lifetime).toBeGreaterThan(50 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(60 * 60_000);
  }

  // Read-only: the same SAS cannot write.
  const write = await fetch(drive.errorLogUri, { method: "PUT", headers: { "x-ms-blob-type": "BlockBlob" }, body: "overwritten" });
  expect(write.status).toBe(403);
  expect((await fetchText(drive.errorLogUri)).text).toContain("first error");
});

test("logLevel Error: no verbose log and no verbose URI; no manifest URI without backupDriveManifest", async () => {
  const job = await copyingJob("error-logs", { logLevel: "Error", backupDriveManifest: false });
  await event(service, job, { type: "TransferStarted", driveId: "Drive01", manifest: "<DriveManifest/>" });
  const progress = await event(service, job, { type: "TransferProgress", driveId: "Drive01", bytesSucceeded: 1, percentComplete: 1, errorLog: ["only error"], verboseLog: ["never kept"] });
  expect(driveOf(progress, "Drive01").verboseLogUri).toBeUndefined();

  const drive = driveOf(await getJob(service, job), "Drive01");
  expect(drive.verboseLogUri).toBeUndefined();
  expect(drive.manifestUri).toBeUndefined();
  expect(drive.errorLogUri).toEqual(expect.any(String));
  expect((await fetchText(drive.errorLogUri)).text).toMatch(LINE("only error\n"));
  expect(await blobNames(`waimportexport/${job.sub}/`)).toEqual([`waimportexport/${job.sub}/logs-rg/error-logs/drives/DRIVE01/error.log`]);
});

test("a diagnosticsPath puts the blobs under it", async () => {
  const job = await copyingJob("custom-path", { diagnosticsPath: "MyDiagnostics" });
  await event(service, job, { type: "TransferStarted", driveId: "Drive01" });
  const drive = driveOf(await getJob(service, job), "Drive01");
  expect(new URL(drive.errorLogUri).pathname).toContain(`/mydiagnostics/${job.sub}/logs-rg/custom-path/drives/DRIVE01/error.log`);
  expect((await fetchText(drive.errorLogUri)).status).toBe(200);
});

test("a SAS with one character of its signature changed is refused with 403", async () => {
  const job = await copyingJob("tampered", {});
  await event(service, job, { type: "TransferStarted", driveId: "Drive01" });
  await event(service, job, { type: "TransferProgress", driveId: "Drive01", bytesSucceeded: 1, percentComplete: 1, errorLog: ["secret"] });
  const uri = driveOf(await getJob(service, job), "Drive01").errorLogUri;
  expect((await fetchText(uri)).status).toBe(200);
  const tampered = await fetchText(tamperedSignature(uri));
  expect(tampered.status).toBe(403);
  expect(tampered.text).not.toContain("secret");
  // Without any SAS the blob is not public either.
  expect((await fetchText(uri.split("?")[0])).status).not.toBe(200);
});

test("deleting a Completed job deletes its blobs: the old URIs 404", async () => {
  const job = await copyingJob("delete-logs", { logLevel: "Verbose", backupDriveManifest: true });
  await event(service, job, { type: "TransferStarted", driveId: "Drive01", manifest: "<m/>" });
  await event(service, job, { type: "TransferFinished", driveId: "Drive01", outcome: "Completed", errorLog: ["e"], verboseLog: ["v"] });
  expect((await event(service, job, { type: "ShippedBack", ...RETURN, driveCount: 1 })).properties.state).toBe("Completed");

  const drive = driveOf(await getJob(service, job), "Drive01");
  const uris = [drive.errorLogUri, drive.verboseLogUri, drive.manifestUri];
  for (const uri of uris) expect((await fetchText(uri)).status).toBe(200);
  expect(await blobNames(`waimportexport/${job.sub}/`)).toHaveLength(3);

  const deleted = await api(service, "DELETE", `${jobPath(job.sub, RG, job.name)}?${API}`);
  expect(deleted.status).toBe(200);
  expect((await api(service, "GET", `${jobPath(job.sub, RG, job.name)}?${API}`)).status).toBe(404);
  for (const uri of uris) expect((await fetchText(uri)).status).toBe(404);
  expect(await blobNames(`waimportexport/${job.sub}/`)).toEqual([]);
});
