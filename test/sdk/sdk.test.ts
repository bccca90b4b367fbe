/**
 * Drives the service with the unmodified official client, `StorageImportExport` from
 * `@azure/arm-storageimportexport`, as a customer would. The only changes are the endpoint, a fake
 * credential, and trust of the self-signed certificate the local host serves HTTPS with (the SDK's
 * bearer-token policy refuses plain HTTP). A recording policy keeps what went over the wire, so the
 * tests can also check what the SDK actually sent.
 */
import { randomUUID } from "node:crypto";
import { getContinuationToken, JobResponse, PutJobParameters, StorageImportExport } from "@azure/arm-storageimportexport";
import { PipelinePolicy, PipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { selfSignedCertificate } from "../../devhost/certificate";
import { devCredential, sdkClient } from "../support/sdk";
import { BITLOCKER_KEY, DELIVERY_PACKAGE, MANIFEST_HASH, RETURN_ADDRESS, startTestService, storageAccountId, TestService } from "../support/service";
import { ARM_OPERATIONS, WEST_US_SHIPPING } from "../support/fixtures";

const RESOURCE_GROUP = "sdk-rg";
const OTHER_RESOURCE_GROUP = "sdk-rg-2";
const RETURN_SHIPPING = { carrierName: "FedEx", carrierAccountNumber: "123456789" };

interface SentRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

let service: TestService;
let client: StorageImportExport;
let subscriptionId: string;
const sent: SentRequest[] = [];

beforeAll(async () => {
  const tls = await selfSignedCertificate(1);
  service = await startTestService({}, tls);
  subscriptionId = randomUUID();
  client = sdkClient(service.url, subscriptionId, tls.cert);
  const record: PipelinePolicy = {
    name: "recordRequests",
    sendRequest: (request, next) => {
      sent.push(snapshot(request));
      return next(request);
    },
  };
  client.pipeline.addPolicy(record, { afterPhase: "Sign" });
}, 60_000);

afterAll(async () => {
  await service?.close();
});

function snapshot(request: PipelineRequest): SentRequest {
  const headers = request.headers.toJSON();
  const body = typeof request.body === "string" ? JSON.parse(request.body) : undefined;
  return { method: request.method, url: new URL(request.url), headers, body };
}

function lastSent(method: string, pathEnd: string): SentRequest {
  const match = [...sent].reverse().find((request) => request.method === method && request.url.pathname.endsWith(pathEnd));
  if (!match) throw new Error(`no ${method} ...${pathEnd} was sent`);
  return match;
}

function drive(driveId: string) {
  return { driveId, bitLockerKey: BITLOCKER_KEY, manifestFile: "\\DriveManifest.xml", manifestHash: MANIFEST_HASH };
}

function importJob(overrides: Partial<PutJobParameters["properties"]> = {}): PutJobParameters {
  return {
    location: "West US",
    tags: { team: "sdk" },
    properties: {
      jobType: "Import",
      storageAccountId: storageAccountId(subscriptionId),
      returnAddress: RETURN_ADDRESS,
      returnShipping: RETURN_SHIPPING,
      driveList: [drive("SDKDRIVE01"), drive("SDKDRIVE02")],
      ...overrides,
    },
  };
}

function jobId(resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${name}`;
}

/** The request must fail with a `RestError` carrying this status and ARM error code. */
async function expectRestError(promise: Promise<unknown>, statusCode: number, code: string): Promise<RestError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(RestError);
  const error = caught as RestError;
  if (error.statusCode !== statusCode || error.code !== code) {
    throw new Error(`expected ${statusCode} ${code} but got ${error.statusCode} ${error.code}: ${error.message}`);
  }
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.response?.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  return error;
}

function expectImportJobShape(job: JobResponse, name: string): void {
  expect(job.id).toBe(jobId(RESOURCE_GROUP, name));
  expect(job.name).toBe(name);
  expect(job.type).toBe("Microsoft.ImportExport/jobs");
  expect(job.location).toBe("West US");
  expect(job.tags).toEqual({ team: "sdk" });
  expect(job.identity?.type).toBe("None");
  const properties = job.properties!;
  expect(properties.jobType).toBe("Import");
  expect(properties.storageAccountId).toBe(storageAccountId(subscriptionId));
  expect(properties.returnAddress).toEqual(RETURN_ADDRESS);
  expect(properties.returnShipping).toEqual(RETURN_SHIPPING);
  expect(properties.shippingInformation).toMatchObject(WEST_US_SHIPPING);
  expect(properties.provisioningState).toBe("Succeeded");
  expect(properties.cancelRequested).toBe(false);
  expect(properties.percentComplete).toBe(0);
  expect(properties.logLevel).toBe("Error");
  expect(properties.backupDriveManifest).toBe(false);
  expect(properties.encryptionKey?.kekType).toBe("MicrosoftManaged");
  expect(properties.export).toBeUndefined();
  const drives = properties.driveList!;
  expect(drives.map((d) => d.driveId)).toEqual(["SDKDRIVE01", "SDKDRIVE02"]);
  for (const d of drives) {
    expect(d.state).toBe("Specified");
    expect(d.manifestFile).toBe("\\DriveManifest.xml");
    expect(d.manifestHash).toBe(MANIFEST_HASH);
    expect(d.percentComplete).toBe(0);
    expect(d.bitLockerKey).toBeUndefined();
  }
}

describe("jobs through the official SDK", () => {
  const name = "sdk-import-1";

  test("create: an import job comes back Creating, with its drives Specified and no BitLocker keys", async () => {
    const job = await client.jobs.create(name, RESOURCE_GROUP, importJob());
    expectImportJobShape(job, name);
    expect(job.properties?.state).toBe("Creating");
    expect(job.properties?.deliveryPackage).toBeUndefined();
    expect(job.systemData?.createdAt).toBeInstanceOf(Date);

    // What the SDK put on the wire: HTTPS, the bearer token, api-version, and the keys in the body.
    const request = lastSent("PUT", `/jobs/${name}`);
    expect(request.url.protocol).toBe("https:");
    expect(request.url.searchParams.get("api-version")).toBe("2021-01-01");
    expect(request.headers.authorization).toBe("Bearer dev");
    expect(request.headers["content-type"]).toMatch(/^application\/json/);
    expect((request.body as { properties: { driveList: { bitLockerKey: string }[] } }).properties.driveList[0].bitLockerKey).toBe(BITLOCKER_KEY);
  });

  test("get: the same job, with systemData dates parsed", async () => {
    const job = await client.jobs.get(name, RESOURCE_GROUP);
    expectImportJobShape(job, name);
    expect(job.properties?.state).toBe("Creating");
    expect(job.systemData?.createdAt).toBeInstanceOf(Date);
    expect(job.systemData?.lastModifiedAt).toBeInstanceOf(Date);
    expect(Math.abs(job.systemData!.createdAt!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(job.systemData?.createdBy).toBe("dev-user");
    expect(job.systemData?.createdByType).toBe("User");
  });

  test("create answers 201 for a new job and 200 for the same definition again (create-or-update)", async () => {
    const statuses: number[] = [];
    const onResponse = (response: { status: number }) => void statuses.push(response.status);
    const fresh = "sdk-create-status";
    await client.jobs.create(fresh, RESOURCE_GROUP, importJob(), { onResponse });
    const again = await client.jobs.create(fresh, RESOURCE_GROUP, importJob(), { onResponse });
    expect(statuses).toEqual([201, 200]);
    expect(again.properties?.state).toBe("Creating");
    expect(again.properties?.driveList?.map((d) => d.driveId)).toEqual(["SDKDRIVE01", "SDKDRIVE02"]);
  });

  test("get, change, create: a job read through the SDK can be sent back with its read-only fields", async () => {
    const current = await client.jobs.get(name, RESOURCE_GROUP);
    // The drives come back without their keys, so the caller supplies them again.
    const driveList = current.properties!.driveList!.map((d) => ({ ...d, bitLockerKey: BITLOCKER_KEY }));
    const statuses: number[] = [];
    const updated = await client.jobs.create(
      name,
      RESOURCE_GROUP,
      { location: current.location, tags: { ...current.tags }, properties: { ...current.properties, driveList, diagnosticsPath: "waimportexport" } },
      { onResponse: (response) => void statuses.push(response.status) },
    );
    expect(statuses).toEqual([200]);
    expectImportJobShape(updated, name);
    expect(updated.properties?.diagnosticsPath).toBe("waimportexport");
    expect(updated.properties?.state).toBe("Creating");
    // The SDK sent the read-only fields it had read; the service ignored them.
    const wire = lastSent("PUT", `/jobs/${name}`).body as { properties: Record<string, unknown> };
    expect(wire.properties).toMatchObject({ state: "Creating", provisioningState: "Succeeded", percentComplete: 0 });
    expect(wire.properties.shippingInformation).toMatchObject(WEST_US_SHIPPING);
  });

  test("update: a delivery package, then state Shipping", async () => {
    const withPackage = await client.jobs.update(name, RESOURCE_GROUP, { deliveryPackage: DELIVERY_PACKAGE });
    expect(withPackage.properties?.state).toBe("Creating");
    expect(withPackage.properties?.deliveryPackage).toEqual(DELIVERY_PACKAGE);

    const shipped = await client.jobs.update(name, RESOURCE_GROUP, { state: "Shipping" });
    expect(shipped.name).toBe(name);
    expect(shipped.properties?.state).toBe("Shipping");
    expect(shipped.properties?.deliveryPackage).toEqual(DELIVERY_PACKAGE);
    expect(shipped.properties?.driveList?.map((d) => d.state)).toEqual(["Specified", "Specified"]);
    expect(shipped.systemData!.lastModifiedAt!.getTime()).toBeGreaterThanOrEqual(shipped.systemData!.createdAt!.getTime());

    const patch = lastSent("PATCH", `/jobs/${name}`);
    expect(patch.body).toEqual({ properties: { state: "Shipping" } });

    const fetched = await client.jobs.get(name, RESOURCE_GROUP);
    expect(fetched.properties?.state).toBe("Shipping");

    // A shipped job still takes tag changes.
    const tagged = await client.jobs.update(name, RESOURCE_GROUP, { tags: { team: "sdk", stage: "shipped" } });
    expect(tagged.tags).toEqual({ team: "sdk", stage: "shipped" });
    expect(tagged.properties?.state).toBe("Shipping");
  });

  test("update to Shipping without a delivery package is a 400 ShippingInformationMissing", async () => {
    const bare = "sdk-no-package";
    await client.jobs.create(bare, RESOURCE_GROUP, importJob());
    const error = await expectRestError(client.jobs.update(bare, RESOURCE_GROUP, { state: "Shipping" }), 400, "ShippingInformationMissing");
    expect(error.message).toMatch(/delivery package/);
    const job = await client.jobs.get(bare, RESOURCE_GROUP);
    expect(job.properties?.state).toBe("Creating");
  });

  test("update with cancelRequested before shipping ends the job", async () => {
    const cancelled = "sdk-cancel-me";
    await client.jobs.create(cancelled, RESOURCE_GROUP, importJob());
    const job = await client.jobs.update(cancelled, RESOURCE_GROUP, { cancelRequested: true });
    expect(job.properties?.cancelRequested).toBe(true);
    expect(job.properties?.state).toBe("Completed");
    expect(job.properties?.percentComplete).toBe(100);
    await expectRestError(client.jobs.update(cancelled, RESOURCE_GROUP, { cancelRequested: false }), 409, "CancellationCannotBeWithdrawn");
  });

  test("bitLockerKeys.list: each drive id with its key", async () => {
    const keys = [];
    for await (const key of client.bitLockerKeys.list(name, RESOURCE_GROUP)) keys.push(key);
    expect(keys.sort((a, b) => a.driveId!.localeCompare(b.driveId!))).toEqual([
      { driveId: "SDKDRIVE01", bitLockerKey: BITLOCKER_KEY },
      { driveId: "SDKDRIVE02", bitLockerKey: BITLOCKER_KEY },
    ]);
    expect(lastSent("POST", `/jobs/${name}/listBitLockerKeys`).body).toBeUndefined();
  });

  test("bitLockerKeys.list of a job that does not exist is a 404 ResourceNotFound", async () => {
    const iterator = client.bitLockerKeys.list("sdk-no-such-job", RESOURCE_GROUP);
    await expectRestError(iterator.next(), 404, "ResourceNotFound");
  });

  test("export job: export.blobPathPrefix goes out as blobList.blobPathPrefix and comes back", async () => {
    const exportName = "sdk-export-1";
    const created = await client.jobs.create(exportName, RESOURCE_GROUP, {
      location: "westus",
      properties: {
        jobType: "Export",
        storageAccountId: storageAccountId(subscriptionId),
        returnAddress: RETURN_ADDRESS,
        returnShipping: RETURN_SHIPPING,
        export: { blobPathPrefix: ["/container/"] },
      },
    });
    expect(created.properties?.jobType).toBe("Export");
    expect(created.properties?.state).toBe("Creating");
    expect(created.properties?.export).toEqual({ blobPathPrefix: ["/container/"] });
    expect(created.properties?.driveList ?? []).toEqual([]);

    const wire = lastSent("PUT", `/jobs/${exportName}`).body as { properties: { export: unknown } };
    expect(wire.properties.export).toEqual({ blobList: { blobPathPrefix: ["/container/"] } });

    const fetched = await client.jobs.get(exportName, RESOURCE_GROUP);
    expect(fetched.id).toBe(jobId(RESOURCE_GROUP, exportName));
    expect(fetched.location).toBe("westus");
    expect(fetched.properties?.jobType).toBe("Export");
    expect(fetched.properties?.export).toEqual({ blobPathPrefix: ["/container/"] });
    expect(fetched.properties?.shippingInformation).toMatchObject(WEST_US_SHIPPING);

    // Sent back as read, the export list round-trips through the SDK's mapping unchanged.
    const statuses: number[] = [];
    const echoed = await client.jobs.create(
      exportName,
      RESOURCE_GROUP,
      { location: fetched.location, properties: fetched.properties },
      { onResponse: (response) => void statuses.push(response.status) },
    );
    expect(statuses).toEqual([200]);
    expect(echoed.properties?.export).toEqual({ blobPathPrefix: ["/container/"] });
  });

  test("delete: the job is gone afterwards (404 ResourceNotFound)", async () => {
    const doomed = "sdk-delete-me";
    await client.jobs.create(doomed, RESOURCE_GROUP, importJob());
    await client.jobs.delete(doomed, RESOURCE_GROUP);
    expect(lastSent("DELETE", `/jobs/${doomed}`).body).toBeUndefined();
    await expectRestError(client.jobs.get(doomed, RESOURCE_GROUP), 404, "ResourceNotFound");
    await expectRestError(client.jobs.delete(doomed, RESOURCE_GROUP), 404, "ResourceNotFound");
  });

  test("delete of a shipped job is refused with 409 JobNotDeletable", async () => {
    await expectRestError(client.jobs.delete(name, RESOURCE_GROUP), 409, "JobNotDeletable");
  });

  test("a job that was never created is a 404 ResourceNotFound", async () => {
    const error = await expectRestError(client.jobs.get("sdk-never-created", RESOURCE_GROUP), 404, "ResourceNotFound");
    expect(error.message).toMatch(/sdk-never-created/);
    await expectRestError(client.jobs.update("sdk-never-created", RESOURCE_GROUP, { tags: { a: "b" } }), 404, "ResourceNotFound");
  });

  test("a bad request body surfaces the service's validation code", async () => {
    const error = await expectRestError(
      client.jobs.create("sdk-bad-job", RESOURCE_GROUP, importJob({ driveList: [] })),
      400,
      "DriveListRequired",
    );
    expect(error.message).toMatch(/driveList/);
  });
});

describe("listing through the SDK pager", () => {
  // A client of its own, so the jobs listed are exactly the ones created here.
  let listClient: StorageImportExport;
  let listSubscription: string;
  const names = { [RESOURCE_GROUP]: ["list-a1", "list-a2", "list-a3"], [OTHER_RESOURCE_GROUP]: ["list-b1", "list-b2"] };
  const allNames = [...names[RESOURCE_GROUP], ...names[OTHER_RESOURCE_GROUP]].sort();

  beforeAll(async () => {
    listSubscription = randomUUID();
    listClient = new StorageImportExport(devCredential, listSubscription, {
      endpoint: service.url,
      credentialScopes: ["https://management.azure.com/.default"],
      retryOptions: { maxRetries: 0 },
    });
    for (const policy of client.pipeline.getOrderedPolicies()) {
      if (policy.name === "trustLocalCertificate") listClient.pipeline.addPolicy(policy);
      if (policy.name === "recordRequests") listClient.pipeline.addPolicy(policy, { afterPhase: "Sign" });
    }
    for (const [resourceGroup, jobNames] of Object.entries(names)) {
      for (const jobName of jobNames) {
        await listClient.jobs.create(jobName, resourceGroup, {
          location: "West US",
          properties: {
            jobType: "Import",
            storageAccountId: storageAccountId(listSubscription),
            returnAddress: RETURN_ADDRESS,
            driveList: [drive(`${jobName.toUpperCase()}D1`)],
          },
        });
      }
    }
    // One job moves on, so a state filter has something to leave out.
    await listClient.jobs.update("list-a3", RESOURCE_GROUP, { deliveryPackage: DELIVERY_PACKAGE, state: "Shipping" });
  });

  test("listBySubscription with top 2 follows nextLink and sees every job exactly once", async () => {
    const seen: string[] = [];
    for await (const job of listClient.jobs.listBySubscription({ top: 2 })) {
      expect(job.id).toBe(`/subscriptions/${listSubscription}/resourceGroups/${job.id!.split("/")[4]}/providers/Microsoft.ImportExport/jobs/${job.name}`);
      expect(job.systemData?.createdAt).toBeInstanceOf(Date);
      seen.push(job.name!);
    }
    expect(seen.sort()).toEqual(allNames);

    const pages: string[][] = [];
    for await (const page of listClient.jobs.listBySubscription({ top: 2 }).byPage()) {
      expect(page.length).toBeLessThanOrEqual(2);
      pages.push(page.map((job) => job.name!));
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat().sort()).toEqual(allNames);
  });

  test("listByResourceGroup with top 2 pages through one resource group only", async () => {
    for (const [resourceGroup, expected] of Object.entries(names)) {
      const seen: string[] = [];
      for await (const job of listClient.jobs.listByResourceGroup(resourceGroup, { top: 2 })) {
        expect(job.id).toBe(`/subscriptions/${listSubscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${job.name}`);
        seen.push(job.name!);
      }
      expect(seen.sort()).toEqual([...expected].sort());
    }
    const pages = [];
    for await (const page of listClient.jobs.listByResourceGroup(RESOURCE_GROUP, { top: 2 }).byPage()) pages.push(page);
    expect(pages.map((page) => page.length)).toEqual([2, 1]);
  });

  test("a page's continuation token resumes the listing where it stopped", async () => {
    const pager = listClient.jobs.listBySubscription({ top: 2 }).byPage();
    const first = await pager.next();
    const token = getContinuationToken(first.value);
    expect(new URL(token!).searchParams.get("$skiptoken")).toEqual(expect.any(String));
    expect(new URL(token!).searchParams.get("$top")).toBe("2");
    const rest: string[] = [];
    for await (const page of listClient.jobs.listBySubscription({ top: 2 }).byPage({ continuationToken: token })) {
      rest.push(...page.map((job) => job.name!));
    }
    expect([...(first.value as JobResponse[]).map((job) => job.name!), ...rest].sort()).toEqual(allNames);
  });

  test("filter state eq 'Creating' goes through the SDK as $filter", async () => {
    const seen: string[] = [];
    for await (const job of listClient.jobs.listBySubscription({ filter: "state eq 'Creating'", top: 2 })) {
      expect(job.properties?.state).toBe("Creating");
      seen.push(job.name!);
    }
    expect(seen.sort()).toEqual(allNames.filter((n) => n !== "list-a3"));
    expect(lastSent("GET", "/providers/Microsoft.ImportExport/jobs").url.searchParams.get("$filter")).toBe("state eq 'Creating'");

    const shipping: string[] = [];
    for await (const job of listClient.jobs.listByResourceGroup(RESOURCE_GROUP, { filter: "state eq 'Shipping'" })) shipping.push(job.name!);
    expect(shipping).toEqual(["list-a3"]);
  });

  test("an unsupported filter is a 400 InvalidFilter", async () => {
    await expectRestError(listClient.jobs.listBySubscription({ filter: "name eq 'x'" }).next(), 400, "InvalidFilter");
  });
});

describe("provider operations through the SDK", () => {
  test("locations.list returns the data centers in the SDK's flattened shape", async () => {
    const locations = [];
    for await (const location of client.locations.list()) locations.push(location);
    expect(locations.length).toBeGreaterThan(1);
    const westus = locations.find((location) => location.name === "West US");
    expect(westus).toMatchObject({
      id: "/providers/Microsoft.ImportExport/locations/westus",
      type: "Microsoft.ImportExport/locations",
      recipientName: "Microsoft Azure Import/Export Service",
      city: "Santa Clara",
      postalCode: "95050",
      countryOrRegion: "USA",
    });
    expect(westus?.supportedCarriers).toEqual(expect.arrayContaining(["FedEx"]));
    expect(westus?.alternateLocations).toEqual(["/providers/Microsoft.ImportExport/locations/westus"]);
  });

  test("locations.get('westus') and a 404 for an unknown location", async () => {
    const westus = await client.locations.get("westus");
    expect(westus.id).toBe("/providers/Microsoft.ImportExport/locations/westus");
    expect(westus.name).toBe("West US");
    expect(westus.streetAddress1).toBe("2045 Lafayette Street");
    expect(westus.stateOrProvince).toBe("CA");
    await expectRestError(client.locations.get("atlantis"), 404, "ResourceNotFound");
  });

  test("operations.list returns the provider's operations with their display fields", async () => {
    const operations = [];
    for await (const operation of client.operations.list()) operations.push(operation);
    const names = operations.map((operation) => operation.name);
    expect(names).toEqual(
      expect.arrayContaining(ARM_OPERATIONS),
    );
    const read = operations.find((operation) => operation.name === "Microsoft.ImportExport/jobs/read");
    expect(read).toMatchObject({ provider: "Microsoft Import/Export", resource: "Jobs", operation: "Get or List Jobs" });
    expect(read?.description).toMatch(/list of jobs/);
  });
});

describe("client set-up", () => {
  test("the SDK refuses a bearer token over plain HTTP, which is why the tests serve HTTPS", async () => {
    const plain = new StorageImportExport(devCredential, randomUUID(), {
      endpoint: service.url.replace(/^https:/, "http:"),
      retryOptions: { maxRetries: 0 },
    });
    await expect(plain.locations.get("westus")).rejects.toThrow(/https/i);
  });

  test("the recorded requests carry the SDK's user agent and api-version", () => {
    expect(sent.length).toBeGreaterThan(0);
    for (const request of sent) {
      expect(request.url.searchParams.get("api-version")).toBe("2021-01-01");
      expect(request.headers["user-agent"]).toMatch(/azsdk-js-arm-storageimportexport\/2\.1\.0/);
    }
  });
});
