/**
 * The operator endpoint the copy agent unlocks a drive with: a drive's BitLocker key, for operators
 * only, and only while the drive is at the data center to be copied.
 */
import { api, expectArmError, jobUrl } from "../api/helpers";
import { event, markShipping } from "../operator/helpers";
import { BITLOCKER_KEY, newSubscriptionId, startTestService, TestService } from "../support/service";
import { DEMOSTORE_SUBSCRIPTION } from "../../devhost/azurite";
import { driveSpec } from "../support/service";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

async function importJob() {
  const job = { sub: newSubscriptionId(), rg: "keys", name: "key-job" };
  const created = await api(service, "PUT", jobUrl(job.sub, job.rg, job.name), {
    location: "westus",
    properties: { jobType: "Import", storageAccountId: `/subscriptions/${DEMOSTORE_SUBSCRIPTION}/resourceGroups/keys/providers/Microsoft.Storage/storageAccounts/demostore`, driveList: [driveSpec("DRIVE01")] },
  });
  expect(created.status).toBe(201);
  return job;
}

const keyPath = (job: { sub: string; rg: string; name: string }, driveId: string) => `/operator/subscriptions/${job.sub}/resourceGroups/${job.rg}/jobs/${job.name}/drives/${driveId}/bitLockerKey`;

test("an operator gets a Received drive's key; before the package arrives the key is refused", async () => {
  const job = await importJob();
  expectArmError(await api(service, "POST", keyPath(job, "DRIVE01")), 409, "InvalidDriveState");
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "1Z", driveIds: ["DRIVE01"] });

  const response = await api(service, "POST", keyPath(job, "drive01"));

  expect(response.status).toBe(200);
  expect(response.body).toEqual({ driveId: "DRIVE01", bitLockerKey: BITLOCKER_KEY });
});

test("a customer token cannot read a drive's key through the operator API", async () => {
  const job = await importJob();
  const response = await api(service, "POST", keyPath(job, "DRIVE01"), undefined, { authorization: "Bearer dev" });
  expectArmError(response, 403, "AuthorizationFailed");
});

test("an unknown drive or a malformed drive id is a clear 4xx", async () => {
  const job = await importJob();
  expectArmError(await api(service, "POST", keyPath(job, "NOPE")), 400, "DriveNotFound");
  expect((await api(service, "POST", keyPath(job, "bad%20id"))).status).toBe(400);
});
