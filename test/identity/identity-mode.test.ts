/**
 * The identity project's own check that it runs what Azure runs with a managed identity: service
 * URIs over HTTPS, every storage call signed with a token from the credential, no account key in
 * any setting, and log links signed with a user-delegation key.
 */
import { getServices, getSettings } from "../../shared/service/app/composition";
import { storageTokensIssued } from "../support/identity";
import { newSubscriptionId, startTestService, TestService } from "../support/service";
import { createJob } from "../api/helpers";
import { driveOf, event, getJob, markShipping, PACKAGE } from "../operator/helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

test("the service's storage is the service URIs over HTTPS with the token credential, and no setting holds a key", async () => {
  const storage = getSettings().storage;
  expect(storage.kind).toBe("identity");
  if (storage.kind !== "identity") return;
  for (const uri of [storage.tableServiceUri, storage.blobServiceUri, storage.queueServiceUri]) expect(uri).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(ImportExportStorage|AzureWebJobsStorage)/.test(name)) expect([name, value]).toEqual([name, expect.not.stringMatching(/AccountKey|SharedAccessSignature|sig=/i)]);
  }
  expect(process.env.ImportExportStorage).toBeUndefined();

  const before = storageTokensIssued();
  await getServices();
  await createJob(service, newSubscriptionId(), "identity-rg", "token-signed");
  expect(storageTokensIssued()).toBeGreaterThan(before);
});

test("log links are signed with a user-delegation key (no account key exists to sign them)", async () => {
  const job = { sub: newSubscriptionId(), rg: "identity-rg", name: "delegated-links" };
  await createJob(service, job.sub, job.rg, job.name);
  await markShipping(service, job);
  await event(service, job, { type: "PackageReceived", ...PACKAGE, driveIds: ["DRIVE01", "DRIVE02"] });
  await event(service, job, { type: "TransferStarted", driveId: "DRIVE01", totalBytes: 10 });
  await event(service, job, { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 5, percentComplete: 50, errorLog: ["an error"] });

  const link = new URL(driveOf(await getJob(service, job), "DRIVE01").errorLogUri);
  expect(link.protocol).toBe("https:");
  // skoid/sktid/skt/ske/sks/skv: the user-delegation key's object id, tenant, validity, service and version.
  for (const field of ["skoid", "sktid", "skt", "ske", "sks", "skv"]) expect([field, link.searchParams.get(field)]).toEqual([field, expect.any(String)]);
  expect(link.searchParams.get("sp")).toBe("r");
  const response = await fetch(link);
  expect(response.status).toBe(200);
  expect(await response.text()).toMatch(/an error\n$/);
});
