/** Jobs_Create (PUT): new jobs, create-or-update on an existing job, validation and name rules. */
import {
  API,
  BITLOCKER_KEY,
  DELIVERY_PACKAGE,
  driveSpec,
  exportJobBody,
  importJobBody,
  jobPath,
  newSubscriptionId,
  RETURN_ADDRESS,
  startTestService,
  storageAccountId,
  TestService,
  devToken,
} from "../support/service";
import { DEV_TENANT } from "../../shared/service/auth/authenticator";
import { api, createJob, expectArmError, jobUrl, readEntity, setStoredState } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "create-rg";

describe("new import job", () => {
  test("201 with the job in Creating, drives Specified, shipping information from the location", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "import-job-1"), importJobBody(sub, { tags: { team: "ops" } }));
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const job = response.body;
    expect(job.id).toBe(jobPath(sub, RG, "import-job-1"));
    expect(job.name).toBe("import-job-1");
    expect(job.type).toBe("Microsoft.ImportExport/jobs");
    expect(job.location).toBe("West US");
    expect(job.tags).toEqual({ team: "ops" });
    expect(job.properties.jobType).toBe("Import");
    expect(job.properties.state).toBe("Creating");
    expect(job.properties.provisioningState).toBe("Succeeded");
    expect(job.properties.cancelRequested).toBe(false);
    expect(job.properties.percentComplete).toBe(0);
    expect(job.properties.storageAccountId).toBe(storageAccountId(sub));
    expect(job.properties.driveList).toHaveLength(2);
    for (const [index, drive] of job.properties.driveList.entries()) {
      expect(drive.driveId).toBe(`DRIVE0${index + 1}`);
      expect(drive.state).toBe("Specified");
      expect(drive.manifestFile).toBe("\\DriveManifest.xml");
    }
    expect(job.properties.shippingInformation).toMatchObject({
      recipientName: "Microsoft Azure Import/Export Service",
      streetAddress1: "2045 Lafayette Street",
      city: "Santa Clara",
      stateOrProvince: "CA",
      postalCode: "95050",
      countryOrRegion: "USA",
    });
  });

  test("no BitLocker key anywhere in the response text", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "nokeys"), importJobBody(sub));
    expect(response.status).toBe(201);
    const text = JSON.stringify(response.body);
    expect(text).not.toContain(BITLOCKER_KEY);
    expect(text.toLowerCase()).not.toContain("bitlocker");
    const get = await api(service, "GET", jobUrl(sub, RG, "nokeys"));
    expect(JSON.stringify(get.body)).not.toContain(BITLOCKER_KEY);
    // Stored apart from the job document.
    const entity = await readEntity(sub, RG, "nokeys");
    expect(entity.Job).not.toContain(BITLOCKER_KEY);
    expect(JSON.parse(entity.BitLockerKeys)).toEqual({ DRIVE01: BITLOCKER_KEY, DRIVE02: BITLOCKER_KEY });
  });

  test("the token's user is the creator; the correlation id is echoed", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "whois"), importJobBody(sub), {
      authorization: `Bearer ${devToken({ tid: DEV_TENANT, upn: "alice@contoso.com" })}`,
      "x-ms-correlation-request-id": "corr-123",
    });
    expect(response.status).toBe(201);
    expect(response.body.systemData.createdBy).toBe("alice@contoso.com");
    expect(response.body.systemData.lastModifiedBy).toBe("alice@contoso.com");
    expect(response.headers.get("x-ms-correlation-request-id")).toBe("corr-123");
  });

  test("the location may be given by id, display name, any case or spacing", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "eastjob"), importJobBody(sub, { location: "east US" }));
    expect(response.status).toBe(201);
    expect(response.body.properties.shippingInformation.city).toBe("Ashburn");
  });

  test("optional properties are kept: return address, delivery package, log level", async () => {
    const sub = newSubscriptionId();
    const body = importJobBody(sub, {
      properties: { returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY_PACKAGE, logLevel: "verbose", backupDriveManifest: true },
    });
    const response = await api(service, "PUT", jobUrl(sub, RG, "full"), body);
    expect(response.status).toBe(201);
    expect(response.body.properties.returnAddress).toEqual(RETURN_ADDRESS);
    expect(response.body.properties.deliveryPackage).toEqual(DELIVERY_PACKAGE);
    expect(response.body.properties.logLevel).toBe("Verbose");
    expect(response.body.properties.backupDriveManifest).toBe(true);
    expect(response.body.properties.encryptionKey).toEqual({ kekType: "MicrosoftManaged" });
  });
});

describe("PUT on an existing job", () => {
  test("200 and updates the tags; the creation stays", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "again", importJobBody(sub, { tags: { a: "1" } }));
    const response = await api(service, "PUT", jobUrl(sub, RG, "again"), importJobBody(sub, { tags: { b: "2" } }));
    expect(response.status).toBe(200);
    expect(response.body.tags).toEqual({ b: "2" });
    expect(response.body.systemData.createdAt).toBe(created.body.systemData.createdAt);
    expect(response.body.properties.state).toBe("Creating");
    const get = await api(service, "GET", jobUrl(sub, RG, "again"));
    expect(get.body.tags).toEqual({ b: "2" });
  });

  test("a job name in another case is the same job", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "MixedCase");
    const response = await api(service, "PUT", jobUrl(sub, RG.toUpperCase(), "MIXEDCASE"), importJobBody(sub, { tags: { x: "y" } }));
    expect(response.status).toBe(200);
    expect(response.body.name).toBe("MixedCase");
    expect(response.body.tags).toEqual({ x: "y" });
  });

  test("the drive list may change while Creating", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "drives");
    const response = await api(service, "PUT", jobUrl(sub, RG, "drives"), importJobBody(sub, { properties: { driveList: [driveSpec("NEWDRIVE")] } }));
    expect(response.status).toBe(200);
    expect(response.body.properties.driveList.map((d: { driveId: string }) => d.driveId)).toEqual(["NEWDRIVE"]);
    const keys = await api(service, "POST", jobUrl(sub, RG, "drives", "/listBitLockerKeys"));
    expect(keys.body.value).toEqual([{ driveId: "NEWDRIVE", bitLockerKey: BITLOCKER_KEY }]);
  });

  test("a changed job type → 400 PropertyChangeNotAllowed", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "typed");
    const response = await api(service, "PUT", jobUrl(sub, RG, "typed"), exportJobBody(sub));
    expectArmError(response, 400, "PropertyChangeNotAllowed", { target: "properties.jobType" });
    expect((await api(service, "GET", jobUrl(sub, RG, "typed"))).body.properties.jobType).toBe("Import");
  });

  test("a changed location → 400 PropertyChangeNotAllowed; the same location spelled differently is fine", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "located");
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "located"), importJobBody(sub, { location: "eastus" })), 400, "PropertyChangeNotAllowed", {
      target: "location",
    });
    expect((await api(service, "PUT", jobUrl(sub, RG, "located"), importJobBody(sub, { location: "westus" }))).status).toBe(200);
  });

  test("the same definition on a Shipping job is accepted; a changed drive list is 409 PropertyNotUpdatable", async () => {
    const sub = newSubscriptionId();
    const body = importJobBody(sub, { properties: { returnAddress: RETURN_ADDRESS, deliveryPackage: DELIVERY_PACKAGE } });
    await createJob(service, sub, RG, "shipped", body);
    const ship = await api(service, "PATCH", jobUrl(sub, RG, "shipped"), { properties: { state: "Shipping" } });
    expect(ship.body.properties.state).toBe("Shipping");
    const same = await api(service, "PUT", jobUrl(sub, RG, "shipped"), body);
    expect(same.status).toBe(200);
    expect(same.body.properties.state).toBe("Shipping");
    const changed = await api(
      service,
      "PUT",
      jobUrl(sub, RG, "shipped"),
      importJobBody(sub, { properties: { returnAddress: RETURN_ADDRESS, driveList: [driveSpec("OTHER")] } }),
    );
    expectArmError(changed, 409, "PropertyNotUpdatable", { target: "properties.driveList" });
  });

  test("concurrent creates of one new job: exactly one 201, the others 200 or 409, never 5xx", async () => {
    const sub = newSubscriptionId();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api(service, "PUT", jobUrl(sub, RG, "racing"), importJobBody(sub))),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const response of responses) {
      if (response.status === 409) expectArmError(response, 409, "ConcurrentUpdateConflict");
      else expect([200, 201]).toContain(response.status);
    }
  });
});

describe("export jobs", () => {
  test("with blobList → 201, no drive list required", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "export-1"), exportJobBody(sub));
    expect(response.status).toBe(201);
    expect(response.body.properties.jobType).toBe("Export");
    expect(response.body.properties.state).toBe("Creating");
    expect(response.body.properties.export).toEqual({ blobList: { blobPathPrefix: ["/container/photos/"] } });
    expect(response.body.properties.driveList).toBeUndefined();
    expect(response.body.location).toBe("westus");
  });

  test("with blobListBlobPath → 201", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "export-2"), exportJobBody(sub, { export: { blobListBlobPath: "/container/list.xml" } }));
    expect(response.status).toBe(201);
    expect(response.body.properties.export).toEqual({ blobListBlobPath: "/container/list.xml" });
  });

  test("with both blobList and blobListBlobPath, or neither → 400 ExportBlobListRequired", async () => {
    const sub = newSubscriptionId();
    const both = exportJobBody(sub, { export: { blobListBlobPath: "/c/list.xml", blobList: { blobPath: ["/c/a.txt"] } } });
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "export-3"), both), 400, "ExportBlobListRequired", { target: "properties.export" });
    const neither = exportJobBody(sub, { export: {} });
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "export-3"), neither), 400, "ExportBlobListRequired");
    expectArmError(await api(service, "GET", jobUrl(sub, RG, "export-3")), 404, "ResourceNotFound");
  });

  test("with a drive list → 400 DriveListNotAllowed", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "export-4"), exportJobBody(sub, { driveList: [driveSpec("D1")] }));
    expectArmError(response, 400, "DriveListNotAllowed", { target: "properties.driveList" });
  });
});

describe("import job validation", () => {
  test("without a drive list (or an empty one) → 400 DriveListRequired", async () => {
    const sub = newSubscriptionId();
    const body = importJobBody(sub);
    delete (body.properties as Record<string, unknown>).driveList;
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "nodrives"), body), 400, "DriveListRequired", { target: "properties.driveList" });
    const empty = importJobBody(sub, { properties: { driveList: [] } });
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "nodrives"), empty), 400, "DriveListRequired");
  });

  test("with 11 drives → 400 naming properties.driveList", async () => {
    const sub = newSubscriptionId();
    const drives = Array.from({ length: 11 }, (_, i) => driveSpec(`DRIVE${i}`));
    const response = await api(service, "PUT", jobUrl(sub, RG, "eleven"), importJobBody(sub, { properties: { driveList: drives } }));
    expectArmError(response, 400, "InvalidRequestContent");
    expect(response.body.error.details).toEqual([expect.objectContaining({ target: "properties.driveList" })]);
    // Ten is the most a job takes.
    const ten = await api(service, "PUT", jobUrl(sub, RG, "ten"), importJobBody(sub, { properties: { driveList: drives.slice(0, 10) } }));
    expect(ten.status).toBe(201);
  });

  test("with duplicate drive ids (any case) → 400 DuplicateDriveId", async () => {
    const sub = newSubscriptionId();
    const response = await api(
      service,
      "PUT",
      jobUrl(sub, RG, "dupes"),
      importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE1"), driveSpec("drive1")] } }),
    );
    expectArmError(response, 400, "DuplicateDriveId", { target: "properties.driveList[1].driveId" });
  });

  test("with an export section → 400 ExportNotAllowed", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "mixed"), importJobBody(sub, { properties: { export: { blobListBlobPath: "/c/l.xml" } } }));
    expectArmError(response, 400, "ExportNotAllowed", { target: "properties.export" });
  });

  test("an unknown location → 400 InvalidLocation", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "nowhere"), importJobBody(sub, { location: "Atlantis" }));
    expectArmError(response, 400, "InvalidLocation", { target: "location", message: /Atlantis/ });
  });

  test("missing drive fields → one detail per bad field, targeted by path", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "partial"), importJobBody(sub, { properties: { driveList: [{ driveId: "DRIVE01" }] } }));
    expectArmError(response, 400, "InvalidRequestContent");
    const details = response.body.error.details as { code: string; target: string }[];
    expect(details.map((d) => d.target).sort()).toEqual([
      "properties.driveList[0].manifestFile",
      "properties.driveList[0].manifestHash",
    ]);
    for (const detail of details) expect(detail.code).toBe("MissingRequiredProperty");
  });

  test("a new drive without its BitLocker key → 400 BitLockerKeyRequired, targeted at the drive", async () => {
    const sub = newSubscriptionId();
    const { bitLockerKey: _omitted, ...keyless } = driveSpec("DRIVE02");
    const response = await api(service, "PUT", jobUrl(sub, RG, "keyless"), importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01"), keyless] } }));
    expectArmError(response, 400, "BitLockerKeyRequired", { target: "properties.driveList[1].bitLockerKey", message: /DRIVE02/ });
  });

  test("regression: a job read back without keys can be sent again; the stored keys are kept", async () => {
    const sub = newSubscriptionId();
    const created = await api(service, "PUT", jobUrl(sub, RG, "roundtrip"), importJobBody(sub));
    expect(created.status).toBe(201);

    const readBack = await api(service, "GET", jobUrl(sub, RG, "roundtrip"));
    const resent = await api(service, "PUT", jobUrl(sub, RG, "roundtrip"), { ...readBack.body, tags: { resent: "yes" } });
    const keys = await api(service, "POST", jobUrl(sub, RG, "roundtrip", "/listBitLockerKeys"));

    expect(resent.status).toBe(200);
    expect(resent.body.tags).toEqual({ resent: "yes" });
    expect(keys.body.value).toEqual([
      { driveId: "DRIVE01", bitLockerKey: BITLOCKER_KEY },
      { driveId: "DRIVE02", bitLockerKey: BITLOCKER_KEY },
    ]);
  });

  test("missing top-level fields and bad values → a detail for each", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "bad"), {
      properties: {
        jobType: "Sideways",
        storageAccountId: "not-an-id",
        driveList: [driveSpec("DRIVE01", { bitLockerKey: "1234", manifestHash: "xyz" })],
      },
    });
    expectArmError(response, 400, "InvalidRequestContent");
    const byTarget = Object.fromEntries((response.body.error.details as { code: string; target: string }[]).map((d) => [d.target, d.code]));
    expect(byTarget).toEqual({
      location: "MissingRequiredProperty",
      "properties.jobType": "InvalidPropertyValue",
      "properties.storageAccountId": "InvalidPropertyValue",
      "properties.driveList[0].bitLockerKey": "InvalidPropertyValue",
      "properties.driveList[0].manifestHash": "InvalidPropertyValue",
    });
    expect(response.body.error.message).toMatch(/5 properties are invalid/);
  });

  test("no properties at all → 400 with target properties", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "empty"), { location: "westus" });
    expectArmError(response, 400, "InvalidRequestContent");
    expect(response.body.error.details).toEqual([{ code: "MissingRequiredProperty", target: "properties", message: "'properties' is required." }]);
  });

  test("a bad return address email and tags that are not strings → 400 naming them", async () => {
    const sub = newSubscriptionId();
    const response = await api(
      service,
      "PUT",
      jobUrl(sub, RG, "addr"),
      importJobBody(sub, { tags: { n: 5 }, properties: { returnAddress: { ...RETURN_ADDRESS, email: "nope" } } }),
    );
    expectArmError(response, 400, "InvalidRequestContent");
    const targets = (response.body.error.details as { target: string }[]).map((d) => d.target).sort();
    expect(targets).toEqual(["properties.returnAddress.email", "tags.n"]);
  });
});

describe("resource names", () => {
  const badJobNames = ["a", "a".repeat(65), "-job", "job.name", "job%20name"];
  test.each(badJobNames)("job name %p → 400 InvalidResourceName", async (name) => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", `${jobPath(sub, RG, name)}?${API}`, importJobBody(sub));
    expectArmError(response, 400, "InvalidResourceName", { target: "jobName" });
  });

  test("names at the limits are accepted: 2 and 64 characters, '_' and '-' inside", async () => {
    const sub = newSubscriptionId();
    for (const name of ["ab", "a".repeat(64), "a_b-c"]) {
      expect((await api(service, "PUT", jobUrl(sub, RG, name), importJobBody(sub))).status).toBe(201);
    }
  });

  test.each(["rg.", "r".repeat(91), "rg%21"])("resource group %p → 400 InvalidResourceGroupName", async (rg) => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", `${jobPath(sub, rg, "job1")}?${API}`, importJobBody(sub));
    expectArmError(response, 400, "InvalidResourceGroupName", { target: "resourceGroupName" });
  });

  test("resource groups with '.', '(' and ')' inside are accepted", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, "my.rg(1)", "job1"), importJobBody(sub));
    expect(response.status).toBe(201);
    expect((await api(service, "GET", jobUrl(sub, "my.rg(1)", "job1"))).status).toBe(200);
  });

  test.each(["not-a-guid", "12345678123456781234567812345678"])("subscription %p → 400 InvalidSubscriptionId", async (sub) => {
    const response = await api(service, "PUT", `${jobPath(sub, RG, "job1")}?${API}`, importJobBody(newSubscriptionId()));
    expectArmError(response, 400, "InvalidSubscriptionId", { target: "subscriptionId" });
    expectArmError(await api(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`), 400, "InvalidSubscriptionId");
  });

  test("several bad names → the first is the error, all are details", async () => {
    const response = await api(service, "GET", `${jobPath("nope", "rg.", "x")}?${API}`);
    expectArmError(response, 400, "InvalidSubscriptionId");
    expect((response.body.error.details as { code: string }[]).map((d) => d.code)).toEqual([
      "InvalidSubscriptionId",
      "InvalidResourceGroupName",
      "InvalidResourceName",
    ]);
  });
});

test("a job written by an operator in a later state keeps its state through PUT", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "later");
  await setStoredState(sub, RG, "later", "Received");
  const response = await api(service, "PUT", jobUrl(sub, RG, "later"), importJobBody(sub, { tags: { t: "1" } }));
  expect(response.status).toBe(200);
  expect(response.body.properties.state).toBe("Received");
  expect(response.body.tags).toEqual({ t: "1" });
});
