/**
 * `diagnosticsPath` and every other customer string that becomes part of a blob name. Regression
 * (issue 11, item 1): the path was pasted into blob names and the storage client resolves `..`, so
 * `"../victim-container"` made operator events write logs into another container of the account;
 * `".."` or a lone surrogate made every TransferStarted of the job a 500; `"\u0000"` broke listing
 * of the whole logs container. The path is now a container name with an optional virtual directory,
 * and blob names are joined from checked segments only.
 */
import { BlobServiceClient } from "@azure/storage-blob";
import { driveSpec, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob, expectArmError, jobsTable, jobUrl, readEntity } from "../api/helpers";
import { driveOf, event, getJob, JobRef, markShipping, PACKAGE } from "../operator/helpers";

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
