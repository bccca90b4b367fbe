/**
 * Tenant isolation: a job belongs to the tenant (`tid`) that created it. Another tenant's requests
 * answer exactly as for a job that does not exist (same status, code, message and headers), never
 * change it, and its lists never show it; operators see every tenant's jobs.
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

/** The same request for a job of the same resource group and name in a subscription that has none. */
function elsewhere(path: string): string {
  const other = newSubscriptionId();
  return path.replace(`/subscriptions/${sub}/`, `/subscriptions/${other}/`);
}

function expectSameAsMissing(stranger: RawResponse, missing: RawResponse): void {
  expectArmError(stranger, 404, "ResourceNotFound");
  expectArmError(missing, 404, "ResourceNotFound");
  expect(stranger.text).toBe(missing.text);
  expect(withoutRequestIds(stranger)).toEqual(withoutRequestIds(missing));
}

describe("another tenant's job answers as a missing one", () => {
  test.each<[string, string, string, unknown]>([
    ["GET", "GET", "", undefined],
    ["PATCH", "PATCH", "", { tags: { owner: "bob" } }],
    ["PATCH to Shipping", "PATCH", "", { properties: { state: "Shipping", deliveryPackage: { carrierName: "FedEx", trackingNumber: "999" } } }],
    ["listBitLockerKeys", "POST", "/listBitLockerKeys", undefined],
    ["DELETE", "DELETE", "", undefined],
  ])("%s", async (_label, method, suffix, body) => {
    const path = jobUrl(sub, RG, NAME, suffix);
    const stranger = await send(service, method, path, { authorization: BOB, body });
    const missing = await send(service, method, elsewhere(path), { authorization: BOB, body });
    expectSameAsMissing(stranger, missing);
    // Alice's own request for a job that is not there reads the same too.
    expectSameAsMissing(stranger, await send(service, method, elsewhere(path), { authorization: ALICE, body }));
    expect(stranger.text).not.toContain(BITLOCKER_KEY);
    expect(stranger.text).not.toContain(TENANT_A);

    // Nothing changed: Alice still has her job as she made it.
    const job = await alicesJob();
    expect(job.tags).toEqual({ owner: "alice" });
    expect(job.properties.state).toBe("Creating");
    expect(job.systemData).toEqual(original.systemData);
  });

  test("PUT: Bob can't take Alice's job over (with or without keys), and the 404 reads as GET's for a missing job", async () => {
    const path = jobUrl(sub, RG, NAME);
    const missingGet = await send(service, "GET", elsewhere(path), { authorization: BOB });

    const withKeys = importJobBody(sub, { tags: { owner: "bob" }, properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: B_KEY })] } });
    const takeover = await send(service, "PUT", path, { authorization: BOB, body: withKeys });
    expectSameAsMissing(takeover, missingGet);

    // Drives without keys make the PUT read the job first: the same answer.
    const withoutKeys = importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: undefined })] } });
    expectSameAsMissing(await send(service, "PUT", path, { authorization: BOB, body: withoutKeys }), missingGet);

    // Same name in another case: still Alice's job (ARM names are case-insensitive).
    expectSameAsMissing(await send(service, "PUT", jobUrl(sub, RG.toLowerCase(), NAME.toUpperCase()), { authorization: BOB, body: withKeys }), await send(service, "GET", elsewhere(jobUrl(sub, RG.toLowerCase(), NAME.toUpperCase())), { authorization: BOB }));

    const job = await alicesJob();
    expect(job.tags).toEqual({ owner: "alice" });
    expect(job.systemData).toEqual(original.systemData);
    expect(job.properties.driveList.map((drive: Body) => drive.driveId)).toEqual(["DRIVE01", "DRIVE02"]);
    // Alice's keys are still hers, and Bob's key was never stored.
    const keys = await send(service, "POST", jobUrl(sub, RG, NAME, "/listBitLockerKeys"), { authorization: ALICE });
    expect(keys.status).toBe(200);
    expect(keys.body.value).toEqual([
      { driveId: "DRIVE01", bitLockerKey: BITLOCKER_KEY },
      { driveId: "DRIVE02", bitLockerKey: BITLOCKER_KEY },
    ]);
    expect(keys.text).not.toContain(B_KEY);
  });

  test("Alice, the owner, still gets her job and its keys (the 404s above are not a general failure)", async () => {
    const job = await alicesJob();
    expect(job.id).toBe(jobId);
    const keys = await send(service, "POST", jobUrl(sub, RG, NAME, "/listBitLockerKeys"), { authorization: ALICE });
    expect(keys.status).toBe(200);
    expect(keys.text).toContain(BITLOCKER_KEY);
  });
});

describe("lists", () => {
  const bySubscription = (query = "") => `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}${query}`;
  const byResourceGroup = (query = "") => `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs?${API}${query}`;
  const filters = [
    "",
    `&$filter=${encodeURIComponent("state eq 'Creating'")}`,
    `&$filter=${encodeURIComponent("state eq 'Creating' or state ne 'Creating'")}`,
    `&$filter=${encodeURIComponent("jobType eq 'Import' or jobType eq 'Export'")}`,
    `&$filter=${encodeURIComponent("creationTime gt datetime'2000-01-01T00:00:00Z'")}`,
    "&$top=1",
  ];

  beforeAll(async () => {
    // Bob has a job of his own in the same subscription and resource group.
    const created = await send(service, "PUT", jobUrl(sub, RG, "bobs-job"), { authorization: BOB, body: importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: B_KEY })] } }) });
    expect(created.status).toBe(201);
  });

  test.each(filters)("by subscription and by resource group, query '%s': each tenant sees only its own jobs", async (query) => {
    for (const path of [bySubscription(query), byResourceGroup(query)]) {
      const bobs = await send(service, "GET", path, { authorization: BOB });
      expect(bobs.status).toBe(200);
      expect((bobs.body.value as Body[]).map((job) => job.name)).toEqual(["bobs-job"]);
      expect(bobs.text).not.toContain(NAME);
      expect(bobs.body.nextLink).toBeUndefined();

      const alices = await send(service, "GET", path, { authorization: ALICE });
      expect(alices.status).toBe(200);
      expect((alices.body.value as Body[]).map((job) => job.name)).toEqual([NAME]);
      expect(alices.text).not.toContain("bobs-job");
    }
  });

  test("a filter that tries to reach the table's own columns is refused, not run", async () => {
    for (const filter of ["TenantId ne ''", `state eq 'Creating') or (TenantId eq '${TENANT_A}'`, "PartitionKey ne ''", "state eq 'Creating' or true"]) {
      const response = await send(service, "GET", bySubscription(`&$filter=${encodeURIComponent(filter)}`), { authorization: BOB });
      expect(response.status).toBe(400);
      expect(response.text).not.toContain(NAME);
    }
  });

  test("Alice's $skiptoken does not open Alice's jobs to Bob", async () => {
    // Two jobs for Alice, one per page.
    expect((await send(service, "PUT", jobUrl(sub, RG, "alices-second"), { authorization: ALICE, body: importJobBody(sub) })).status).toBe(201);
    const first = await send(service, "GET", byResourceGroup("&$top=1"), { authorization: ALICE });
    expect(first.status).toBe(200);
    expect(first.body.nextLink).toEqual(expect.any(String));
    const next = new URL(first.body.nextLink);
    const asBob = await send(service, "GET", `${next.pathname}${next.search}`, { authorization: BOB });
    expect(asBob.status).toBe(200);
    expect((asBob.body.value as Body[]).every((job) => job.name === "bobs-job")).toBe(true);
    const asAlice = await send(service, "GET", `${next.pathname}${next.search}`, { authorization: ALICE });
    expect((asAlice.body.value as Body[]).map((job) => job.name)).toEqual(["alices-second"]);
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
    const ids = items.map((job) => job.id);
    expect(ids).toContain(jobId);
    expect(ids).toContain(jobId.replace(NAME, "bobs-job"));

    const job = await send(service, "GET", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/${NAME}`);
    expect(job.status).toBe(200);
    expect(job.body.id).toBe(jobId);
    // The operator view still carries no key and no tenant id.
    expect(job.text).not.toContain(BITLOCKER_KEY);
  });

  test("a customer token of either tenant gets 403 on the operator list", async () => {
    for (const authorization of [ALICE, BOB]) expectArmError(await send(service, "GET", "/operator/jobs?state=Creating", { authorization }), 403, "AuthorizationFailed");
  });
});
