/**
 * One import job from creation to Completed with the customer side driven by the official client
 * (`@azure/arm-storageimportexport`, over HTTPS with a self-signed certificate) and the data center
 * side by the operator API: what the SDK reads back at each step is what the operators recorded.
 */
import { randomUUID } from "node:crypto";
import { JobResponse, StorageImportExport } from "@azure/arm-storageimportexport";
import { RestError } from "@azure/core-rest-pipeline";
import { selfSignedCertificate } from "../../devhost/certificate";
import { sdkClient } from "../support/sdk";
import { BITLOCKER_KEY, DELIVERY_PACKAGE, MANIFEST_HASH, RETURN_ADDRESS, startTestService, storageAccountId, TestService } from "../support/service";
import { event, fetchText, getHistory, JobRef, jobChanges, PACKAGE, RETURN } from "./helpers";

const RG = "operator-sdk-rg";

let https: TestService;
let http: TestService;
let client: StorageImportExport;
let subscriptionId: string;

beforeAll(async () => {
  const tls = await selfSignedCertificate(1);
  // Two listeners over the same services: HTTPS for the SDK (its bearer policy refuses HTTP), HTTP for the operator calls.
  https = await startTestService({}, tls);
  http = await startTestService();
  subscriptionId = randomUUID();
  client = sdkClient(https.url, subscriptionId, tls.cert);
}, 60_000);

afterAll(async () => {
  await https?.close();
  await http?.close();
});

function drive(driveId: string) {
  return { driveId, bitLockerKey: BITLOCKER_KEY, manifestFile: "\\DriveManifest.xml", manifestHash: MANIFEST_HASH };
}

function states(job: JobResponse): Record<string, string | undefined> {
  return Object.fromEntries((job.properties?.driveList ?? []).map((d) => [d.driveId!, d.state]));
}

test("an import job through the SDK and the operator API: Creating → … → Completed, then deleted", async () => {
  const name = "sdk-operator-import";
  const job: JobRef = { sub: subscriptionId, rg: RG, name };

  const created = await client.jobs.create(name, RG, {
    location: "West US",
    properties: {
      jobType: "Import",
      storageAccountId: storageAccountId(subscriptionId),
      returnAddress: RETURN_ADDRESS,
      logLevel: "Verbose",
      backupDriveManifest: true,
      driveList: [drive("SDKOP1"), drive("SDKOP2")],
    },
  });
  expect(created.properties?.state).toBe("Creating");

  const shipping = await client.jobs.update(name, RG, { deliveryPackage: DELIVERY_PACKAGE, state: "Shipping" });
  expect(shipping.properties?.state).toBe("Shipping");
  expect(shipping.properties?.deliveryPackage).toMatchObject({ carrierName: "FedEx", trackingNumber: DELIVERY_PACKAGE.trackingNumber });

  await event(http, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["SDKOP1", "SDKOP2"] });
  let read = await client.jobs.get(name, RG);
  expect(read.properties?.state).toBe("Received");
  expect(states(read)).toEqual({ SDKOP1: "Received", SDKOP2: "Received" });

  await event(http, job, { type: "TransferStarted", driveId: "SDKOP1", totalBytes: 4000, manifest: "<DriveManifest/>" });
  await event(http, job, { type: "TransferStarted", driveId: "SDKOP2", totalBytes: 1000 });
  await event(http, job, { type: "TransferProgress", driveId: "SDKOP1", bytesSucceeded: 1000, percentComplete: 25, errorLog: ["sdk error line"], verboseLog: ["sdk verbose line"] });
  await event(http, job, { type: "TransferProgress", driveId: "SDKOP2", bytesSucceeded: 1000, percentComplete: 100 });

  read = await client.jobs.get(name, RG);
  expect(read.properties?.state).toBe("Transferring");
  // Each drive an equal share: (25 + 100) / 2.
  expect(read.properties?.percentComplete).toBe(62);
  const first = read.properties!.driveList!.find((d) => d.driveId === "SDKOP1")!;
  expect(first.percentComplete).toBe(25);
  expect(first.bytesSucceeded).toBe(1000);
  expect((await fetchText(first.errorLogUri!)).text).toMatch(/Z sdk error line\n$/);
  expect((await fetchText(first.verboseLogUri!)).text).toMatch(/Z sdk verbose line\n$/);
  expect((await fetchText(first.manifestUri!)).text).toBe("<DriveManifest/>");

  // Cancellation is no longer possible once the job is packaging: the SDK sees the 409.
  await event(http, job, { type: "TransferFinished", driveId: "SDKOP1", outcome: "Completed" });
  const packaging = await event(http, job, { type: "TransferFinished", driveId: "SDKOP2", outcome: "Completed" });
  expect(packaging.properties.state).toBe("Packaging");
  let refused: unknown;
  try {
    await client.jobs.update(name, RG, { cancelRequested: true });
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(RestError);
  expect((refused as RestError).statusCode).toBe(409);
  expect((refused as RestError).code).toBe("CancellationNotAllowed");

  await event(http, job, { type: "ShippedBack", ...RETURN });
  read = await client.jobs.get(name, RG);
  expect(read.properties?.state).toBe("Completed");
  expect(read.properties?.percentComplete).toBe(100);
  expect(read.properties?.returnPackage).toEqual(RETURN);
  expect(states(read)).toEqual({ SDKOP1: "ShippedBack", SDKOP2: "ShippedBack" });
  expect(jobChanges(await getHistory(http, job)).map(([, to]) => to)).toEqual(["Creating", "Shipping", "Received", "Transferring", "Packaging", "Completed"]);

  // A Completed job can be deleted, and its logs go with it.
  const logUri = read.properties!.driveList![0].errorLogUri!;
  expect((await fetchText(logUri)).status).toBe(200);
  await client.jobs.delete(name, RG);
  let gone: unknown;
  try {
    await client.jobs.get(name, RG);
  } catch (error) {
    gone = error;
  }
  expect((gone as RestError).statusCode).toBe(404);
  expect((await fetchText(logUri)).status).toBe(404);
});
