/**
 * ARM's linked access check (issue 20, item 1): a job may name only a storage account its caller's
 * tenant owns. Regression: tenant A created an export job naming the account tenant B's jobs use
 * (201, and `blobListBlobPath` told A which of B's blobs exist); the data center then copied B's
 * blob onto A's drive. An import by A overwrote B's blob.
 *
 * Here B is the dev tenant, which owns demostore (the account registry puts demostore in
 * DEMOSTORE_SUBSCRIPTION, registered to the dev tenant); A is another tenant with a subscription of
 * its own. Every way A names demostore answers 403 `LinkedAuthorizationFailed`, and B's account is
 * byte-for-byte what it was: no blob read into an answer, none written.
 */
import { createHash, randomUUID } from "node:crypto";
import { ContainerClient } from "@azure/storage-blob";
import { DEMOSTORE_SUBSCRIPTION } from "../../devhost/azurite";
import { api, expectArmError, jobUrl } from "../api/helpers";
import { container, demostoreId } from "../copy/helpers";
import { devToken, exportJobBody, importJobBody, newSubscriptionId, startTestService, storageAccountId, TestService } from "../support/service";

const TENANT_A = randomUUID();
const MALLORY = { authorization: `Bearer ${devToken({ tid: TENANT_A, upn: "mallory@tenant-a.test" })}` };
const RG = "linked-rg";

let service: TestService;
/** Tenant A's own subscription: A used it first. */
let subA: string;
/** B's container in demostore, with a private blob and a blob list. */
let victim: ContainerClient;
let before: string;

/**
 * B's container as A could have changed it: every blob's name, etag and content. (Other suites use
 * demostore at the same time, so its other containers are theirs to change.)
 */
async function snapshotOfDemostore(): Promise<string> {
  const lines: string[] = [];
  for await (const blob of victim.listBlobsFlat()) {
    const content = await victim.getBlobClient(blob.name).downloadToBuffer();
    lines.push(`${blob.name} ${blob.properties.etag} ${createHash("sha256").update(content).digest("hex")}`);
  }
  return lines.join("\n");
}

function variants(): Record<string, string> {
  const upper = DEMOSTORE_SUBSCRIPTION.toUpperCase();
  const fullWidth = (text: string) => [...text].map((char) => (/[0-9a-z]/i.test(char) ? String.fromCodePoint(char.codePointAt(0)! + 0xfee0) : char)).join("");
  return {
    "B's resource id, exactly": demostoreId(),
    "A's subscription with B's account name": `/subscriptions/${subA}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/demostore`,
    "B's id in other cases": `/SUBSCRIPTIONS/${upper}/resourcegroups/DEMO/providers/microsoft.storage/STORAGEACCOUNTS/DEMOSTORE`,
    "B's account name in full-width letters, in A's subscription": `/subscriptions/${subA}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${fullWidth("demostore")}`,
    "B's id with a full-width subscription and name": `/subscriptions/${fullWidth(DEMOSTORE_SUBSCRIPTION)}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/${fullWidth("DemoStore")}`,
    "B's id through the classic provider": `/subscriptions/${DEMOSTORE_SUBSCRIPTION}/resourceGroups/demo/providers/Microsoft.ClassicStorage/storageAccounts/demostore`,
  };
}

beforeAll(async () => {
  service = await startTestService();
  subA = newSubscriptionId();
  // A's own subscription, registered to A by A's first job (an account no one here reaches).
  const own = await api(service, "PUT", jobUrl(subA, RG, "mallorys-own"), importJobBody(subA), MALLORY);
  expect(own.status).toBe(201);
  victim = container(`victim-${randomUUID().slice(0, 8)}`);
  await victim.create();
  await victim.getBlockBlobClient("private/secret.txt").upload("B's secret", 10);
  const list = '<?xml version="1.0" encoding="utf-8"?><BlobList><BlobPath>/' + victim.containerName + "/private/secret.txt</BlobPath></BlobList>";
  await victim.getBlockBlobClient("bloblist.xml").upload(list, list.length);
  before = await snapshotOfDemostore();
});
afterAll(() => service.close());

function expectRefused(response: { status: number; body: unknown }, label: string): void {
  if (response.status !== 403) throw new Error(`${label}: expected 403 LinkedAuthorizationFailed, got ${response.status} ${JSON.stringify(response.body)}`);
  expectArmError(response as Parameters<typeof expectArmError>[0], 403, "LinkedAuthorizationFailed", { target: "properties.storageAccountId" });
}

describe("tenant A naming tenant B's account", () => {
  test.each(Object.keys(variants()))("an import job by %s: 403 LinkedAuthorizationFailed, and no job", async (label) => {
    const accountId = variants()[label];
    const name = `imp-${randomUUID().slice(0, 8)}`;
    expectRefused(await api(service, "PUT", jobUrl(subA, RG, name), importJobBody(subA, { properties: { storageAccountId: accountId } }), MALLORY), label);
    expect((await api(service, "GET", jobUrl(subA, RG, name), undefined, MALLORY)).status).toBe(404);
  });

  test.each(Object.keys(variants()))("an export job by %s: 403 LinkedAuthorizationFailed", async (label) => {
    const accountId = variants()[label];
    expectRefused(await api(service, "PUT", jobUrl(subA, RG, `exp-${randomUUID().slice(0, 8)}`), exportJobBody(subA, { storageAccountId: accountId }), MALLORY), label);
  });

  test("blobListBlobPath is no oracle: B's real blob list and a missing one get the same 403", async () => {
    const answers = [];
    for (const blobListBlobPath of [`/${victim.containerName}/bloblist.xml`, `/${victim.containerName}/no-such-list.xml`, "/no-such-container/list.xml"]) {
      const body = exportJobBody(subA, { storageAccountId: demostoreId(), export: { blobListBlobPath } });
      const response = await api(service, "PUT", jobUrl(subA, RG, `list-${randomUUID().slice(0, 8)}`), body, MALLORY);
      expectRefused(response, blobListBlobPath);
      answers.push(JSON.stringify((response.body as { error: unknown }).error).replace(/jobs\/list-[0-9a-f]+/, "jobs/…"));
    }
    expect(new Set(answers).size).toBe(1);
  });

  test("a PATCH of A's own job naming B's account: 403, and the job still names its own account", async () => {
    for (const accountId of Object.values(variants())) {
      const response = await api(service, "PATCH", jobUrl(subA, RG, "mallorys-own"), { properties: { storageAccountId: accountId } }, MALLORY);
      expectRefused(response, accountId);
    }
    const job = await api(service, "GET", jobUrl(subA, RG, "mallorys-own"), undefined, MALLORY);
    expect(job.body.properties.storageAccountId).toBe(storageAccountId(subA));
  });

  test("a PUT redefining A's own Creating job with B's account: 403, and the job unchanged", async () => {
    const response = await api(service, "PUT", jobUrl(subA, RG, "mallorys-own"), importJobBody(subA, { properties: { storageAccountId: demostoreId() } }), MALLORY);
    expectRefused(response, "redefine");
    const job = await api(service, "GET", jobUrl(subA, RG, "mallorys-own"), undefined, MALLORY);
    expect(job.body.properties.storageAccountId).toBe(storageAccountId(subA));
  });

  test("the refusal names neither B's tenant nor why (ARM's own words)", async () => {
    const response = await api(service, "PUT", jobUrl(subA, RG, "words"), importJobBody(subA, { properties: { storageAccountId: demostoreId() } }), MALLORY);
    expectRefused(response, "words");
    const message: string = response.body.error.message;
    expect(message).toMatch(/does not have permission to perform action\(s\) '.*blobs\/write.*' on the linked scope\(s\) '.*demostore'/);
    expect(message).not.toMatch(/registered|registry|another subscription|00000000-0000-0000-0000-00000000dev0/i);
  });

  test("B's container is as it was: no blob written or replaced", async () => {
    expect(await snapshotOfDemostore()).toBe(before);
  });
});

describe("the owners", () => {
  test("B (the dev tenant) names its own account from another of its subscriptions: 201", async () => {
    const sub = newSubscriptionId();
    const created = await api(service, "PUT", jobUrl(sub, RG, "bs-job"), importJobBody(sub, { properties: { storageAccountId: demostoreId() } }));
    expect(created.status).toBe(201);
  });

  test("B's own export naming B's blob list is checked as before (the list is read only for its owner)", async () => {
    const sub = newSubscriptionId();
    const missing = exportJobBody(sub, { storageAccountId: demostoreId(), export: { blobListBlobPath: `/${victim.containerName}/no-such-list.xml` } });
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "bs-export"), missing), 400, "BlobListBlobNotFound");
    const present = exportJobBody(sub, { storageAccountId: demostoreId(), export: { blobListBlobPath: `/${victim.containerName}/bloblist.xml` } });
    expect((await api(service, "PUT", jobUrl(sub, RG, "bs-export"), present)).status).toBe(201);
  });

  test("A's own account written in full-width letters: 400 InvalidStorageAccountId (its own, so the 403 is not needed)", async () => {
    const body = importJobBody(subA, { properties: { storageAccountId: `/subscriptions/${subA}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/ｍａｌｌｏｒｙ` } });
    expectArmError(await api(service, "PUT", jobUrl(subA, RG, "fullwidth-own"), body, MALLORY), 400, "InvalidStorageAccountId", { target: "properties.storageAccountId" });
  });

  test("an account no one here reaches, in a subscription of another tenant: 403", async () => {
    const body = importJobBody(subA, { properties: { storageAccountId: storageAccountId(DEMOSTORE_SUBSCRIPTION) } });
    expectRefused(await api(service, "PUT", jobUrl(subA, RG, "other-sub"), body, MALLORY), "other tenant's subscription");
  });
});
