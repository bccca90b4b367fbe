/**
 * The subscription registrations adapter against Azurite: a point read by subscription id (any case),
 * an insert that fails if someone registered first, a replace that fails on a stale ETag.
 */
import { randomUUID } from "node:crypto";
import { firstUseRegistration } from "../../shared/domain/subscription";
import { ConcurrencyError } from "../../shared/storage/storage-errors";
import { SubscriptionsStore } from "../../shared/storage/subscriptions.store";
import { tableClient } from "./helpers";

let store: SubscriptionsStore;
const NOW = new Date("2026-11-25T12:00:00Z");

beforeAll(async () => {
  const table = tableClient("subscriptionstoretests");
  await table.createTable();
  store = new SubscriptionsStore(table);
});

test("a registration reads back as written, by its id in either case; an unknown id is undefined", async () => {
  const sub = randomUUID().toUpperCase();
  expect(await store.get(sub)).toBeUndefined();
  const registration = { ...firstUseRegistration(sub, "tenant-a", NOW), registrationDate: "Tue, 15 Nov 1994 08:12:31 GMT" };
  await store.insert(registration);
  expect((await store.get(sub.toLowerCase()))?.registration).toEqual({ ...registration, subscriptionId: sub.toLowerCase() });
});

test("the second insert of the same subscription fails with ConcurrencyError: the first registration stands", async () => {
  const sub = randomUUID();
  const results = await Promise.allSettled([store.insert(firstUseRegistration(sub, "tenant-a", NOW)), store.insert(firstUseRegistration(sub, "tenant-b", NOW))]);
  expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
  const [rejected] = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
  expect(rejected.reason).toBeInstanceOf(ConcurrencyError);
  const winner = results[0].status === "fulfilled" ? "tenant-a" : "tenant-b";
  expect((await store.get(sub))?.registration.tenantId).toBe(winner);
});

test("a replace with a stale ETag fails with ConcurrencyError and changes nothing", async () => {
  const sub = randomUUID();
  await store.insert(firstUseRegistration(sub, "tenant-a", NOW));
  const read = (await store.get(sub))!;
  await store.replace({ ...read.registration, state: "Warned" }, read.etag);
  await expect(store.replace({ ...read.registration, state: "Deleted" }, read.etag)).rejects.toBeInstanceOf(ConcurrencyError);
  expect((await store.get(sub))?.registration.state).toBe("Warned");
});
