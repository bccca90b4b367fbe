/** Jobs_Get and BitLockerKeys_List. */
import {
  BITLOCKER_KEY,
  driveSpec,
  exportJobBody,
  importJobBody,
  jobPath,
  newSubscriptionId,
  startTestService,
  TestService,
} from "../support/service";
import { api, createJob, expectArmError, jobUrl } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "get-rg";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe("Jobs_Get", () => {
  test("200 with the full JobResponse shape", async () => {
    const sub = newSubscriptionId();
    const before = Date.now();
    await createJob(service, sub, RG, "shape", importJobBody(sub, { tags: { env: "test" } }));
    const response = await api(service, "GET", jobUrl(sub, RG, "shape"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const job = response.body;
    expect(job).toMatchObject({
      id: jobPath(sub, RG, "shape"),
      name: "shape",
      type: "Microsoft.ImportExport/jobs",
      location: "West US",
      tags: { env: "test" },
      identity: { type: "None" },
    });
    expect(job.systemData).toMatchObject({ createdBy: "dev-user", createdByType: "User", lastModifiedBy: "dev-user", lastModifiedByType: "User" });
    expect(job.systemData.createdAt).toMatch(ISO);
    expect(job.systemData.lastModifiedAt).toMatch(ISO);
    expect(Date.parse(job.systemData.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(job.systemData.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(job.properties).toMatchObject({
      jobType: "Import",
      state: "Creating",
      percentComplete: 0,
      cancelRequested: false,
      provisioningState: "Succeeded",
      logLevel: "Error",
      backupDriveManifest: false,
    });
    expect(job.properties.driveList).toEqual([
      expect.objectContaining({ driveId: "DRIVE01", state: "Specified", percentComplete: 0 }),
      expect.objectContaining({ driveId: "DRIVE02", state: "Specified", percentComplete: 0 }),
    ]);
    // Internal bookkeeping never reaches the wire.
    const text = JSON.stringify(job);
    for (const internal of ["creatingExpiresAt", "history", "stateChangedAt", "tenantId", "bitLockerKey", BITLOCKER_KEY]) {
      expect(text).not.toContain(internal);
    }
  });

  test("the job name and resource group are found in any case", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, "My-RG", "CaseJob");
    for (const [rg, name] of [["my-rg", "casejob"], ["MY-RG", "CASEJOB"], ["My-RG", "cAsEjOb"]]) {
      const response = await api(service, "GET", jobUrl(sub, rg, name));
      expect(response.status).toBe(200);
      expect(response.body.name).toBe("CaseJob");
    }
  });

  test("an uppercase subscription id finds the job", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "subcase");
    expect((await api(service, "GET", jobUrl(sub.toUpperCase(), RG, "subcase"))).status).toBe(200);
  });

  test("an unknown job → 404 ResourceNotFound", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "GET", jobUrl(sub, RG, "missing"));
    expectArmError(response, 404, "ResourceNotFound", { message: /missing/ });
  });

  test("another resource group's or subscription's job → 404", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "mine");
    expectArmError(await api(service, "GET", jobUrl(sub, "other-rg", "mine")), 404, "ResourceNotFound");
    expectArmError(await api(service, "GET", jobUrl(newSubscriptionId(), RG, "mine")), 404, "ResourceNotFound");
  });

  test("an export job has its export section and no drive list", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "exp", exportJobBody(sub));
    const response = await api(service, "GET", jobUrl(sub, RG, "exp"));
    expect(response.status).toBe(200);
    expect(response.body.properties.export.blobList.blobPathPrefix).toEqual(["/container/photos/"]);
    expect(response.body.properties.driveList).toBeUndefined();
  });
});

describe("BitLockerKeys_List", () => {
  test("returns {value: [{driveId, bitLockerKey}]} for each drive", async () => {
    const sub = newSubscriptionId();
    const other = "111111-222222-333333-444444-555555-666666-777777-888888";
    await createJob(service, sub, RG, "keys", importJobBody(sub, { properties: { driveList: [driveSpec("A1"), driveSpec("B2", { bitLockerKey: other })] } }));
    const response = await api(service, "POST", jobUrl(sub, RG, "keys", "/listBitLockerKeys"));
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(["value"]);
    expect(response.body.value).toEqual(
      expect.arrayContaining([
        { driveId: "A1", bitLockerKey: BITLOCKER_KEY },
        { driveId: "B2", bitLockerKey: other },
      ]),
    );
    expect(response.body.value).toHaveLength(2);
  });

  test("found with the job name in another case", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "KeyCase");
    const response = await api(service, "POST", jobUrl(sub, RG, "KEYCASE", "/listBitLockerKeys"));
    expect(response.status).toBe(200);
    expect(response.body.value).toHaveLength(2);
  });

  test("an export job has no keys", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "expkeys", exportJobBody(sub));
    const response = await api(service, "POST", jobUrl(sub, RG, "expkeys", "/listBitLockerKeys"));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ value: [] });
  });

  test("an unknown job → 404 ResourceNotFound", async () => {
    const sub = newSubscriptionId();
    expectArmError(await api(service, "POST", jobUrl(sub, RG, "nojob", "/listBitLockerKeys")), 404, "ResourceNotFound");
  });

  test("GET on listBitLockerKeys → 405 allowing POST", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "GET", jobUrl(sub, RG, "keys", "/listBitLockerKeys"));
    expectArmError(response, 405, "MethodNotAllowed");
    expect(response.headers.get("allow")).toBe("POST");
  });
});
