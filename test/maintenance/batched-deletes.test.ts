/**
 * The sweep deletes a page's due jobs together, per job partition (one resource group): one range
 * read, then ETag-guarded transactions. A job changed before the sweep, or between its read and its
 * delete, stays; the others of its partition still go. A job with two due entries of one kind goes
 * once. Each test runs on its own tables and queue (a fresh service).
 */
import { TableClient } from "@azure/data-tables";
import { Job } from "../../shared/domain/job";
import { SweepReport } from "../../shared/service/operations/sweep-service";
import { JobsRead, JobsStore } from "../../shared/storage/jobs.store";
import { newSubscriptionId } from "../support/service";
import { patchJob } from "../operator/helpers";
import {
  allIndexEntries,
  buildSweep,
  countById,
  createImportJob,
  deletedRecords,
  getStatus,
  indexEntriesOf,
  JobRef,
  keyOf,
  DAY,
  HOUR,
  MaintenanceHarness,
  MINUTE,
  MS_OF,
  SECOND,
  startMaintenanceService,
  storedJob,
} from "./helpers";

let h: MaintenanceHarness;
beforeEach(async () => {
  h = await startMaintenanceService();
});
afterEach(() => h.close());

const iso = (ms: number) => new Date(ms).toISOString();

/** One call of the store's bulk methods, as the sweep made it. */
interface BulkCall {
  method: "getMany" | "deleteMany";
  partitionKey: string;
  keys: string[];
  requests: number;
  deleted?: string[];
}

/**
 * A jobs store that records the sweep's getMany and deleteMany calls, and can run `afterRead` once
 * getMany has read a partition (to let a customer write in between the sweep's read and its delete).
 */
class RecordingJobsStore extends JobsStore {
  readonly calls: BulkCall[] = [];
  afterRead?: (partitionKey: string, read: JobsRead) => Promise<void>;

  override async getMany(partitionKey: string, rowKeys: string[]): Promise<JobsRead> {
    const read = await super.getMany(partitionKey, rowKeys);
    this.calls.push({ method: "getMany", partitionKey, keys: [...rowKeys].sort(), requests: read.requests });
    await this.afterRead?.(partitionKey, read);
    return read;
  }

  override async deleteMany(partitionKey: string, items: { rowKey: string; etag: string }[]) {
    const result = await super.deleteMany(partitionKey, items);
    this.calls.push({ method: "deleteMany", partitionKey, keys: items.map((item) => item.rowKey).sort(), requests: result.requests, deleted: [...result.deleted].sort() });
    return result;
  }
}

function recordingSweep() {
  let store: RecordingJobsStore | undefined;
  const parts = buildSweep(h.clock, (tableClient: TableClient) => (store = new RecordingJobsStore(tableClient)));
  return { ...parts, store: store! };
}

/** `count` Creating jobs in one subscription and resource group, created now through the API. */
async function creatingJobs(sub: string, rg: string, prefix: string, count: number): Promise<JobRef[]> {
  const jobs: JobRef[] = [];
  for (let i = 0; i < count; i++) {
    const job = { sub, rg, name: `${prefix}-${String(i).padStart(2, "0")}` };
    await createImportJob(h.service, job);
    jobs.push(job);
  }
  return jobs;
}

const partitionOf = (job: JobRef) => `${job.sub}:${job.rg}`.toLowerCase();
const rowKeysOf = (jobs: JobRef[]) => jobs.map((job) => job.name.toLowerCase()).sort();

/** Only what a sweep sends from here on. */
async function clearInbox(): Promise<void> {
  await h.inbox.drain();
  h.inbox.all.length = 0;
}

async function expectDeletedAndNotified(sub: string, deleted: JobRef[], kept: JobRef[], report: SweepReport): Promise<void> {
  for (const job of deleted) expect(await getStatus(h.service, job)).toBe(404);
  for (const job of kept) expect(await getStatus(h.service, job)).toBe(200);
  const records = await deletedRecords(sub);
  expect(records.map((record) => record.name).sort()).toEqual(deleted.map((job) => job.name).sort());
  expect(records.every((record) => record.state === "Creating")).toBe(true);
  for (const job of [...deleted]) expect(await indexEntriesOf(job.sub, job.rg, job.name)).toEqual([]);

  await h.inbox.drain();
  const notices = h.inbox.all.filter((message) => message.type === "notice");
  expect(notices.every((message) => message.kind === "JobDeletedCreatingExpired" && message.audience === "customer")).toBe(true);
  expect(notices.map((message) => message.job?.name).sort()).toEqual(deleted.map((job) => job.name).sort());
  expect([...countById(h.inbox.all)].filter(([, count]) => count > 1)).toEqual([]);
  expect(report.noticesSent).toBe(deleted.length);
}

describe("one resource group's due jobs are deleted together", () => {
  test("30 due jobs, one updated by its customer before the sweep: the other 29 go in one transaction, the updated one stays", async () => {
    const t0 = h.clock.now().getTime();
    const sub = newSubscriptionId();
    const jobs = await creatingJobs(sub, "batch-rg", "due", 30);
    const updated = jobs[17];
    // Half an hour later the customer updates one job, which restarts its Creating lifetime.
    h.clock.set(new Date(t0 + 30 * MINUTE));
    expect((await patchJob(h.service, updated, { tags: { customer: "still-here" } })).status).toBe(200);
    const others = jobs.filter((job) => job !== updated);
    await clearInbox();

    const { sweep, store } = recordingSweep();
    h.clock.set(new Date(t0 + MS_OF.creating + SECOND));
    const report = await sweep.run();

    expect(report).toMatchObject({
      indexEntriesRead: 30,
      entitiesRead: 60, // the 30 entries and the 30 jobs they point at
      jobsActedOn: 29,
      jobsDeleted: 29,
      staleEntriesDropped: 1,
      skippedChangedMeanwhile: 0,
      byKind: { CreatingExpiry: 29 },
      errors: [],
      truncated: false,
    });
    // One range read of the partition, one transaction deleting the 29.
    expect(store.calls).toEqual([
      { method: "getMany", partitionKey: partitionOf(updated), keys: rowKeysOf(jobs), requests: 1 },
      { method: "deleteMany", partitionKey: partitionOf(updated), keys: rowKeysOf(others), requests: 1, deleted: rowKeysOf(others) },
    ]);

    await expectDeletedAndNotified(sub, others, [updated], report);
    expect((await storedJob(sub, updated.rg, updated.name))!.tags).toEqual({ customer: "still-here" });
    // Its old entry was dropped as stale; the one for its restarted lifetime is kept.
    expect(await indexEntriesOf(sub, updated.rg, updated.name)).toEqual([`${iso(t0 + 30 * MINUTE + MS_OF.creating)}|CreatingExpiry`]);
  });

  test("30 due jobs, one updated by its customer between the sweep's read and its delete: the transaction fails, the other 29 are deleted one by one, the updated one stays", async () => {
    const t0 = h.clock.now().getTime();
    const sub = newSubscriptionId();
    const jobs = await creatingJobs(sub, "race-rg", "due", 30);
    const racer = jobs[4];
    const others = jobs.filter((job) => job !== racer);
    await clearInbox();

    const { sweep, store } = recordingSweep();
    let raced = 0;
    store.afterRead = async (_partitionKey, read) => {
      // The sweep holds the job as read (and its ETag); the customer's write changes it.
      expect(read.jobs.has(racer.name.toLowerCase())).toBe(true);
      raced++;
      expect((await patchJob(h.service, racer, { tags: { customer: "raced" } })).status).toBe(200);
    };
    h.clock.set(new Date(t0 + MS_OF.creating + SECOND));
    const report = await sweep.run();
    store.afterRead = undefined;

    expect(raced).toBe(1);
    expect(report).toMatchObject({ indexEntriesRead: 30, jobsActedOn: 29, jobsDeleted: 29, skippedChangedMeanwhile: 1, staleEntriesDropped: 0, errors: [] });
    // The transaction of 30 failed on the changed job; then each job on its own.
    expect(store.calls.filter((call) => call.method === "deleteMany")).toEqual([
      { method: "deleteMany", partitionKey: partitionOf(racer), keys: rowKeysOf(jobs), requests: 1 + 30, deleted: rowKeysOf(others) },
    ]);

    await expectDeletedAndNotified(sub, others, [racer], report);
    expect((await storedJob(sub, racer.rg, racer.name))!.tags).toEqual({ customer: "raced" });
    // The entry that lost the race stays (the customer's write needed no other: it covers the
    // restarted lifetime) for the next sweep, which finds the lifetime restarted and chains it.
    expect(await indexEntriesOf(sub, racer.rg, racer.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);

    const next = await sweep.run();
    expect(next).toMatchObject({ indexEntriesRead: 1, staleEntriesDropped: 1, entriesChained: 1, jobsDeleted: 0, skippedChangedMeanwhile: 0, errors: [] });
    expect(await getStatus(h.service, racer)).toBe(200);
    expect(await indexEntriesOf(sub, racer.rg, racer.name)).toEqual([`${iso(t0 + MS_OF.creating + SECOND + MS_OF.creating)}|CreatingExpiry`]);
    expect(await deletedRecords(sub)).toHaveLength(29);
  });

  test("two resource groups in one page: each is read and deleted on its own, and a race in one leaves the other's transaction whole", async () => {
    const t0 = h.clock.now().getTime();
    const sub = newSubscriptionId();
    const east = await creatingJobs(sub, "east-rg", "e", 5);
    const west = await creatingJobs(sub, "west-rg", "w", 5);
    const racer = east[2];
    await clearInbox();

    const { sweep, store } = recordingSweep();
    store.afterRead = async (partitionKey) => {
      if (partitionKey === partitionOf(racer)) expect((await patchJob(h.service, racer, { tags: { customer: "raced" } })).status).toBe(200);
    };
    h.clock.set(new Date(t0 + MS_OF.creating + SECOND));
    const report = await sweep.run();

    expect(report).toMatchObject({ indexEntriesRead: 10, jobsDeleted: 9, skippedChangedMeanwhile: 1, errors: [] });
    const deletes = store.calls.filter((call) => call.method === "deleteMany").sort((a, b) => a.partitionKey.localeCompare(b.partitionKey));
    expect(deletes).toEqual([
      { method: "deleteMany", partitionKey: partitionOf(east[0]), keys: rowKeysOf(east), requests: 1 + 5, deleted: rowKeysOf(east.filter((job) => job !== racer)) },
      { method: "deleteMany", partitionKey: partitionOf(west[0]), keys: rowKeysOf(west), requests: 1, deleted: rowKeysOf(west) },
    ]);
    expect(store.calls.filter((call) => call.method === "getMany").map((call) => call.partitionKey).sort()).toEqual([partitionOf(east[0]), partitionOf(west[0])]);

    await expectDeletedAndNotified(sub, [...east.filter((job) => job !== racer), ...west], [racer], report);
  });
});

describe("a job with two due entries of the same kind", () => {
  test("is deleted once, counted once, and both entries are gone", async () => {
    // Both entries in one day table (so in one page): start well clear of midnight (UTC).
    const intoDay = h.clock.now().getTime() % DAY;
    if (intoDay < HOUR || intoDay > DAY - 3 * HOUR) h.clock.set(new Date(h.clock.now().getTime() - intoDay + DAY + 2 * HOUR));
    const t0 = h.clock.now().getTime();
    const sub = newSubscriptionId();
    const [doubled, single] = await creatingJobs(sub, "twice-rg", "job", 2);
    // An older CreatingExpiry entry for the same job, as a lifetime since restarted would leave.
    const { sweep, store, index } = recordingSweep();
    const current = (await store.get(keyOf(doubled)))!.job;
    const older: Job = { ...current, creatingExpiresAt: iso(t0 + MS_OF.creating - 10 * MINUTE) };
    expect(await index.repairForJobs([{ job: older }])).toBe(1);
    expect(await indexEntriesOf(sub, doubled.rg, doubled.name)).toEqual([
      `${iso(t0 + MS_OF.creating - 10 * MINUTE)}|CreatingExpiry`,
      `${iso(t0 + MS_OF.creating)}|CreatingExpiry`,
    ]);
    await clearInbox();

    h.clock.set(new Date(t0 + MS_OF.creating + SECOND));
    const report = await sweep.run();

    expect(report).toMatchObject({
      indexEntriesRead: 3,
      entitiesRead: 3 + 2, // each job read once, by the range read
      jobsActedOn: 2,
      jobsDeleted: 2,
      byKind: { CreatingExpiry: 2 },
      staleEntriesDropped: 1, // the doubled job's second entry, gone with the job
      skippedChangedMeanwhile: 0,
      errors: [],
    });
    // The job was read once and put in the transaction once.
    expect(store.calls).toEqual([
      { method: "getMany", partitionKey: partitionOf(doubled), keys: rowKeysOf([doubled, single]), requests: 1 },
      { method: "deleteMany", partitionKey: partitionOf(doubled), keys: rowKeysOf([doubled, single]), requests: 1, deleted: rowKeysOf([doubled, single]) },
    ]);
    await expectDeletedAndNotified(sub, [doubled, single], [], report);
    expect((await deletedRecords(sub)).filter((record) => record.name === doubled.name)).toHaveLength(1);
    expect((await allIndexEntries()).filter((row) => row.rowKey.includes(`|job|${partitionOf(doubled)}|`))).toEqual([]);

    const again = await sweep.run();
    expect(again).toMatchObject({ indexEntriesRead: 0, jobsDeleted: 0, errors: [] });
  });
});
