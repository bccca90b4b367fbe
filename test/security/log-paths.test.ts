/**
 * `diagnosticsPath` and every other customer string that becomes part of a blob name. Regression
 * (issue 11, item 1): the path was pasted into blob names and the storage client resolves `..`, so
 * `"../victim-container"` made operator events write logs into another container of the account;
 * `".."` or a lone surrogate made every TransferStarted of the job a 500; `"\u0000"` broke listing
 * of the whole logs container. The path is now a container name with an optional virtual directory,
 * and blob names are joined from checked segments only.
 */
import { BlobServiceClient } from "@azure/storage-blob";
import { DEV_TENANT } from "../../shared/auth/authenticator";
import { Job } from "../../shared/domain/job";
import { jobBlobPrefix, MAX_DIAGNOSTICS_PATH_BYTES } from "../../shared/domain/log-blobs";
import { JobsStore } from "../../shared/storage/jobs.store";
import { creatingJob } from "../support/fixtures";
import { driveSpec, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob, expectArmError, jobsTable, jobUrl, readEntity } from "../api/helpers";
import { driveOf, event, getJob, JobRef, markShipping, PACKAGE, RETURN } from "../operator/helpers";

const RG = "paths-rg";
const CONTAINER = "importexport-logs";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

function blobService() {
  return BlobServiceClient.fromConnectionString(process.env.TEST_STORAGE_CONNECTION_STRING!);
}

async function blobNames(prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of blobService().getContainerClient(CONTAINER).listBlobsFlat({ prefix })) names.push(blob.name);
  return names.sort();
}

async function containerNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const container of blobService().listContainers()) names.push(container.name);
  return names;
}

function bodyWithPath(sub: string, diagnosticsPath: string) {
  return importJobBody(sub, { properties: { driveList: [driveSpec("Drive01")], diagnosticsPath, backupDriveManifest: true } });
}

/** A value as a short test label. */
function label(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 30)}…(${value.length})` : value);
}

describe("diagnosticsPath on create", () => {
  test.each([
    ["../victim-container"],
    [".."],
    ["../../../evil"],
    ["waimportexport/../victim"],
    ["waimportexport/./x"],
    ["waimportexport//x"],
    ["/waimportexport"],
    ["waimportexport/dir."],
    ["waimportexport\\..\\victim"],
    ["\u0000"],
    ["waimportexport/a\u0000b"],
    ["waimportexport/\u0085"],
    ["\ud800"],
    ["waimportexport/x\udc00"],
    [""],
    ["ab"],
    ["bad--container"],
    ["-starts-with-hyphen"],
    ["has_underscore"],
    ["x".repeat(64)],
    [`waimportexport/${"d/".repeat(70)}x`],
    [`waimportexport/${"x".repeat(600)}`],
    // Measured in bytes once lower-cased (issue 20): 920 bytes; and 'İ', two bytes that lower-case to three.
    [`mylogs/${"漢".repeat(305)}`],
    [`mylogs/${"İ".repeat(250)}`],
  ].map(([path]) => [label(path), path]))("%s is refused: 400 InvalidDiagnosticsPath with target properties.diagnosticsPath", async (_label, path) => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "bad-path"), bodyWithPath(sub, path));
    expectArmError(response, 400, "InvalidDiagnosticsPath", { target: "properties.diagnosticsPath", message: /container name/ });
    expect((await api(service, "GET", jobUrl(sub, RG, "bad-path"))).status).toBe(404);
  });

  test.each([["waimportexport"], ["mylogs"], ["MyDiagnostics"], ["mylogs/import-2026"], ["mylogs/run 1/ünïcode ✓/😀"], ["mylogs/dir/"], ["abc"], ["a".repeat(63)]])(
    "%j is accepted and returned as given",
    async (path) => {
      const sub = newSubscriptionId();
      const response = await api(service, "PUT", jobUrl(sub, RG, "good-path"), bodyWithPath(sub, path));
      expect(response.status).toBe(201);
      expect(response.body.properties.diagnosticsPath).toBe(path);
    },
  );

  test("a path over the byte limit (305 non-ASCII characters: 915 bytes) is refused naming its size and the limit", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "too-many-bytes"), bodyWithPath(sub, `mylogs/${"漢".repeat(305)}`));
    expectArmError(response, 400, "InvalidDiagnosticsPath", { target: "properties.diagnosticsPath", message: new RegExp(`922 bytes in UTF-8 once lower-cased, and at most ${MAX_DIAGNOSTICS_PATH_BYTES} bytes are allowed`) });
  });

  test("Create on an existing job with a bad path is refused the same way, and the job is unchanged", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "redefined", bodyWithPath(sub, "mylogs"));
    const response = await api(service, "PUT", jobUrl(sub, RG, "redefined"), bodyWithPath(sub, "../victim-container"));
    expectArmError(response, 400, "InvalidDiagnosticsPath", { target: "properties.diagnosticsPath" });
    expect((await api(service, "GET", jobUrl(sub, RG, "redefined"))).body.properties.diagnosticsPath).toBe("mylogs");
  });
});

describe("blobs stay in the logs container", () => {
  async function copyingJob(name: string, diagnosticsPath: string): Promise<JobRef> {
    const job = { sub: newSubscriptionId(), rg: RG, name };
    await createJob(service, job.sub, RG, name, bodyWithPath(job.sub, diagnosticsPath));
    await markShipping(service, job);
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["Drive01"] });
    return job;
  }

  test("a virtual directory puts the job's blobs under it, in lower case", async () => {
    const job = await copyingJob("virtual-dir", "MyLogs/Import-2026/");
    await event(service, job, { type: "TransferStarted", driveId: "Drive01", manifest: "<m/>" });
    await event(service, job, { type: "TransferProgress", driveId: "Drive01", bytesSucceeded: 1, percentComplete: 1, errorLog: ["e"] });
    expect(await blobNames("mylogs/")).toEqual([`mylogs/import-2026/${job.sub}/${RG}/virtual-dir/drives/DRIVE01/error.log`, `mylogs/import-2026/${job.sub}/${RG}/virtual-dir/drives/DRIVE01/manifest.xml`]);
    expect(new URL(driveOf(await getJob(service, job), "Drive01").errorLogUri).pathname).toContain(`/${CONTAINER}/mylogs/import-2026/`);
  });

  test("a job stored before paths were checked, with '../victim-container', writes under the default path instead", async () => {
    const job = await copyingJob("legacy-escape", "waimportexport");
    // What such a job looks like in the table: the path as the customer sent it.
    const entity = await readEntity(job.sub, RG, job.name);
    const document = JSON.parse(entity.Job);
    await jobsTable().updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Job: JSON.stringify({ ...document, diagnosticsPath: "../victim-container" }) }, "Merge");

    const started = await event(service, job, { type: "TransferStarted", driveId: "Drive01", manifest: "<m/>" });
    expect(started.properties.state).toBe("Transferring");
    await event(service, job, { type: "TransferProgress", driveId: "Drive01", bytesSucceeded: 1, percentComplete: 1, errorLog: ["e"] });

    expect(await containerNames()).not.toContain("victim-container");
    expect(await blobNames(`waimportexport/${job.sub}/`)).toEqual([`waimportexport/${job.sub}/${RG}/legacy-escape/drives/DRIVE01/error.log`, `waimportexport/${job.sub}/${RG}/legacy-escape/drives/DRIVE01/manifest.xml`]);
  });
});

/**
 * Regression (issue 20, item 2): a path of 305 non-ASCII characters (or ~500 ASCII) was accepted;
 * a job with logs under it then answered 500 to every DELETE, as the cleanup index entry written
 * before the delete carried the blob prefix, base64-encoded, in its key, over Table Storage's limit.
 */
describe("a job's logs under a long path are deleted with it", () => {
  async function putBlob(name: string): Promise<void> {
    await blobService().getContainerClient(CONTAINER).getBlockBlobClient(name).upload("log line\n", 9);
  }

  test.each([
    ["305 non-ASCII characters", `longpaths/${"é".repeat(305)}`],
    ["~500 ASCII characters", `longpaths/${"x".repeat(495)}`],
  ])("a Creating job stored with %s (before paths were measured in bytes) and logs: DELETE is 200, the job and its logs are gone", async (_label, diagnosticsPath) => {
    const sub = newSubscriptionId();
    const base = creatingJob({ subscriptionId: sub, resourceGroup: RG, name: "legacy-long-path" }, { definition: { diagnosticsPath } });
    const job: Job = { ...base, tenantId: DEV_TENANT, drives: base.drives.map((drive) => ({ ...drive, blobs: { errorLog: true } })) };
    await new JobsStore(jobsTable()).insert(job);
    const prefix = jobBlobPrefix(job);
    expect(prefix.startsWith(diagnosticsPath.toLowerCase())).toBe(true);
    await putBlob(`${prefix}drives/DRIVE01/error.log`);

    const deleted = await api(service, "DELETE", jobUrl(sub, RG, job.key.name));

    expect(deleted.status).toBe(200);
    expect((await api(service, "GET", jobUrl(sub, RG, job.key.name))).status).toBe(404);
    expect(await blobNames(prefix)).toEqual([]);
  });

  test("the longest path accepted, at the longest names: the copy writes its logs, and the finished job is deleted with them", async () => {
    const sub = newSubscriptionId();
    const rg = `R${"g".repeat(88)})`;
    const name = `J${"o".repeat(63)}`;
    const driveId = `D${"r".repeat(63)}`;
    // Two-byte characters, so the path reaches the byte limit within its 512 characters.
    const fill = MAX_DIAGNOSTICS_PATH_BYTES - "longpaths/".length;
    const diagnosticsPath = `longpaths/${"ü".repeat(Math.floor(fill / 2))}${"a".repeat(fill % 2)}`;
    const created = await api(service, "PUT", jobUrl(sub, rg, name), importJobBody(sub, { properties: { driveList: [driveSpec(driveId)], diagnosticsPath, backupDriveManifest: true } }));
    expect(created.status).toBe(201);
    const job = { sub, rg, name };
    await markShipping(service, job);
    await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: [driveId] });
    await event(service, job, { type: "TransferStarted", driveId, manifest: "<m/>" });
    await event(service, job, { type: "TransferProgress", driveId, bytesSucceeded: 1, percentComplete: 1, errorLog: ["e"] });
    const prefix = `${diagnosticsPath.toLowerCase()}/${sub}/${rg.toLowerCase()}/${name.toLowerCase()}/`;
    expect(await blobNames(prefix)).toEqual([`${prefix}drives/${driveId.toUpperCase()}/error.log`, `${prefix}drives/${driveId.toUpperCase()}/manifest.xml`]);
    expect(Math.max(...(await blobNames(prefix)).map((blob) => Buffer.byteLength(blob)))).toBe(1024);
    await event(service, job, { type: "TransferFinished", driveId, outcome: "Completed" });
    expect((await event(service, job, { type: "ShippedBack", ...RETURN })).properties.state).toBe("Completed");

    const deleted = await api(service, "DELETE", jobUrl(sub, rg, name));

    expect(deleted.status).toBe(200);
    expect(await blobNames(prefix)).toEqual([]);
  });
});
