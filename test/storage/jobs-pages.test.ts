/**
 * Pages of jobs bounded by bytes as well as by count (issue 20 §3, a noisy tenant: 100 jobs of
 * ~120 KB made 12 MB pages). A page stops before its jobs pass the byte budget, always holds at least
 * one job, and resumes exactly after its last job: no job skipped or repeated, whatever the sizes,
 * the page size, the budget, the partitions or the filter.
 */
import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import fc from "fast-check";
import { Job } from "../../shared/domain/job";
import { JobFilter } from "../../shared/domain/job-filter";
import { JobPage, JobScope, JobsContinuation, JobsStore, partitionKeyOf, rowKeyOf } from "../../shared/storage/jobs.store";
import { creatingJob } from "../support/fixtures";
import { tableClient } from "./helpers";

let table: TableClient;
let store: JobsStore;

beforeAll(async () => {
  table = tableClient("pagetests");
  await table.createTable();
  store = new JobsStore(table);
});

/** The bytes a listed job counts for: its document as stored (the job less its BitLocker keys), in UTF-8. */
function documentBytes(job: Job): number {
  return Buffer.byteLength(JSON.stringify(job), "utf8");
}

/** A job whose document is about `padding` characters longer than a plain one's (tags of that length). */
function jobOfSize(subscriptionId: string, resourceGroup: string, name: string, padding: number): Job {
  const job = creatingJob({ subscriptionId, resourceGroup, name });
  const tags: Record<string, string> = {};
  for (let i = 0; padding > 0; i++, padding -= 256) tags[`t${i}`] = "é".repeat(Math.min(256, padding) / 2);
  return { ...job, tags };
}

async function seed(jobs: Job[]): Promise<void> {
  for (const job of jobs) await store.insert(job);
}

/** Every page from the first, following `next`; fails on a page past `limit`. */
async function allPages(scope: JobScope, filter: JobFilter | undefined, top: number, maxBytes: number, limit = 200): Promise<JobPage[]> {
  const pages: JobPage[] = [];
  let next: JobsContinuation | undefined;
  do {
    if (pages.length >= limit) throw new Error(`more than ${limit} pages`);
    const page = await store.list(scope, filter, { top, maxBytes }, next);
    pages.push(page);
    next = page.next;
  } while (next);
  return pages;
}

function tableOrder(jobs: Job[]): string[] {
  return jobs.map((job) => `${partitionKeyOf(job.key)}/${rowKeyOf(job.key)}`).sort();
}

function expectPagesWithin(pages: JobPage[], top: number, maxBytes: number): void {
  for (const page of pages) {
    expect(page.jobs.length).toBeLessThanOrEqual(top);
    // At least one job on every page but an empty last one; more than one only within the budget.
    if (page.next) expect(page.jobs.length).toBeGreaterThanOrEqual(1);
    if (page.jobs.length > 1) expect(page.jobs.reduce((sum, job) => sum + documentBytes(job), 0)).toBeLessThanOrEqual(maxBytes);
  }
}

test("a page stops before its jobs pass the byte budget, and the next resumes right after its last job", async () => {
  const subscriptionId = randomUUID();
  const jobs = Array.from({ length: 10 }, (_, i) => jobOfSize(subscriptionId, "rg", `job${i}`, 4000));
  await seed(jobs);
  const one = documentBytes(jobs[0]);

  const first = await store.list({ subscriptionId }, undefined, { top: 100, maxBytes: Math.floor(3.5 * one) });
  const second = await store.list({ subscriptionId }, undefined, { top: 100, maxBytes: Math.floor(3.5 * one) }, first.next);

  expect(first.jobs.map((job) => job.key.name)).toEqual(["job0", "job1", "job2"]);
  expect(first.next).toBeDefined();
  expect(second.jobs.map((job) => job.key.name)).toEqual(["job3", "job4", "job5"]);
});

test("a job larger than the whole budget still comes, alone on its page", async () => {
  const subscriptionId = randomUUID();
  const jobs = [jobOfSize(subscriptionId, "rg", "a-small", 0), jobOfSize(subscriptionId, "rg", "b-huge", 20_000), jobOfSize(subscriptionId, "rg", "c-small", 0)];
  await seed(jobs);

  const pages = await allPages({ subscriptionId }, undefined, 100, 8 * 1024);

  expect(pages.map((page) => page.jobs.map((job) => job.key.name))).toEqual([["a-small"], ["b-huge"], ["c-small"]]);
});

test("pages cut by bytes across resource groups and with a filter list every job exactly once, in table order", async () => {
  const subscriptionId = randomUUID();
  const jobs = Array.from({ length: 24 }, (_, i) => jobOfSize(subscriptionId, `rg-${i % 3}`, `job-${String(i).padStart(2, "0")}`, (i * 997) % 6000));
  await seed(jobs);
  const filter: JobFilter = { kind: "state", op: "eq", value: "Creating" };

  for (const [top, maxBytes] of [[100, 6 * 1024], [5, 9 * 1024], [1, 1024], [7, 1024 * 1024]]) {
    const pages = await allPages({ subscriptionId }, filter, top, maxBytes);
    expectPagesWithin(pages, top, maxBytes);
    expect(pages.flatMap((page) => tableOrder(page.jobs))).toEqual(tableOrder(jobs));
    expect(tableOrder(pages.flatMap((page) => page.jobs))).toEqual(tableOrder(jobs));
  }
  const groupPages = await allPages({ subscriptionId, resourceGroup: "RG-1" }, undefined, 100, 5 * 1024);
  expect(groupPages.flatMap((page) => page.jobs.map((job) => job.key.name))).toEqual(jobs.filter((job) => job.key.resourceGroup === "rg-1").map((job) => job.key.name));
});

test("property: whatever the sizes, $top and budget, every job appears exactly once across the pages", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ group: fc.integer({ min: 0, max: 3 }), padding: fc.integer({ min: 0, max: 12_000 }) }), { minLength: 0, maxLength: 14 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1024, max: 32 * 1024 }),
      fc.boolean(),
      async (shapes, top, maxBytes, byGroup) => {
        const subscriptionId = randomUUID();
        const jobs = shapes.map((shape, i) => jobOfSize(subscriptionId, `g${shape.group}`, `j${i}`, shape.padding));
        await seed(jobs);
        const scope: JobScope = byGroup ? { subscriptionId, resourceGroup: "g1" } : { subscriptionId };
        const expected = byGroup ? jobs.filter((job) => job.key.resourceGroup === "g1") : jobs;

        const pages = await allPages(scope, undefined, top, maxBytes);

        expectPagesWithin(pages, top, maxBytes);
        expect(pages.flatMap((page) => tableOrder(page.jobs))).toEqual(tableOrder(expected));
      },
    ),
    { numRuns: 15 },
  );
});

test("resuming after a job of another subscription's partition lists nothing of it", async () => {
  const mine = randomUUID();
  const theirs = randomUUID();
  await seed([jobOfSize(mine, "rg", "mine", 0), jobOfSize(theirs, "rg", "secret", 0)]);

  for (const scope of [{ subscriptionId: mine }, { subscriptionId: mine, resourceGroup: "rg" }]) {
    const page = await store.list(scope, undefined, { top: 100, maxBytes: 1024 * 1024 }, { after: { partitionKey: `${theirs}:rg`, rowKey: "" } });
    expect(page.jobs.map((job) => job.key.name)).not.toContain("secret");
  }
});

test("a list reads about what its page holds: once a subscription's jobs are known to be large, it asks the table for only as many as fit", async () => {
  const subscriptionId = randomUUID();
  const jobs = Array.from({ length: 30 }, (_, i) => jobOfSize(subscriptionId, "rg", `job${String(i).padStart(2, "0")}`, 8000));
  await seed(jobs);
  const maxBytes = 5 * documentBytes(jobs[0]);
  const asked: (number | undefined)[] = [];
  const listEntities = table.listEntities.bind(table);
  const spy = jest.spyOn(table, "listEntities").mockImplementation((options) => {
    const iterator = listEntities(options);
    const byPage = iterator.byPage.bind(iterator);
    iterator.byPage = (settings) => {
      asked.push(settings?.maxPageSize);
      return byPage(settings);
    };
    return iterator;
  });
  try {
    const first = await store.list({ subscriptionId }, undefined, { top: 100, maxBytes });
    const firstAsked = asked.splice(0);
    const second = await store.list({ subscriptionId }, undefined, { top: 100, maxBytes }, first.next);
    const third = await store.list({ subscriptionId }, undefined, { top: 100, maxBytes });

    expect(first.jobs).toHaveLength(5);
    expect(firstAsked).toEqual([100]);
    // Five fit, a sixth tells the page where it ends: 6 entities a request, not 100.
    expect(asked).toEqual([6, 6]);
    expect(second.jobs.map((job) => job.key.name)).toEqual(["job05", "job06", "job07", "job08", "job09"]);
    expect(third.jobs).toHaveLength(5);
  } finally {
    spy.mockRestore();
  }
});

test("small jobs still come a whole $top page in one request", async () => {
  const subscriptionId = randomUUID();
  await seed(Array.from({ length: 12 }, (_, i) => jobOfSize(subscriptionId, "rg", `job${String(i).padStart(2, "0")}`, 0)));
  const asked: (number | undefined)[] = [];
  const listEntities = table.listEntities.bind(table);
  const spy = jest.spyOn(table, "listEntities").mockImplementation((options) => {
    const iterator = listEntities(options);
    const byPage = iterator.byPage.bind(iterator);
    iterator.byPage = (settings) => {
      asked.push(settings?.maxPageSize);
      return byPage(settings);
    };
    return iterator;
  });
  try {
    await store.list({ subscriptionId }, undefined, { top: 10, maxBytes: 4 * 1024 * 1024 });
    const page = await store.list({ subscriptionId }, undefined, { top: 10, maxBytes: 4 * 1024 * 1024 });
    expect(page.jobs).toHaveLength(10);
    expect(asked).toEqual([10, 10]);
  } finally {
    spy.mockRestore();
  }
});
