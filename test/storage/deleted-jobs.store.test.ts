/**
 * The deletion log against Azurite: a sweep's deletions of one resource group go into as few
 * entities as fit the 32K-character string column, and read back whole, by subscription.
 */
import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { Job } from "../../shared/domain/job";
import { DeletedJobsStore } from "../../shared/storage/deleted-jobs.store";
import { chunkBySize } from "../../shared/storage/size-chunks";
import { creatingJob } from "../support/fixtures";
import { tableClient } from "./helpers";

let table: TableClient;
let store: DeletedJobsStore;

beforeAll(async () => {
  table = tableClient("deletionlogtests");
  await table.createTable();
  store = new DeletedJobsStore(table);
});

function jobOf(sub: string, resourceGroup: string, name: string): Job {
  return creatingJob({ subscriptionId: sub, resourceGroup, name }, { now: new Date("2026-08-01T10:00:00Z"), rules: { creatingLifetimeMs: 1, shippingWaitMs: 1, finishedRetentionMs: 1 }, driveId: "D1" });
}

test("300 deletions of long-named jobs in one resource group: a few entities, each within one string column, all read back", async () => {
  const sub = randomUUID();
  const resourceGroup = `rg-${"r".repeat(80)}`;
  const jobs = Array.from({ length: 300 }, (_, i) => jobOf(sub, resourceGroup, `job-${String(i).padStart(3, "0")}-${"n".repeat(50)}`));
  const at = new Date("2026-11-23T10:00:00Z");

  const requests = await store.recordMany(jobs.map((job) => ({ job, reason: "Purged 90 days after it became 'Completed'" })), at);

  const entities: { Records: string }[] = [];
  for await (const entity of table.listEntities<{ Records: string }>({ queryOptions: { filter: `PartitionKey eq '${sub}:${resourceGroup}'` } })) entities.push(entity);
  expect(requests).toBe(1); // one transaction for the resource group
  expect(entities.length).toBeGreaterThan(1);
  expect(entities.length).toBeLessThan(10);
  for (const entity of entities) expect(entity.Records.length).toBeLessThanOrEqual(30_000);
  const records = await store.list(sub, 1_000);
  expect(records.map((record) => record.name).sort()).toEqual(jobs.map((job) => job.key.name).sort());
  expect(records[0]).toMatchObject({ subscriptionId: sub, resourceGroup, state: "Creating", deletedAt: at.toISOString(), reason: expect.stringContaining("Purged") });
});

test("a subscription's log spans its resource groups and no other subscription's, and stops at top", async () => {
  const [sub, other] = [randomUUID(), randomUUID()];
  const at = new Date("2026-11-23T11:00:00Z");
  await store.recordMany([jobOf(sub, "rg-a", "a1"), jobOf(sub, "rg-b", "b1"), jobOf(sub, "rg-b", "b2"), jobOf(other, "rg-a", "x1")].map((job) => ({ job, reason: "expired" })), at);

  expect((await store.list(sub, 10)).map((record) => `${record.resourceGroup}/${record.name}`).sort()).toEqual(["rg-a/a1", "rg-b/b1", "rg-b/b2"]);
  expect(await store.list(sub, 2)).toHaveLength(2);
});

test("chunkBySize keeps the order, fills each run up to the limit, and sends an oversized item alone", () => {
  const sizes = [4, 4, 3, 9, 12, 1, 1];

  const chunks = chunkBySize(sizes, (size) => size, 10);

  expect(chunks).toEqual([[4, 4], [3], [9], [12], [1, 1]]);
  expect(chunkBySize([], (size: number) => size, 10)).toEqual([]);
});
