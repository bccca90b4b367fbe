/**
 * Create's probe of the job's storage account (`CUSTOMER_ACCOUNT_CHECK=on`, as in Azure), against
 * Azurite: in the key project the customer accounts are reached with their keys; in the identity
 * project with the token credential over HTTPS, as the service's managed identity reaches them.
 * Azurite answers an account it does not serve with 404 ResourceNotFound (Azure's own answer is a
 * host that does not resolve), and a wrong key with 403 AuthorizationFailure.
 */
import { DEMOSTORE_ACCOUNT, DEMOSTORE_KEY, DEMOSTORE_SUBSCRIPTION, freePort } from "../../devhost/azurite";
import { exportJobBody, importJobBody, jobPath, newSubscriptionId, startTestService, TestService } from "../support/service";
import { identityMode, runIdentityStorage } from "../support/identity";
import { api, expectArmError } from "./helpers";

/** A key for an account Azurite does not serve: the service may try it, Azurite does not know it. */
const GHOST_ACCOUNT = "ghoststore";

/**
 * The customer-account settings of this project: keys in the key project, the identity otherwise.
 * Both accounts live in demostore's subscription (the linked access check's registry), which the
 * harness registers to the dev tenant; with no keys every account is reached, so each the tests
 * name is registered.
 */
function customerAccounts(): Record<string, string> {
  const CUSTOMER_ACCOUNT_SUBSCRIPTIONS = [DEMOSTORE_ACCOUNT, GHOST_ACCOUNT, "teststore"].map((account) => `${account}:${DEMOSTORE_SUBSCRIPTION}`).join(";");
  if (identityMode()) return { CUSTOMER_BLOB_ENDPOINT: runIdentityStorage().blob.replace(/[^/]+$/, "{account}"), CUSTOMER_ACCOUNT_KEYS: "", CUSTOMER_ACCOUNT_SUBSCRIPTIONS };
  return { CUSTOMER_ACCOUNT_KEYS: `${DEMOSTORE_ACCOUNT}:${DEMOSTORE_KEY};${GHOST_ACCOUNT}:${DEMOSTORE_KEY}`, CUSTOMER_ACCOUNT_SUBSCRIPTIONS };
}

/** The account's id, in its own subscription whatever the job's. */
function accountId(account: string): string {
  return `/subscriptions/${DEMOSTORE_SUBSCRIPTION}/resourceGroups/storage-rg/providers/Microsoft.Storage/storageAccounts/${account}`;
}

function importInto(subscriptionId: string, account: string) {
  return importJobBody(subscriptionId, { properties: { storageAccountId: accountId(account) } });
}

async function put(service: TestService, subscriptionId: string, name: string, body: unknown) {
  return api(service, "PUT", `${jobPath(subscriptionId, "account-check-rg", name)}?api-version=2021-01-01`, body);
}

describe("with the account check on", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ ...customerAccounts(), CUSTOMER_ACCOUNT_CHECK: "on" });
  });
  afterAll(() => service.close());

  test("an account the endpoint does not serve: 400 StorageAccountNotFound naming it, and no job", async () => {
    const sub = newSubscriptionId();
    const created = await put(service, sub, "ghost-import", importInto(sub, GHOST_ACCOUNT));
    expectArmError(created, 400, "StorageAccountNotFound", { target: "properties.storageAccountId", message: /'ghoststore' does not exist \(404 ResourceNotFound\)/ });
    expect((await api(service, "GET", `${jobPath(sub, "account-check-rg", "ghost-import")}?api-version=2021-01-01`)).status).toBe(404);
  });

  test("a definition the job's own rules refuse gets their error first, whatever its account", async () => {
    const sub = newSubscriptionId();
    const body = importJobBody(sub, { properties: { storageAccountId: accountId(GHOST_ACCOUNT), diagnosticsPath: "no/../escape" } });
    expectArmError(await put(service, sub, "ghost-bad-definition", body), 400, "InvalidDiagnosticsPath", { target: "properties.diagnosticsPath" });
  });

  test("an export job naming such an account is refused the same way", async () => {
    const sub = newSubscriptionId();
    const body = exportJobBody(sub, { storageAccountId: accountId(GHOST_ACCOUNT) });
    expectArmError(await put(service, sub, "ghost-export", body), 400, "StorageAccountNotFound", { target: "properties.storageAccountId" });
  });

  test("an account it serves: 201, its diagnostics container not made yet is no obstacle", async () => {
    const sub = newSubscriptionId();
    const body = importJobBody(sub, { properties: { storageAccountId: accountId(DEMOSTORE_ACCOUNT), diagnosticsPath: `never-made-${sub.slice(0, 8)}` } });
    const created = await put(service, sub, "served-import", body);
    expect(created.status).toBe(201);
  });

  if (!identityMode()) {
    test("an account this service holds no key for, when it reaches accounts by key: 400, without naming the accounts it reaches (other customers')", async () => {
      const sub = newSubscriptionId();
      const created = await put(service, sub, "unkeyed-import", importInto(sub, "teststore"));
      expectArmError(created, 400, "StorageAccountNotReachable", { target: "properties.storageAccountId", message: /'teststore'/ });
      expect(JSON.stringify(created.body)).not.toMatch(/demostore|ghoststore/);
    });
  }
});

// Azurite's OAuth accepts any well-formed token, so only a key can be refused here.
if (!identityMode()) describe("with the account check on and a key the account refuses", () => {
  let service: TestService;
  beforeAll(async () => {
    const wrongKey = Buffer.alloc(64, 7).toString("base64");
    service = await startTestService({ CUSTOMER_ACCOUNT_KEYS: `${DEMOSTORE_ACCOUNT}:${wrongKey}`, CUSTOMER_ACCOUNT_CHECK: "on" });
  });
  afterAll(() => service.close());

  test("403 from the account: 400 StorageAccountAccessDenied naming the account and the role to grant", async () => {
    const sub = newSubscriptionId();
    const created = await put(service, sub, "refused-import", importInto(sub, DEMOSTORE_ACCOUNT));
    expectArmError(created, 400, "StorageAccountAccessDenied", {
      target: "properties.storageAccountId",
      message: /'demostore' refuses the Import\/Export service \(403 AuthorizationFailure\)\. Grant .* 'Storage Blob Data Contributor' role/,
    });
  });
});

describe("with the account check on and the account's endpoint not answering", () => {
  let service: TestService;
  beforeAll(async () => {
    // Nothing listens there: the probe learns nothing about the account, so the job is accepted.
    const endpoint = `http://127.0.0.1:${await freePort()}/{account}`;
    service = await startTestService({ CUSTOMER_BLOB_ENDPOINT: endpoint, CUSTOMER_ACCOUNT_KEYS: `${DEMOSTORE_ACCOUNT}:${DEMOSTORE_KEY}`, CUSTOMER_ACCOUNT_CHECK: "on", STORAGE_TIMEOUT_MS: "2000" });
  });
  afterAll(() => service.close());

  test("a probe without an answer is no reason to refuse: 201", async () => {
    const sub = newSubscriptionId();
    expect((await put(service, sub, "unanswered-import", importInto(sub, DEMOSTORE_ACCOUNT))).status).toBe(201);
  });
});

describe("with the account check off (locally, and by default)", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({ ...customerAccounts(), CUSTOMER_ACCOUNT_CHECK: "off" });
  });
  afterAll(() => service.close());

  test("an account the endpoint does not serve is accepted: 201", async () => {
    const sub = newSubscriptionId();
    expect((await put(service, sub, "ghost-accepted", importInto(sub, GHOST_ACCOUNT))).status).toBe(201);
    expect((await put(service, sub, "unkeyed-accepted", importInto(sub, "teststore"))).status).toBe(201);
  });
});
