/**
 * A noisy tenant (issue 20 §3): 64 concurrent lists of one tenant pushed another tenant's Get from
 * 5 ms to 1.2 s. Each subscription now has ARM's token buckets of reads and writes, reported in
 * `x-ms-ratelimit-remaining-subscription-reads`/`-writes`, and a cap on its lists running at once;
 * past either, `429` with `Retry-After`. Time comes from the test clock: buckets refill as it moves.
 */
import { randomUUID } from "node:crypto";
import { API, devToken, newSubscriptionId, startTestService, TestClock, TestService } from "../support/service";
import { createJob, expectArmError, jobUrl } from "../api/helpers";
import { bearer, RawResponse, send } from "./helpers";
import { JobsStore } from "../../shared/storage/jobs.store";

const clock = new TestClock();
let service: TestService;
const STRANGER = bearer(devToken({ tid: randomUUID(), upn: "mallory@elsewhere.test" }));

beforeAll(async () => {
  service = await startTestService(
    {
      THROTTLE_READ_BUCKET: "5",
      THROTTLE_READ_REFILL_PER_SECOND: "1",
      THROTTLE_WRITE_BUCKET: "3",
      THROTTLE_WRITE_REFILL_PER_SECOND: "0.5",
      THROTTLE_CONCURRENT_LISTS: "1",
    },
    undefined,
    clock,
  );
});
afterAll(() => service.close());

const READS = "x-ms-ratelimit-remaining-subscription-reads";
const WRITES = "x-ms-ratelimit-remaining-subscription-writes";

/** A subscription with one job (its creation took one write). */
async function subscriptionWithJob(): Promise<string> {
  const sub = newSubscriptionId();
  await createJob(service, sub, "rg", "job");
  return sub;
}

const get = (sub: string, options = {}) => send(service, "GET", jobUrl(sub, "rg", "job"), options);

function expectThrottled(response: RawResponse, code: string, retryAfter: string): void {
  expectArmError(response, 429, code);
  expect(response.headers.get("retry-after")).toBe(retryAfter);
}

test("reads count down in x-ms-ratelimit-remaining-subscription-reads, then 429 with Retry-After until the bucket refills", async () => {
  const sub = await subscriptionWithJob();

  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await get(sub));

  expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
  expect(answers.map((answer) => answer.headers.get(READS))).toEqual(["4", "3", "2", "1", "0", "0"]);
  expectThrottled(answers[5], "SubscriptionRequestsThrottled", "1");
  expect(answers[5].body.error.message).toMatch(new RegExp(`'read' requests for subscription '${sub}'.*after '1' second`));

  clock.advance(1000);
  expect((await get(sub)).status).toBe(200);
  expect((await get(sub)).status).toBe(429);
  clock.advance(2500);
  const refilled = await get(sub);
  expect([refilled.status, refilled.headers.get(READS)]).toEqual([200, "1"]);
});

test("writes have a bucket of their own, reported in -writes; DELETE is a write", async () => {
  const sub = await subscriptionWithJob();
  for (let i = 0; i < 5; i++) await get(sub);
  expect((await get(sub)).status).toBe(429);

  const patch = await send(service, "PATCH", jobUrl(sub, "rg", "job"), { body: { tags: { a: "b" } } });
  const remove = await send(service, "DELETE", jobUrl(sub, "rg", "other"));
  const refused = await send(service, "PATCH", jobUrl(sub, "rg", "job"), { body: { tags: { a: "c" } } });

  expect([patch.status, patch.headers.get(WRITES), patch.headers.get(READS)]).toEqual([200, "1", null]);
  expect([remove.status, remove.headers.get(WRITES)]).toEqual([404, "0"]);
  expectThrottled(refused, "SubscriptionRequestsThrottled", "2");
  expect(refused.body.error.message).toMatch(/'write' requests/);
});

test("another subscription is unaffected by one that is over its budget", async () => {
  const noisy = await subscriptionWithJob();
  const quiet = await subscriptionWithJob();
  for (let i = 0; i < 8; i++) await get(noisy);

  const answer = await get(quiet);

  expect([answer.status, answer.headers.get(READS)]).toEqual([200, "4"]);
});

test("a stranger naming the subscription spends a bucket of its own, never the owner's", async () => {
  const sub = await subscriptionWithJob();

  const attack = [];
  for (let i = 0; i < 8; i++) attack.push(await get(sub, { authorization: STRANGER }));
  const owner = await get(sub);

  expect(attack.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403, 429, 429, 429]);
  expect([owner.status, owner.headers.get(READS)]).toEqual([200, "4"]);
});

test("errors on a subscription's path carry the count too; the portal's timeline is a read", async () => {
  const sub = await subscriptionWithJob();

  const missing = await send(service, "GET", jobUrl(sub, "rg", "no-such-job"));
  const timeline = await send(service, "GET", `/portal/api/subscriptions/${sub}/resourceGroups/rg/jobs/job/timeline?${API}`);

  expect([missing.status, missing.headers.get(READS)]).toEqual([404, "4"]);
  expect([timeline.status, timeline.headers.get(READS)]).toEqual([200, "3"]);
});

test("operators, and paths without a subscription, are not throttled", async () => {
  const sub = await subscriptionWithJob();

  const operator = [];
  const locations = [];
  for (let i = 0; i < 8; i++) {
    operator.push(await send(service, "GET", `/operator/subscriptions/${sub}/resourceGroups/rg/jobs/job`));
    locations.push(await send(service, "GET", `/providers/Microsoft.ImportExport/locations?${API}`));
  }

  for (const answer of [...operator, ...locations]) expect([answer.status, answer.headers.get(READS)]).toEqual([200, null]);
  expect((await get(sub)).headers.get(READS)).toBe("4");
});

test("lists of one subscription beyond THROTTLE_CONCURRENT_LISTS at once → 429 TooManyRequests; a finished list frees its place", async () => {
  const sub = await subscriptionWithJob();
  const list = () => send(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`);

  // The admitted lists are held in the store until the others have been answered, so all four are
  // in flight at once however fast the machine (regression: under Node 22 the four lists ran one
  // after another and all answered 200). A list the cap lets through past its limit never settles
  // early, and the test times out.
  const original = JobsStore.prototype.list;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const held = jest.spyOn(JobsStore.prototype, "list").mockImplementation(async function (this: JobsStore, ...args: Parameters<JobsStore["list"]>) {
    await gate;
    return original.apply(this, args);
  });
  let together: RawResponse[];
  try {
    const answers = [list(), list(), list(), list()];
    let settled = 0;
    for (const answer of answers) void answer.then(() => settled++);
    while (settled < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    together = await Promise.all(answers);
  } finally {
    held.mockRestore();
  }

  const statuses = together.map((answer) => answer.status).sort();
  expect(statuses[0]).toBe(200);
  expect(statuses).toContain(429);
  for (const answer of together.filter((answer) => answer.status === 429)) expectThrottled(answer, "TooManyRequests", "1");
  clock.advance(10_000);
  expect((await list()).status).toBe(200);
  expect((await send(service, "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}&$filter=bad`)).status).toBe(400);
  expect((await list()).status).toBe(200);
});
