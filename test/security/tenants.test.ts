/**
 * Tenant isolation: in ARM a subscription belongs to one tenant. In dev mode (as these suites run)
 * the first tenant to use a subscription registers it; ARM's lifecycle notification does it in
 * production (see subscription-lifecycle.test.ts). Every customer call from another tenant gets one
 * answer, `403 InvalidAuthenticationTokenTenant`, whatever exists: no existence oracle, no squatting.
 * Operators see every tenant's jobs.
 *
 * Regression (issue 11, item 2): another tenant's PUT on an existing job name answered 404 while a
 * free name answered 201, and any tenant could pre-create names in any subscription.
 */
import { randomUUID } from "node:crypto";
import { API, BITLOCKER_KEY, devToken, driveSpec, importJobBody, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";
import { expectArmError, jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { bearer, Body, RawResponse, send, withoutRequestIds } from "./helpers";

const TENANT_A = randomUUID();
const TENANT_B = randomUUID();
const ALICE = bearer(devToken({ tid: TENANT_A, upn: "alice@tenant-a.test" }));
const BOB = bearer(devToken({ tid: TENANT_B, upn: "bob@tenant-b.test" }));
const B_KEY = "111111-222222-333333-444444-555555-666666-777777-888888";
const RG = "Shared-RG";
const NAME = "alices-job";

let service: TestService;
/** Alice's subscription: she used it first. */
let sub: string;
let jobId: string;
let original: Body;

beforeAll(async () => {
  service = await startTestService(uniqueStorageNames());
  sub = newSubscriptionId();
  const created = await send(service, "PUT", jobUrl(sub, RG, NAME), {
    authorization: ALICE,
    body: importJobBody(sub, { tags: { owner: "alice" }, properties: { returnAddress: RETURN_ADDRESS } }),
  });
  expect(created.status).toBe(201);
  jobId = created.body.id;
  original = created.body;
});
afterAll(() => service.close());

/** Alice's job, as Alice reads it now. */
async function alicesJob(): Promise<Body> {
  const response = await send(service, "GET", jobUrl(sub, RG, NAME), { authorization: ALICE });
  expect(response.status).toBe(200);
  return response.body;
}

function expectWrongTenant(response: RawResponse, label: string): void {
  if (response.status !== 403) throw new Error(`${label}: expected 403 but got ${response.status} ${response.text}`);
  expectArmError(response, 403, "InvalidAuthenticationTokenTenant");
  expect(response.text).not.toContain(BITLOCKER_KEY);
  expect(response.text).not.toContain(TENANT_A);
  expect(response.text).not.toContain(NAME);
}

const timelineOf = (name: string) => `/portal/api/subscriptions/${sub}/resourceGroups/${RG}/jobs/${name}/timeline?${API}`;

describe("another tenant gets the same answer on every call, whatever exists", () => {
  const existing = NAME;
  const missing = "no-such-job";
  const withKeys = () => importJobBody(sub, { tags: { owner: "bob" }, properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: B_KEY })] } });
  const withoutKeys = () => importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: undefined })] } });
  const requests: [string, string, () => string, (() => unknown) | undefined][] = [
    ["GET an existing job", "GET", () => jobUrl(sub, RG, existing), undefined],
    ["GET a missing job", "GET", () => jobUrl(sub, RG, missing), undefined],
    ["PUT on an existing name", "PUT", () => jobUrl(sub, RG, existing), withKeys],
    ["PUT on a free name", "PUT", () => jobUrl(sub, RG, missing), withKeys],
    ["PUT on an existing name, drives without keys", "PUT", () => jobUrl(sub, RG, existing), withoutKeys],
    ["PUT on the existing name in another case", "PUT", () => jobUrl(sub, RG.toLowerCase(), existing.toUpperCase()), withKeys],
    ["PATCH an existing job", "PATCH", () => jobUrl(sub, RG, existing), () => ({ tags: { owner: "bob" } })],
    ["PATCH an existing job to Shipping", "PATCH", () => jobUrl(sub, RG, existing), () => ({ properties: { state: "Shipping", deliveryPackage: { carrierName: "FedEx", trackingNumber: "999" } } })],
    ["PATCH a missing job", "PATCH", () => jobUrl(sub, RG, missing), () => ({ tags: { owner: "bob" } })],
    ["DELETE an existing job", "DELETE", () => jobUrl(sub, RG, existing), undefined],
    ["DELETE a missing job", "DELETE", () => jobUrl(sub, RG, missing), undefined],
    ["listBitLockerKeys of an existing job", "POST", () => jobUrl(sub, RG, existing, "/listBitLockerKeys"), undefined],
    ["listBitLockerKeys of a missing job", "POST", () => jobUrl(sub, RG, missing, "/listBitLockerKeys"), undefined],
    ["list by subscription", "GET", () => `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`, undefined],
    ["list by resource group", "GET", () => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs?${API}`, undefined],
    ["list by an empty resource group", "GET", () => `/subscriptions/${sub}/resourceGroups/empty-rg/providers/Microsoft.ImportExport/jobs?${API}`, undefined],
    ["the portal's timeline of an existing job", "GET", () => timelineOf(existing), undefined],
    ["the portal's timeline of a missing job", "GET", () => timelineOf(missing), undefined],
  ];

  test("every request answers 403 InvalidAuthenticationTokenTenant, byte for byte the same apart from the request ids", async () => {
    const answers: { label: string; response: RawResponse }[] = [];
    for (const [label, method, path, body] of requests) {
      const response = await send(service, method, path(), { authorization: BOB, body: body?.() });
      expectWrongTenant(response, label);
      answers.push({ label, response });
    }
    const [first] = answers;
    for (const { label, response } of answers) {
      expect({ label, answer: withoutRequestIds(response) }).toEqual({ label, answer: withoutRequestIds(first.response) });
    }
  });

  test("nothing changed: Alice still has her job as she made it, with her keys, and Bob created nothing", async () => {
    const job = await alicesJob();
    expect(job.tags).toEqual({ owner: "alice" });
    expect(job.properties.state).toBe("Creating");
    expect(job.systemData).toEqual(original.systemData);
    expect(job.properties.driveList.map((drive: Body) => drive.driveId)).toEqual(["DRIVE01", "DRIVE02"]);
    const keys = await send(service, "POST", jobUrl(sub, RG, NAME, "/listBitLockerKeys"), { authorization: ALICE });
    expect(keys.body.value).toEqual([
      { driveId: "DRIVE01", bitLockerKey: BITLOCKER_KEY },
      { driveId: "DRIVE02", bitLockerKey: BITLOCKER_KEY },
    ]);
    expect(keys.text).not.toContain(B_KEY);
    // Bob's PUT on a free name squatted nothing: Alice can take the name.
    expectArmError(await send(service, "GET", jobUrl(sub, RG, "no-such-job"), { authorization: ALICE }), 404, "ResourceNotFound");
    expect((await send(service, "PUT", jobUrl(sub, RG, "no-such-job"), { authorization: ALICE, body: importJobBody(sub) })).status).toBe(201);
  });

  test("Alice's $skiptoken does not open her subscription to Bob", async () => {
    expect((await send(service, "PUT", jobUrl(sub, RG, "alices-second"), { authorization: ALICE, body: importJobBody(sub) })).status).toBe(201);
    const first = await send(service, "GET", `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs?${API}&$top=1`, { authorization: ALICE });
    expect(first.body.nextLink).toEqual(expect.any(String));
    const next = new URL(first.body.nextLink);
    expectWrongTenant(await send(service, "GET", `${next.pathname}${next.search}`, { authorization: BOB }), "Bob following Alice's nextLink");
  });
});

describe("first use registers a subscription (dev mode)", () => {
  test("a subscription Bob used first is Bob's: Alice can't create (or squat) there", async () => {
    const bobs = newSubscriptionId();
    expect((await send(service, "GET", `/subscriptions/${bobs}/providers/Microsoft.ImportExport/jobs?${API}`, { authorization: BOB })).status).toBe(200);
    expectWrongTenant(await send(service, "PUT", jobUrl(bobs, RG, "squatted"), { authorization: ALICE, body: importJobBody(bobs) }), "Alice in Bob's subscription");
    expect((await send(service, "PUT", jobUrl(bobs, RG, "squatted"), { authorization: BOB, body: importJobBody(bobs) })).status).toBe(201);
  });

  test("two tenants racing to use a fresh subscription: exactly one wins, the other gets 403", async () => {
    for (let round = 0; round < 5; round++) {
      const fresh = newSubscriptionId();
      const [a, b] = await Promise.all([
        send(service, "PUT", jobUrl(fresh, RG, "race-a"), { authorization: ALICE, body: importJobBody(fresh) }),
        send(service, "PUT", jobUrl(fresh, RG, "race-b"), { authorization: BOB, body: importJobBody(fresh) }),
      ]);
      expect([a.status, b.status].sort()).toEqual([201, 403]);
      const loser = a.status === 403 ? a : b;
      expectArmError(loser, 403, "InvalidAuthenticationTokenTenant");
    }
  });

  test("each tenant lists only its own subscription's jobs; filters can't reach the table's columns", async () => {
    const alices = await send(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`, { authorization: ALICE });
    expect(alices.status).toBe(200);
    expect((alices.body.value as Body[]).map((job) => job.name).sort()).toEqual(["alices-job", "alices-second", "no-such-job"]);
    for (const filter of ["TenantId ne ''", `state eq 'Creating') or (TenantId eq '${TENANT_A}'`, "PartitionKey ne ''", "state eq 'Creating' or true"]) {
      const response = await send(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}&$filter=${encodeURIComponent(filter)}`, { authorization: ALICE });
      expect(response.status).toBe(400);
    }
  });
});

describe("operators", () => {
  test("see every tenant's jobs: Alice's job is in GET /operator/jobs and readable by path", async () => {
    const items: Body[] = [];
    let next: string | undefined = "/operator/jobs?state=Creating";
    while (next) {
      const page = await send(service, "GET", next);
      expect(page.status).toBe(200);
      items.push(...page.body.value);
      next = page.body.nextLink ? `${new URL(page.body.nextLink).pathname}${new URL(page.body.nextLink).search}` : undefined;
    }
    expect(items.map((job) => job.id)).toContain(jobId);

    const job = await send(service, "GET", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/${NAME}`);
    expect(job.status).toBe(200);
    expect(job.body.id).toBe(jobId);
    // The operator view still carries no key and no tenant id.
    expect(job.text).not.toContain(BITLOCKER_KEY);
    expect(job.text).not.toContain(TENANT_A);
  });

  test("a customer token of either tenant gets 403 on the operator list", async () => {
    for (const authorization of [ALICE, BOB]) expectArmError(await send(service, "GET", "/operator/jobs?state=Creating", { authorization }), 403, "AuthorizationFailed");
  });
});
