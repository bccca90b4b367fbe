/**
 * The jobs table adapter's bulk paths against Azurite: `getMany` (one bounded range query per
 * partition, point reads for the rest) and `deleteMany` (ETag-guarded transactions of 100, one by
 * one for a transaction that a changed or already deleted job failed).
 */
import { randomUUID } from "node:crypto";
import { odata, TableClient } from "@azure/data-tables";
import { Job } from "../../shared/domain/job";
import { JobsStore, partitionKeyOf, rowKeyOf } from "../../shared/storage/jobs.store";
import { ConcurrencyError, statusOf } from "../../shared/storage/storage-errors";
import { creatingJob } from "../support/fixtures";
import { refuseDeletesOf } from "../support/refusing-storage";
import { tableClient } from "./helpers";

const tableName = "storebatchtests";
let table: TableClient;
let store: JobsStore;

const NOW = new Date("2026-11-23T10:00:00Z");

/** A Creating import job in `sub`'s resource group "Batch-RG". */
function jobOf(sub: string, name: string): Job {
  return creatingJob({ subscriptionId: sub, resourceGroup: "Batch-RG", name }, { now: NOW, driveId: "D1" });
}

/** A fresh partition (a new subscription) of jobs with these names, inserted 100 to a transaction. */
async function seed(names: string[]): Promise<{ partitionKey: string; jobs: Job[] }> {
  const sub = randomUUID();
  const jobs = names.map((name) => jobOf(sub, name));
  for (let i = 0; i < jobs.length; i += 100) await store.insertBatch(jobs.slice(i, i + 100));
  return { partitionKey: partitionKeyOf(jobs[0].key), jobs };
}

/** A job's row key. */
const rk = (job: Job): string => rowKeyOf(job.key);

/** Zero-padded names, so key order is numeric order. */
function names(prefix: string, count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(from + i).padStart(5, "0")}`);
}

async function rowKeysIn(partitionKey: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const entity of table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}`, select: ["RowKey"] } })) keys.push(entity.rowKey!);
  return keys.sort();
}

/** The row keys and current ETags of `jobs`, as deleteMany takes them. */
async function itemsOf(jobs: Job[]): Promise<{ rowKey: string; etag: string }[]> {
  const read = await store.getMany(partitionKeyOf(jobs[0].key), jobs.map(rk));
  expect(read.jobs.size).toBe(jobs.length);
  return jobs.map((job) => ({ rowKey: rk(job), etag: read.jobs.get(rk(job))!.etag }));
}

beforeAll(async () => {
  table = tableClient(tableName);
  await table.createTable();
  store = new JobsStore(table);
});

describe("getMany", () => {
  test("returns every wanted job, as stored, with the ETag a conditional write then accepts", async () => {
    const { partitionKey, jobs } = await seed(["Alpha", "Bravo", "Charlie", "Delta"]);

    const read = await store.getMany(partitionKey, jobs.map(rk));

    expect([...read.jobs.keys()].sort()).toEqual(["alpha", "bravo", "charlie", "delta"]);
    for (const job of jobs) {
      const stored = read.jobs.get(rk(job))!;
      expect(stored.job).toEqual(job); // BitLocker keys joined back in, as `get` does
      expect(stored.etag).toBe((await store.get(job.key))!.etag);
    }
    expect(read.entitiesRead).toBe(4);
    expect(read.requests).toBe(1); // one range query, no point reads

    // The ETags are current: a replace with each succeeds, and the old one is then refused.
    for (const job of jobs) {
      const stored = read.jobs.get(rk(job))!;
      await expect(store.replace({ ...stored.job, tags: { touched: "yes" } }, stored)).resolves.toMatchObject({ etag: expect.any(String) });
      await expect(store.replace({ ...stored.job, tags: { again: "yes" } }, stored)).rejects.toBeInstanceOf(ConcurrencyError);
    }
    for (const job of jobs) expect((await store.get(job.key))!.job.tags).toEqual({ touched: "yes" });
  });

  test("jobs in the key range that were not asked for are not returned, but are counted as read", async () => {
    const { partitionKey } = await seed(["job-a", "job-b", "job-c", "job-d", "job-e", "job-f"]);

    const read = await store.getMany(partitionKey, ["job-b", "job-e"]);

    expect([...read.jobs.keys()].sort()).toEqual(["job-b", "job-e"]);
    // The range job-b..job-e holds four jobs; job-a and job-f lie outside it and are not read.
    expect(read.entitiesRead).toBe(4);
    expect(read.requests).toBe(1);
  });

  test("does not read another partition's jobs with the same row keys", async () => {
    const mine = await seed(["same-1", "same-2"]);
    const other = await seed(["same-1", "same-2"]);

    const read = await store.getMany(mine.partitionKey, ["same-1", "same-2"]);

    expect(read.jobs.size).toBe(2);
    for (const stored of read.jobs.values()) expect(stored.job.key.subscriptionId).toBe(mine.jobs[0].key.subscriptionId);
    expect(read.jobs.get("same-1")!.job.key.subscriptionId).not.toBe(other.jobs[0].key.subscriptionId);
    expect(read.entitiesRead).toBe(2);
  });

  test("a few unwanted jobs between two wanted ones are within the scan's budget (twice the wanted plus 100): one query finds both", async () => {
    const { partitionKey } = await seed(["a-first", ...names("m", 50), "z-last"]);

    const read = await store.getMany(partitionKey, ["a-first", "z-last"]);

    expect([...read.jobs.keys()].sort()).toEqual(["a-first", "z-last"]);
    expect(read.entitiesRead).toBe(52);
    expect(read.requests).toBe(1);
  });

  test("more unwanted jobs between two wanted ones than the budget: the scan stops at it and a point read finds the last one", async () => {
    const unwanted = 500;
    const { partitionKey, jobs } = await seed(["a-first", ...names("m", unwanted), "z-last"]);

    const read = await store.getMany(partitionKey, ["a-first", "z-last"]);

    expect([...read.jobs.keys()].sort()).toEqual(["a-first", "z-last"]);
    expect(read.jobs.get("z-last")!.job).toEqual(jobs[jobs.length - 1]);
    expect(read.jobs.get("z-last")!.etag).toBe((await store.get(jobs[jobs.length - 1].key))!.etag);
    // Budget 2 × 2 + 100, one page of that size: 104 read by the scan, then z-last by a point read.
    expect(read.entitiesRead).toBe(105);
    expect(read.requests).toBe(2);
  });

  test("a wanted key with no job is absent from the map, the others are there", async () => {
    const { partitionKey } = await seed(["have-1", "have-3"]);

    const read = await store.getMany(partitionKey, ["have-1", "have-2", "have-3", "zz-missing"]);

    expect([...read.jobs.keys()].sort()).toEqual(["have-1", "have-3"]);
    expect(read.jobs.has("have-2")).toBe(false);
    expect(read.jobs.has("zz-missing")).toBe(false);
    expect(read.entitiesRead).toBe(2); // an absent job is not an entity read
    // One range query, then one point read each for the two it did not find (to settle they are gone).
    expect(read.requests).toBe(3);
  });

  test("a single key is one point read; a duplicated key counts once", async () => {
    const { partitionKey, jobs } = await seed(["only-one", "only-two"]);

    const single = await store.getMany(partitionKey, ["only-one"]);
    expect([...single.jobs.keys()]).toEqual(["only-one"]);
    expect(single.jobs.get("only-one")!.job).toEqual(jobs[0]);
    expect(single).toMatchObject({ entitiesRead: 1, requests: 1 });

    const duplicated = await store.getMany(partitionKey, ["only-two", "only-two"]);
    expect([...duplicated.jobs.keys()]).toEqual(["only-two"]);
    expect(duplicated).toMatchObject({ entitiesRead: 1, requests: 1 });
  });

  test("a single key with no job, and no keys at all, give an empty map", async () => {
    const { partitionKey } = await seed(["present"]);

    const missing = await store.getMany(partitionKey, ["absent"]);
    expect(missing.jobs.size).toBe(0);
    expect(missing).toMatchObject({ entitiesRead: 0, requests: 1 });

    const none = await store.getMany(partitionKey, []);
    expect(none.jobs.size).toBe(0);
    expect(none).toMatchObject({ entitiesRead: 0, requests: 0 });
  });
});

describe("deleteMany", () => {
  test("150 unchanged jobs are all deleted in two transactions", async () => {
    const { partitionKey, jobs } = await seed(names("del", 150));
    const items = await itemsOf(jobs);

    const result = await store.deleteMany(partitionKey, items);

    expect(result.requests).toBe(2);
    expect(result.deleted).toEqual(new Set(jobs.map(rk)));
    expect(await rowKeysIn(partitionKey)).toEqual([]);
  });

  test("one of 10 jobs changed since it was read: the other 9 are deleted, the changed one stays", async () => {
    const { partitionKey, jobs } = await seed(names("chg", 10));
    const items = await itemsOf(jobs);
    const changed = jobs[6];
    const current = (await store.get(changed.key))!;
    await store.replace({ ...current.job, tags: { customer: "was-here" } }, current);

    const result = await store.deleteMany(partitionKey, items);

    expect(result.deleted.has(rk(changed))).toBe(false);
    expect(result.deleted).toEqual(new Set(jobs.filter((job) => job !== changed).map(rk)));
    // The transaction failed, then each job on its own.
    expect(result.requests).toBe(1 + 10);
    expect(await rowKeysIn(partitionKey)).toEqual([rk(changed)]);
    expect((await store.get(changed.key))!.job.tags).toEqual({ customer: "was-here" });
  });

  test("one job already deleted among several: the rest are deleted", async () => {
    const { partitionKey, jobs } = await seed(names("gone", 5));
    const items = await itemsOf(jobs);
    const gone = jobs[0];
    await store.delete(gone.key, items[0].etag);

    const result = await store.deleteMany(partitionKey, items);

    expect(result.deleted).toEqual(new Set(jobs.slice(1).map(rk)));
    expect(result.deleted.has(rk(gone))).toBe(false);
    expect(result.requests).toBe(1 + 5);
    expect(await rowKeysIn(partitionKey)).toEqual([]);
  });

  test("a changed job in the second transaction of 150: the first 100 go in one transaction, only the last 50 one by one", async () => {
    const { partitionKey, jobs } = await seed(names("two", 150));
    const items = await itemsOf(jobs);
    const changed = jobs[120];
    const current = (await store.get(changed.key))!;
    await store.replace({ ...current.job, tags: { changed: "yes" } }, current);

    const result = await store.deleteMany(partitionKey, items);

    expect(result.requests).toBe(1 + 1 + 50);
    expect(result.deleted.size).toBe(149);
    expect(result.deleted.has(rk(changed))).toBe(false);
    expect(await rowKeysIn(partitionKey)).toEqual([rk(changed)]);
  });

  // Regression (issue 20, item 2): one job the storage refused failed the whole transaction, and the
  // call threw, so none of its partition's other jobs were deleted.
  test("one of 10 jobs the storage refuses: the other 9 are deleted one by one, the refused one is reported with its error and stays", async () => {
    const { partitionKey, jobs } = await seed(names("ref", 10));
    const items = await itemsOf(jobs);
    const refused = jobs[4];
    const refusingTable = tableClient(tableName);
    refuseDeletesOf(refusingTable, rk(refused));

    const result = await new JobsStore(refusingTable).deleteMany(partitionKey, items);

    expect(result.deleted).toEqual(new Set(jobs.filter((job) => job !== refused).map(rk)));
    expect([...result.failed.keys()]).toEqual([rk(refused)]);
    expect(statusOf(result.failed.get(rk(refused)))).toBe(400);
    expect(result.requests).toBe(1 + 10);
    expect(await rowKeysIn(partitionKey)).toEqual([rk(refused)]);
  });

  test("nothing to delete: no request", async () => {
    const { partitionKey } = await seed(["untouched"]);

    const result = await store.deleteMany(partitionKey, []);

    expect(result).toEqual({ deleted: new Set(), failed: new Map(), requests: 0 });
    expect(await rowKeysIn(partitionKey)).toEqual(["untouched"]);
  });
});
