/**
 * What a customer call costs in storage transactions, counted by the storage call policy and read
 * from the local host's `GET /admin/storage-requests` (as the benchmark reads it): with chained
 * deadlines and the desk's arrival mark, Update to Shipping is the read, the replace and the
 * state-change message; create is the index entry, the insert and the message.
 */
import { call, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob, jobUrl } from "./helpers";
import { markShipping, patchJob } from "../operator/helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "transactions-rg";

async function storageRequests(): Promise<number> {
  const response = await call(service, "GET", "/admin/storage-requests");
  expect(response.status).toBe(200);
  return response.body.count;
}

/** The storage transactions `call` made (nothing else runs in this suite meanwhile). */
async function transactionsOf(call: () => Promise<unknown>): Promise<number> {
  const before = await storageRequests();
  await call();
  return (await storageRequests()) - before;
}

/** A subscription whose first use (its registration) is behind it, so it is not counted. */
async function usedSubscription(): Promise<string> {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "first-use", importJobBody(sub));
  return sub;
}

test("create: 3 transactions (the index entry of its Creating deadline, the insert, the state-change message)", async () => {
  const sub = await usedSubscription();
  expect(await transactionsOf(() => createJob(service, sub, RG, "counted-create", importJobBody(sub)))).toBe(3);
});

test("update to Shipping: 3 transactions (the read, the replace, the state-change message), no index entry and no arrival lookup", async () => {
  const sub = await usedSubscription();
  const job = { sub, rg: RG, name: "counted-shipping" };
  await createJob(service, sub, RG, job.name, importJobBody(sub));
  expect(await transactionsOf(() => markShipping(service, job))).toBe(3);
  expect((await api(service, "GET", jobUrl(sub, RG, job.name))).body.properties.state).toBe("Shipping");
});

test("an update while Creating that restarts the clock: 2 transactions (the read and the replace; no index entry, no message)", async () => {
  const sub = await usedSubscription();
  const job = { sub, rg: RG, name: "counted-update" };
  await createJob(service, sub, RG, job.name, importJobBody(sub));
  expect(await transactionsOf(async () => expect((await patchJob(service, job, { tags: { again: "yes" } })).status).toBe(200))).toBe(2);
});
