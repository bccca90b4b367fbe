/**
 * Conditional requests, as ARM's RPC describes them for a resource: every job response carries its
 * ETag (the `ETag` header and the resource's `etag`), and PUT, PATCH and DELETE honour `If-Match`
 * and `If-None-Match` with `412 PreconditionFailed`, leaving the job as it was.
 */
import { JobsStore } from "../../shared/storage/jobs.store";
import { BITLOCKER_KEY, driveSpec, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob, entityExists, expectArmError, jobsTable, jobUrl, readEntity, readStoredJob } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "conditional-rg";
const OTHER_KEY = "111111-222222-333333-444444-555555-666666-777777-888888";
/** An ETag this service never issued, well formed. */
const STALE = '"not-the-current-etag"';

/** The stored columns a refused write must leave as they were (the entity's ETag says nothing was written). */
async function snapshot(sub: string, name: string) {
  const entity = await readEntity(sub, RG, name);
  return { etag: entity.etag, job: entity.Job, keys: entity.BitLockerKeys };
}

/** Changes the job's tags behind the service's back, as another writer would (a new storage version). */
async function changeTagsDirectly(sub: string, name: string, tags: Record<string, string>): Promise<void> {
  const entity = await readEntity(sub, RG, name);
  const job = JSON.parse(entity.Job);
  await jobsTable().updateEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, Job: JSON.stringify({ ...job, tags }) }, "Merge", { etag: entity.etag });
}

describe("every job response carries its ETag", () => {
  test("PUT, GET and PATCH: the ETag header equals the body's etag; stable across reads, new after a write; list items carry theirs", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "tagged");
    const etag = created.headers.get("etag");
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(created.body.etag).toBe(etag);

    const read = await api(service, "GET", jobUrl(sub, RG, "tagged"));
    expect(read.headers.get("etag")).toBe(etag);
    expect(read.body.etag).toBe(etag);
    expect((await api(service, "GET", jobUrl(sub, RG, "tagged"))).headers.get("etag")).toBe(etag);

    const patched = await api(service, "PATCH", jobUrl(sub, RG, "tagged"), { tags: { v: "2" } });
    expect(patched.status).toBe(200);
    expect(patched.headers.get("etag")).not.toBe(etag);
    expect(patched.body.etag).toBe(patched.headers.get("etag"));
    expect((await api(service, "GET", jobUrl(sub, RG, "tagged"))).body.etag).toBe(patched.body.etag);

    const replaced = await api(service, "PUT", jobUrl(sub, RG, "tagged"), importJobBody(sub, { tags: { v: "3" } }));
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get("etag")).not.toBe(patched.body.etag);
    expect(replaced.body.etag).toBe(replaced.headers.get("etag"));

    await createJob(service, sub, RG, "tagged-two");
    const second = (await api(service, "GET", jobUrl(sub, RG, "tagged-two"))).body.etag;
    for (const path of [`/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs`, `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs`]) {
      const list = await api(service, "GET", `${path}?api-version=2021-01-01`);
      expect(list.status).toBe(200);
      const byName = Object.fromEntries(list.body.value.map((job: { name: string; etag: string }) => [job.name, job.etag]));
      expect(byName).toEqual({ tagged: replaced.body.etag, "tagged-two": second });
    }
  });

  test("the ETag reveals nothing of the storage's own ETag", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "opaque");
    const storageEtag = (await readEntity(sub, RG, "opaque")).etag;
    expect(created.body.etag).not.toBe(storageEtag);
    expect(created.body.etag).not.toMatch(/datetime|W\//);
  });
});

describe("PUT", () => {
  // Regression: If-None-Match: * on an existing job replaced it, its drive and BitLocker key gone.
  test("If-None-Match: * on an existing job → 412 PreconditionFailed; its drives and BitLocker keys unchanged", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "exists", importJobBody(sub, { properties: { driveList: [driveSpec("KEEPME", { bitLockerKey: BITLOCKER_KEY })] } }));
    const before = await snapshot(sub, "exists");

    const response = await api(service, "PUT", jobUrl(sub, RG, "exists"), importJobBody(sub, { properties: { driveList: [driveSpec("INTRUDER", { bitLockerKey: OTHER_KEY })] } }), {
      "If-None-Match": "*",
    });
    expectArmError(response, 412, "PreconditionFailed", { target: "If-None-Match" });
    expect(await snapshot(sub, "exists")).toEqual(before);
    const keys = await api(service, "POST", jobUrl(sub, RG, "exists", "/listBitLockerKeys"));
    expect(keys.body.value).toEqual([{ driveId: "KEEPME", bitLockerKey: BITLOCKER_KEY }]);
  });

  test("If-None-Match: * on a new name → 201 with the ETag; of two racing creates exactly one wins, the other is 412", async () => {
    const sub = newSubscriptionId();
    const created = await api(service, "PUT", jobUrl(sub, RG, "fresh"), importJobBody(sub), { "If-None-Match": "*" });
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toBe(created.body.etag);

    const racers = await Promise.all(
      [OTHER_KEY, BITLOCKER_KEY].map((key) =>
        api(service, "PUT", jobUrl(sub, RG, "contested"), importJobBody(sub, { properties: { driveList: [driveSpec("RACER", { bitLockerKey: key })] } }), { "If-None-Match": "*" }),
      ),
    );
    expect(racers.map((response) => response.status).sort()).toEqual([201, 412]);
    const winner = racers.findIndex((response) => response.status === 201);
    expectArmError(racers[1 - winner], 412, "PreconditionFailed");
    const keys = await api(service, "POST", jobUrl(sub, RG, "contested", "/listBitLockerKeys"));
    expect(keys.body.value).toEqual([{ driveId: "RACER", bitLockerKey: [OTHER_KEY, BITLOCKER_KEY][winner] }]);
  });

  test("If-Match (an ETag, or *) on a missing job → 412, and nothing is created", async () => {
    const sub = newSubscriptionId();
    for (const ifMatch of [STALE, "*"]) {
      const response = await api(service, "PUT", jobUrl(sub, RG, "absent"), importJobBody(sub), { "If-Match": ifMatch });
      expectArmError(response, 412, "PreconditionFailed", { target: "If-Match" });
      expect(await entityExists(sub, RG, "absent")).toBe(false);
    }
  });

  test("If-Match with the current ETag (or *) → 200; with a stale one → 412 and the job unchanged", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "guarded");
    const updated = await api(service, "PUT", jobUrl(sub, RG, "guarded"), importJobBody(sub, { tags: { v: "2" } }), { "If-Match": created.body.etag });
    expect(updated.status).toBe(200);
    expect(updated.body.tags).toEqual({ v: "2" });

    const before = await snapshot(sub, "guarded");
    const stale = await api(service, "PUT", jobUrl(sub, RG, "guarded"), importJobBody(sub, { properties: { driveList: [driveSpec("INTRUDER", { bitLockerKey: OTHER_KEY })] } }), {
      "If-Match": created.body.etag,
    });
    expectArmError(stale, 412, "PreconditionFailed", { target: "If-Match" });
    expect(await snapshot(sub, "guarded")).toEqual(before);

    const any = await api(service, "PUT", jobUrl(sub, RG, "guarded"), importJobBody(sub, { tags: { v: "3" } }), { "If-Match": "*" });
    expect(any.status).toBe(200);
    expect(any.body.tags).toEqual({ v: "3" });
  });
});

describe("PATCH", () => {
  // Regression: If-Match: "wrong" on PATCH succeeded.
  test("a wrong If-Match → 412 and the job unchanged; the current one, a list holding it, or * → 200", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "patched");
    const before = await snapshot(sub, "patched");
    const wrong = await api(service, "PATCH", jobUrl(sub, RG, "patched"), { properties: { cancelRequested: true } }, { "If-Match": '"wrong"' });
    expectArmError(wrong, 412, "PreconditionFailed", { target: "If-Match" });
    expect(await snapshot(sub, "patched")).toEqual(before);

    const current = await api(service, "PATCH", jobUrl(sub, RG, "patched"), { tags: { v: "2" } }, { "If-Match": created.body.etag });
    expect(current.status).toBe(200);
    expect(current.body.tags).toEqual({ v: "2" });
    const listed = await api(service, "PATCH", jobUrl(sub, RG, "patched"), { tags: { v: "3" } }, { "If-Match": `${STALE}, ${current.body.etag}` });
    expect(listed.status).toBe(200);
    const any = await api(service, "PATCH", jobUrl(sub, RG, "patched"), { tags: { v: "4" } }, { "If-Match": "*" });
    expect(any.status).toBe(200);
    expect((await readStoredJob(sub, RG, "patched")).tags).toEqual({ v: "4" });
  });

  test("a job changed since the client read it → 412 (the ETag it read is stale), and the other change stands", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "stale-read");
    await changeTagsDirectly(sub, "stale-read", { other: "writer" });
    const response = await api(service, "PATCH", jobUrl(sub, RG, "stale-read"), { tags: { mine: "lost?" } }, { "If-Match": created.body.etag });
    expectArmError(response, 412, "PreconditionFailed");
    expect((await readStoredJob(sub, RG, "stale-read")).tags).toEqual({ other: "writer" });
  });

  test("If-None-Match: * on an existing job → 412; If-Match on a missing job → 404 ResourceNotFound, as without it", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "present");
    const before = await snapshot(sub, "present");
    expectArmError(await api(service, "PATCH", jobUrl(sub, RG, "present"), { tags: { v: "2" } }, { "If-None-Match": "*" }), 412, "PreconditionFailed", { target: "If-None-Match" });
    expect(await snapshot(sub, "present")).toEqual(before);
    expectArmError(await api(service, "PATCH", jobUrl(sub, RG, "missing"), { tags: { v: "2" } }, { "If-Match": STALE }), 404, "ResourceNotFound");
  });

  test("10 concurrent PATCHes with the same If-Match: exactly one 200, the others 412 (never a retried success, never 409)", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "same-etag");
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => api(service, "PATCH", jobUrl(sub, RG, "same-etag"), { tags: { writer: String(i) } }, { "If-Match": created.body.etag })),
    );
    const winners = responses.filter((response) => response.status === 200);
    expect(winners).toHaveLength(1);
    for (const response of responses) if (response.status !== 200) expectArmError(response, 412, "PreconditionFailed");
    expect((await readStoredJob(sub, RG, "same-etag")).tags).toEqual(winners[0].body.tags);
  });

  test("the job changes between the service's read and its write: 412, not a retry past the client's If-Match", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "lost-race");
    const replace = JobsStore.prototype.replace;
    let raced = 0;
    const racing = jest.spyOn(JobsStore.prototype, "replace").mockImplementation(async function (this: JobsStore, ...args) {
      if (raced++ === 0) await changeTagsDirectly(sub, "lost-race", { other: "writer" });
      return replace.apply(this, args);
    });
    let response;
    try {
      response = await api(service, "PATCH", jobUrl(sub, RG, "lost-race"), { tags: { mine: "x" } }, { "If-Match": created.body.etag });
    } finally {
      racing.mockRestore();
    }
    expect(raced).toBe(1);
    expectArmError(response, 412, "PreconditionFailed");
    expect((await readStoredJob(sub, RG, "lost-race")).tags).toEqual({ other: "writer" });
  });
});

describe("DELETE", () => {
  // Regression: If-Match: "wrong" on DELETE deleted the job.
  test("a wrong If-Match → 412 and the job still there; the current one → 200 and gone", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "kept");
    const before = await snapshot(sub, "kept");
    expectArmError(await api(service, "DELETE", jobUrl(sub, RG, "kept"), undefined, { "If-Match": '"wrong"' }), 412, "PreconditionFailed", { target: "If-Match" });
    expect(await snapshot(sub, "kept")).toEqual(before);
    expectArmError(await api(service, "DELETE", jobUrl(sub, RG, "kept"), undefined, { "If-None-Match": "*" }), 412, "PreconditionFailed", { target: "If-None-Match" });
    expect(await entityExists(sub, RG, "kept")).toBe(true);

    const deleted = await api(service, "DELETE", jobUrl(sub, RG, "kept"), undefined, { "If-Match": created.body.etag });
    expect(deleted.status).toBe(200);
    expect(await entityExists(sub, RG, "kept")).toBe(false);
  });

  test("the job changes between the service's read and its delete: 412 and the job (with the other change) still there", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "delete-race");
    const remove = JobsStore.prototype.delete;
    let raced = 0;
    const racing = jest.spyOn(JobsStore.prototype, "delete").mockImplementation(async function (this: JobsStore, ...args) {
      if (raced++ === 0) await changeTagsDirectly(sub, "delete-race", { other: "writer" });
      return remove.apply(this, args);
    });
    let response;
    try {
      response = await api(service, "DELETE", jobUrl(sub, RG, "delete-race"), undefined, { "If-Match": created.body.etag });
    } finally {
      racing.mockRestore();
    }
    expect(raced).toBe(1);
    expectArmError(response, 412, "PreconditionFailed");
    expect((await readStoredJob(sub, RG, "delete-race")).tags).toEqual({ other: "writer" });
  });
});

describe("malformed precondition headers → 400 InvalidHeaderValue, nothing written", () => {
  test.each([
    ["If-Match", "unquoted"],
    ["If-Match", '"unterminated'],
    ["If-Match", '*, "a"'],
    ["If-Match", '"a" "b"'],
    ["If-None-Match", 'W/unquoted'],
    ["If-None-Match", '"a", garbage'],
  ])("%s: %s", async (header, value) => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "bad-header");
    const before = await snapshot(sub, "bad-header");
    for (const [method, body] of [["PUT", importJobBody(sub, { tags: { v: "2" } })], ["PATCH", { tags: { v: "2" } }], ["DELETE", undefined]] as const) {
      const response = await api(service, method, jobUrl(sub, RG, "bad-header"), body, { [header]: value });
      expectArmError(response, 400, "InvalidHeaderValue", { target: header });
      // The caller's value is not echoed back.
      expect(response.body.error.message).not.toContain(value);
    }
    expect(await snapshot(sub, "bad-header")).toEqual(before);
  });

  test("an empty If-Match is no condition (ARM's table: empty or absent)", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "empty-header");
    expect((await api(service, "PATCH", jobUrl(sub, RG, "empty-header"), { tags: { v: "2" } }, { "If-Match": "" })).status).toBe(200);
  });
});
