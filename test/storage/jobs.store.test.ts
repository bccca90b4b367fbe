/**
 * The jobs table adapter against Azurite: ETag concurrency, documents split over several columns,
 * and keys kept out of the document.
 */
import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { Job, JobDefinition } from "../../shared/domain/job";
import { JobsStore } from "../../shared/storage/jobs.store";
import { ConcurrencyError } from "../../shared/storage/storage-errors";
import { BITLOCKER_KEY, creatingJob } from "../support/fixtures";
import { tableClient } from "./helpers";

const tableName = "storetests";
let table: TableClient;
let store: JobsStore;

const NOW = new Date("2026-11-23T10:00:00Z");

function newJob(overrides: Partial<JobDefinition> = {}): Job {
  const key = { subscriptionId: randomUUID(), resourceGroup: "Store-RG", name: `Job-${randomUUID().slice(0, 8)}` };
  return creatingJob(key, { now: NOW, driveId: "D1", definition: overrides });
}

beforeAll(async () => {
  table = tableClient(tableName);
  await table.createTable();
  store = new JobsStore(table);
});

test("a job round-trips, with its BitLocker keys kept out of the job document", async () => {
  const job = newJob();
  await store.insert(job);

  const stored = await store.get(job.key);
  const entity = await table.getEntity<{ Job: string; BitLockerKeys: string }>(`${job.key.subscriptionId}:store-rg`, job.key.name.toLowerCase());

  expect(stored?.job).toEqual(job);
  expect(entity.Job).not.toContain(BITLOCKER_KEY);
  expect(JSON.parse(entity.BitLockerKeys)).toEqual({ D1: BITLOCKER_KEY });
});

test("keys are case-insensitive: a differently cased name finds the same job", async () => {
  const job = newJob();
  await store.insert(job);

  const stored = await store.get({ ...job.key, resourceGroup: "STORE-rg", name: job.key.name.toUpperCase() });

  expect(stored?.job.key.name).toBe(job.key.name);
});

test("a second insert of the same job is a concurrency conflict, not an overwrite", async () => {
  const job = newJob();
  await store.insert(job);

  await expect(store.insert({ ...job, tags: { other: "writer" } })).rejects.toBeInstanceOf(ConcurrencyError);
  expect((await store.get(job.key))?.job.tags).toEqual({});
});

test("a replace with a stale ETag is refused and the newer write survives", async () => {
  const job = newJob();
  await store.insert(job);
  const first = (await store.get(job.key))!;
  await store.replace({ ...first.job, tags: { winner: "yes" } }, first);

  await expect(store.replace({ ...first.job, tags: { loser: "yes" } }, first)).rejects.toBeInstanceOf(ConcurrencyError);
  expect((await store.get(job.key))?.job.tags).toEqual({ winner: "yes" });
});

test("a delete with a stale ETag is refused", async () => {
  const job = newJob();
  await store.insert(job);
  const first = (await store.get(job.key))!;
  await store.replace({ ...first.job, tags: { changed: "yes" } }, first);

  await expect(store.delete(job.key, first.etag)).rejects.toBeInstanceOf(ConcurrencyError);
  expect(await store.get(job.key)).toBeDefined();
});

test("a document longer than one string property is split over columns and joined on read", async () => {
  // 100 prefixes of ~1,000 characters, with a surrogate pair placed to straddle column boundaries.
  const prefixes = Array.from({ length: 100 }, (_, i) => `/container/${i}/${"😀".repeat(3)}${"x".repeat(990)}`);
  const job = newJob({ jobType: "Export", driveList: undefined, export: { blobPathPrefix: prefixes } });
  await store.insert(job);

  const entity = await table.getEntity<Record<string, unknown>>(`${job.key.subscriptionId}:store-rg`, job.key.name.toLowerCase());
  const stored = await store.get(job.key);
  const page = await store.list({ subscriptionId: job.key.subscriptionId }, undefined, { top: 10, maxBytes: 4 * 1024 * 1024 });

  expect(typeof entity.Job1).toBe("string");
  expect(typeof entity.Job3).toBe("string");
  expect(stored?.job.export?.blobPathPrefix).toEqual(prefixes);
  expect(page.jobs[0].export?.blobPathPrefix).toEqual(prefixes);
});

test("a shorter rewrite of a split document leaves no stale continuation columns", async () => {
  const prefixes = Array.from({ length: 60 }, (_, i) => `/c/${i}/${"y".repeat(1000)}`);
  const job = newJob({ jobType: "Export", driveList: undefined, export: { blobPathPrefix: prefixes } });
  await store.insert(job);
  const first = (await store.get(job.key))!;

  await store.replace({ ...first.job, export: { blobPathPrefix: ["/c/short/"] } }, first);

  const entity = await table.getEntity<Record<string, unknown>>(`${job.key.subscriptionId}:store-rg`, job.key.name.toLowerCase());
  expect(entity.Job1).toBeUndefined();
  expect((await store.get(job.key))?.job.export?.blobPathPrefix).toEqual(["/c/short/"]);
});

test("a job too large for the entity is refused with JobTooLarge, and nothing is written", async () => {
  const prefixes = Array.from({ length: 300 }, (_, i) => `/c/${i}/${"z".repeat(1000)}`);
  const job = newJob({ jobType: "Export", driveList: undefined, export: { blobPathPrefix: prefixes } });

  await expect(store.insert(job)).rejects.toMatchObject({ status: 400, code: "JobTooLarge" });
  expect(await store.get(job.key)).toBeUndefined();
});

test("list filters in the table service and pages with continuation tokens", async () => {
  const subscriptionId = randomUUID();
  for (let i = 0; i < 5; i++) {
    const job = newJob();
    await store.insert({ ...job, key: { subscriptionId, resourceGroup: `rg${i % 2}`, name: `job${i}` } });
  }

  const limits = { top: 3, maxBytes: 4 * 1024 * 1024 };
  const first = await store.list({ subscriptionId }, { kind: "state", op: "eq", value: "Creating" }, limits);
  const second = await store.list({ subscriptionId }, { kind: "state", op: "eq", value: "Creating" }, limits, first.next);
  const none = await store.list({ subscriptionId }, { kind: "state", op: "eq", value: "Shipping" }, limits);

  expect(first.jobs).toHaveLength(3);
  expect(first.next).toBeDefined();
  expect(second.jobs).toHaveLength(2);
  expect(second.next).toBeUndefined();
  expect(new Set([...first.jobs, ...second.jobs].map((job) => job.key.name))).toEqual(new Set(["job0", "job1", "job2", "job3", "job4"]));
  expect(none.jobs).toHaveLength(0);
});
