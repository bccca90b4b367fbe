/**
 * The sweep's safety properties, each test on its own tables and queue (a fresh service), so its
 * report's totals are its own: concurrent sweeps act once, a second run changes nothing, writers
 * racing the sweep win, stale entries are dropped, lost entries are repaired, the index is written
 * before the job, one bad job does not stop the run, and every event gives one notice.
 */
import { silentLogger } from "../../shared/telemetry/log";
import { serviceMetrics } from "../../shared/telemetry/metrics";
import { randomBytes } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { getSettings } from "../../shared/service/app/composition";
import { Job } from "../../shared/domain/job";
import { SweepReport } from "../../shared/service/operations/sweep-service";
import { createTableClient } from "../../shared/storage/clients";
import { DeadlineCover, JobWriter } from "../../shared/service/operations/job-writer";
import { JobsStore, StoredJob } from "../../shared/storage/jobs.store";
import { newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import { creatingJob as creatingJobValue } from "../support/fixtures";
import { api, jobUrl } from "../api/helpers";
import { driveStates, getJob, markShipping, patchJob } from "../operator/helpers";
import {
  allIndexEntries,
  buildSweep,
  countById,
  createImportJob,
  deletedRecords,
  HARNESS_JOB_RULES,
  indexEntriesOf,
  JobRef,
  keysOf,
  MaintenanceHarness,
  MS_OF,
  runSweep,
  SECOND,
  startMaintenanceService,
  storedEntity,
  storedJob,
  sweepAt,
  table,
  HOUR,
  MINUTE,
} from "./helpers";

let h: MaintenanceHarness;
beforeEach(async () => {
  h = await startMaintenanceService();
});
afterEach(() => h.close());

const RG = "safety-rg";
const iso = (ms: number) => new Date(ms).toISOString();
const newJob = (name: string): JobRef => ({ sub: newSubscriptionId(), rg: RG, name });

async function status(job: JobRef): Promise<number> {
  return (await api(h.service, "GET", jobUrl(job.sub, job.rg, job.name))).status;
}

async function creatingJob(name: string): Promise<JobRef> {
  const job = newJob(name);
  await createImportJob(h.service, job);
  return job;
}

async function shippingJob(name: string): Promise<JobRef> {
  const job = await creatingJob(name);
  await markShipping(h.service, job);
  return job;
}

async function recordArrival(): Promise<string> {
  const response = await api(h.service, "POST", "/operator/arrivals", { carrierName: "DHL", trackingNumber: `SAFE-${randomBytes(3).toString("hex")}`, driveIds: ["Z1"] });
  expect(response.status).toBe(201);
  return response.body.id;
}

function acted(report: SweepReport): number {
  return report.jobsActedOn + report.arrivalsActedOn;
}

async function etagOf(job: JobRef): Promise<string> {
  return (await storedEntity(job.sub, job.rg, job.name))!.etag;
}

/**
 * Three Creating jobs past their lifetime, three Shipping jobs past their wait (not yet past the
 * response window) and one arrival past its return time, all due at `dueAt`.
 */
async function seedDueWork(): Promise<{ creating: JobRef[]; shipping: JobRef[]; arrival: string; dueAt: number }> {
  const t0 = h.clock.now().getTime();
  const arrival = await recordArrival();
  h.clock.set(new Date(t0 + 4 * HOUR));
  const creating = [];
  const shipping = [];
  for (let i = 0; i < 3; i++) creating.push(await creatingJob(`expiring-${i}`));
  for (let i = 0; i < 3; i++) shipping.push(await shippingJob(`overdue-${i}`));
  // Arrival return at +6h; Creating expiry at +5h; Shipping overdue at +6h; the close only at +9h.
  return { creating, shipping, arrival, dueAt: t0 + MS_OF.arrivalReturn + SECOND };
}

async function expectDueWorkDone(work: Awaited<ReturnType<typeof seedDueWork>>): Promise<void> {
  for (const job of work.creating) {
    expect(await status(job)).toBe(404);
    expect((await deletedRecords(job.sub)).map((record) => record.name)).toEqual([job.name]);
  }
  for (const job of work.shipping) {
    const current = await getJob(h.service, job);
    expect(current.properties.state).toBe("Shipping");
    expect(driveStates(current)).toEqual({ DRIVE01: "NeverReceived", DRIVE02: "NeverReceived" });
    const stored = (await storedJob(job.sub, RG, job.name))!;
    expect(stored.shippingOverdueNotifiedAt).toBe(iso(work.dueAt));
    expect(stored.outbox).toBeUndefined();
  }
  const messages = h.inbox.all;
  const notices = messages.filter((message) => message.type === "notice");
  expect(notices.filter((message) => message.kind === "JobDeletedCreatingExpired")).toHaveLength(3);
  expect(notices.filter((message) => message.kind === "ShippingOverdue")).toHaveLength(6);
  expect(notices.filter((message) => message.id === `arrival|${work.arrival}|ArrivalReturn`)).toHaveLength(1);
  expect(notices).toHaveLength(10);
  // No message of any kind (notice or state change) twice.
  const duplicates = [...countById(messages)].filter(([, count]) => count > 1);
  expect(duplicates).toEqual([]);
}

describe("concurrent and repeated sweeps", () => {
  test("two sweeps at once (two admin calls) leave the same end state as one and queue each notice once", async () => {
    const work = await seedDueWork();
    h.clock.set(new Date(work.dueAt));
    await h.inbox.drain();
    h.inbox.all.length = 0; // only what the sweeps send

    const [one, two] = await Promise.all([runSweep(h.service), runSweep(h.service)]);
    const reports = [one.sweep, two.sweep];
    expect(reports.flatMap((report) => report.errors)).toEqual([]);
    expect(reports.reduce((sum, report) => sum + report.jobsActedOn, 0)).toBe(6);
    expect(reports.reduce((sum, report) => sum + report.arrivalsActedOn, 0)).toBe(1);
    expect(reports.reduce((sum, report) => sum + report.jobsDeleted, 0)).toBe(3);
    expect(reports.reduce((sum, report) => sum + report.noticesSent, 0)).toBe(10);

    await h.inbox.drain();
    await expectDueWorkDone(work);

    const third = await runSweep(h.service);
    expect(acted(third.sweep)).toBe(0);
    expect(await h.inbox.drain()).toEqual([]);
  });

  test("two SweepService.run at once, many rounds: each message exactly once every time", async () => {
    for (let round = 0; round < 4; round++) {
      if (round > 0) {
        await h.close();
        h = await startMaintenanceService(); // fresh tables and queue: only this round's work is due
      }
      // Two separately built services, as two Functions instances would be.
      const a = buildSweep(h.clock).sweep;
      const b = buildSweep(h.clock).sweep;
      const start = h.clock.now().getTime();
      for (let i = 0; i < 4; i++) await shippingJob(`round-${round}-${i}`);
      for (let i = 0; i < 2; i++) await creatingJob(`round-${round}-c${i}`);
      await h.inbox.drain();
      h.inbox.all.length = 0;

      h.clock.set(new Date(start + MS_OF.shippingWait + SECOND));
      const reports = await Promise.all([a.run(), b.run()]);
      expect(reports.reduce((sum, report) => sum + report.jobsActedOn, 0)).toBe(6);
      expect(reports.reduce((sum, report) => sum + report.noticesSent, 0)).toBe(4 * 2 + 2);
      await h.inbox.drain();
      expect(h.inbox.all.filter((message) => message.type === "notice")).toHaveLength(4 * 2 + 2);
      expect([...countById(h.inbox.all)].filter(([, count]) => count > 1)).toEqual([]);
    }
  });

  test("running the sweep twice changes nothing the second time", async () => {
    const work = await seedDueWork();
    const first = await sweepAt(h, work.dueAt, 0);
    expect(acted(first.sweep)).toBe(7);
    await h.inbox.drain();
    const etags = await Promise.all(work.shipping.map(etagOf));
    const entries = (await allIndexEntries()).map((row) => row.rowKey).sort();

    const second = await sweepAt(h, work.dueAt, 0);
    expect(second.sweep).toMatchObject({ jobsActedOn: 0, arrivalsActedOn: 0, jobsDeleted: 0, noticesSent: 0, errors: [], skippedChangedMeanwhile: 0 });
    expect(await h.inbox.drain()).toEqual([]);
    expect(await Promise.all(work.shipping.map(etagOf))).toEqual(etags);
    // Nothing due is left: only future deadlines remain in the index.
    const left = (await allIndexEntries()).map((row) => row.rowKey).sort();
    expect(left.every((rowKey) => rowKey > `${iso(work.dueAt)}|~`)).toBe(true);
    expect(left.length).toBeLessThanOrEqual(entries.length);
    await expectDueWorkDone(work);
  });
});

describe("writers racing the sweep", () => {
  test("a customer update moved the deadline; the sweep meets the old entry: an entry at the new deadline is chained first, the job's document untouched", async () => {
    const t0 = h.clock.now().getTime();
    const job = await creatingJob("moved");
    h.clock.set(new Date(t0 + 30 * MINUTE));
    expect((await patchJob(h.service, job, { tags: { again: "1" } })).status).toBe(200);
    const moved = t0 + 30 * MINUTE + MS_OF.creating;
    // The update wrote no entry: the one at the old deadline still covers the later one.
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);
    const document = (await storedEntity(job.sub, RG, job.name))!.Job;

    const report = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(report.sweep).toMatchObject({ indexEntriesRead: 1, staleEntriesDropped: 1, entriesChained: 1, jobsActedOn: 0, noticesSent: 0 });
    // Only the job's IndexedDue changed (an ETag-guarded merge), not its document.
    const entity = (await storedEntity(job.sub, RG, job.name))!;
    expect([entity.Job, entity.IndexedDue]).toEqual([document, iso(moved)]);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(moved)}|CreatingExpiry`]);
    expect(await deletedRecords(job.sub)).toEqual([]);
  });

  test("a customer writes between the sweep's read and its write: the ETag guard lets the customer win, nothing is sent or recorded", async () => {
    const t0 = h.clock.now().getTime();
    const expiring = await creatingJob("race-expiry");
    const overdue = await shippingJob("race-overdue");
    await h.inbox.drain();
    const racers = new Map([
      [keysOf(expiring.sub, RG, expiring.name).rowKey, expiring],
      [keysOf(overdue.sub, RG, overdue.name).rowKey, overdue],
    ]);
    let racing = true;
    let writes = 0;

    /** A jobs store that, each time the sweep reads a racer, lets the customer update it before answering. */
    class RacingJobsStore extends JobsStore {
      override async getByEntityKeys(partitionKey: string, rowKey: string): Promise<StoredJob | undefined> {
        const stored = await super.getByEntityKeys(partitionKey, rowKey);
        const job = racers.get(rowKey);
        if (stored && job && racing) {
          writes++;
          expect((await patchJob(h.service, job, { tags: { customer: `was-here-${writes}` } })).status).toBe(200);
        }
        return stored;
      }
    }
    const { sweep } = buildSweep(h.clock, (tableClient: TableClient) => new RacingJobsStore(tableClient));

    h.clock.set(new Date(t0 + MS_OF.shippingWait + SECOND));
    const report = await sweep.run();
    racing = false;
    // One entry each (the overdue job's CreatingExpiry entry stands for its ShippingOverdue deadline): both lost the race.
    expect(report).toMatchObject({ skippedChangedMeanwhile: 2, staleEntriesDropped: 0, jobsActedOn: 0, jobsDeleted: 0, noticesSent: 0, errors: [] });
    expect(writes).toBe(2);

    expect(await status(expiring)).toBe(200);
    expect((await storedJob(expiring.sub, RG, expiring.name))!.tags).toEqual({ customer: expect.stringMatching(/^was-here-/) });
    expect(await deletedRecords(expiring.sub)).toEqual([]);
    const current = await getJob(h.service, overdue);
    expect(current.tags).toEqual({ customer: expect.stringMatching(/^was-here-/) });
    expect(driveStates(current)).toEqual({ DRIVE01: "Specified", DRIVE02: "Specified" });
    expect((await h.inbox.drain()).filter((message) => message.type === "notice")).toEqual([]);

    // The entries that lost were kept: the next sweep acts on the overdue job as the customer left
    // it, and finds the expiring job's clock restarted by the customer's writes.
    const next = await runSweep(h.service);
    expect(next.sweep.byKind).toEqual({ ShippingOverdue: 1 });
    expect(driveStates(await getJob(h.service, overdue))).toEqual({ DRIVE01: "NeverReceived", DRIVE02: "NeverReceived" });
    expect(await status(expiring)).toBe(200);
  });

  test("a customer update between the sweep chaining an entry and recording it on the job: the record loses (412), the job is read again and chained at its newer deadline", async () => {
    const t0 = h.clock.now().getTime();
    const job = await creatingJob("chain-race");
    h.clock.set(new Date(t0 + 30 * MINUTE));
    expect((await patchJob(h.service, job, { tags: { first: "1" } })).status).toBe(200);
    const firstRestart = t0 + 30 * MINUTE + MS_OF.creating;
    const sweepAtTime = t0 + MS_OF.creating + SECOND;
    const secondRestart = sweepAtTime + MS_OF.creating;
    let raced = 0;

    /** A jobs store that lets the customer update the job just before the sweep records its new entry. */
    class RacingJobsStore extends JobsStore {
      override async mark(stored: StoredJob, columns: { indexedDue?: string; arrivalWaiting?: boolean }): Promise<StoredJob> {
        if (raced++ === 0) expect((await patchJob(h.service, job, { tags: { second: "2" } })).status).toBe(200);
        return super.mark(stored, columns);
      }
    }
    const { sweep } = buildSweep(h.clock, (tableClient: TableClient) => new RacingJobsStore(tableClient));

    h.clock.set(new Date(sweepAtTime));
    const report = await sweep.run();
    // The first record lost to the customer's write; the second, on the job read again, won.
    expect(raced).toBe(2);
    expect(report).toMatchObject({ indexEntriesRead: 1, staleEntriesDropped: 1, entriesChained: 1, skippedChangedMeanwhile: 0, jobsActedOn: 0, errors: [] });
    expect((await storedEntity(job.sub, RG, job.name))!.IndexedDue).toBe(iso(secondRestart));
    expect((await storedJob(job.sub, RG, job.name))!.tags).toEqual({ second: "2" });
    // The entry chained for the first restart is extra (harmless); the one the job records is there.
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(firstRestart)}|CreatingExpiry`, `${iso(secondRestart)}|CreatingExpiry`]);

    // The extra entry is dropped without a write; the job goes at its deadline, not before.
    const extra = await sweepAt(h, firstRestart, SECOND);
    expect(extra.sweep).toMatchObject({ staleEntriesDropped: 1, entriesChained: 0, jobsActedOn: 0 });
    expect(await status(job)).toBe(200);
    await sweepAt(h, secondRestart, -SECOND);
    expect(await status(job)).toBe(200);
    const due = await sweepAt(h, secondRestart, SECOND);
    expect(due.sweep).toMatchObject({ jobsDeleted: 1, byKind: { CreatingExpiry: 1 } });
    expect(await status(job)).toBe(404);
  });

  test("an entry pointing at a job whose state changed, or that is gone, is dropped without action", async () => {
    const t0 = h.clock.now().getTime();
    // Marking it Shipping wrote no entry: its CreatingExpiry entry comes before ShippingOverdue, so it covers it.
    const shipped = await shippingJob("moved-on");
    const removed = await creatingJob("deleted-by-customer");
    expect((await api(h.service, "DELETE", jobUrl(removed.sub, RG, removed.name))).status).toBe(200);
    expect(await indexEntriesOf(shipped.sub, RG, shipped.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);
    const document = (await storedEntity(shipped.sub, RG, shipped.name))!.Job;
    await h.inbox.drain();

    const report = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(report.sweep).toMatchObject({ indexEntriesRead: 2, staleEntriesDropped: 2, entriesChained: 1, jobsActedOn: 0, jobsDeleted: 0, noticesSent: 0, errors: [] });
    expect((await storedEntity(shipped.sub, RG, shipped.name))!.Job).toBe(document);
    expect((await getJob(h.service, shipped)).properties.state).toBe("Shipping");
    expect(await indexEntriesOf(shipped.sub, RG, shipped.name)).toEqual([`${iso(t0 + MS_OF.shippingWait)}|ShippingOverdue`]);
    expect(await indexEntriesOf(removed.sub, RG, removed.name)).toEqual([]);
    expect(await deletedRecords(removed.sub)).toEqual([]);
    expect(await h.inbox.drain()).toEqual([]);
  });
});

describe("the expiry index stays complete", () => {
  test("a lost entry: the sweep does not act, reconciliation writes it back, the next sweep acts", async () => {
    const t0 = h.clock.now().getTime();
    const job = await creatingJob("lost-entry");
    const [entry] = (await allIndexEntries()).filter((row) => row.rowKey.includes(`|job|${keysOf(job.sub, RG, job.name).partitionKey}|`));
    await table(entry.table).deleteEntity(entry.partitionKey, entry.rowKey);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([]);

    const first = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(first.sweep).toMatchObject({ indexEntriesRead: 0, jobsActedOn: 0 });
    expect(await status(job)).toBe(200);
    expect(first.reconcile.jobsScanned).toBe(1);
    expect(first.reconcile.entriesWritten).toBe(1);
    expect(await indexEntriesOf(job.sub, RG, job.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);
    expect((await allIndexEntries()).find((row) => row.rowKey === entry.rowKey)?.partitionKey).toBe(entry.partitionKey);

    const second = await sweepAt(h, t0, MS_OF.creating + 2 * SECOND);
    expect(second.sweep).toMatchObject({ jobsActedOn: 1, jobsDeleted: 1 });
    expect(await status(job)).toBe(404);
  });

  test("the entry exists as soon as the job does, and is written before it: a crash in between leaves an extra entry, never a missing one", async () => {
    const t0 = h.clock.now().getTime();
    const settings = getSettings();

    // Through the API: the entry is there right after the create, before any sweep.
    const job = await creatingJob("indexed-first");
    const { partitionKey, rowKey } = keysOf(job.sub, RG, job.name);
    const rows = (await allIndexEntries()).filter((row) => row.rowKey.endsWith(`|job|${partitionKey}|${rowKey}`));
    expect(rows).toEqual([
      {
        // The day table of the due time, and one of its hashed partitions.
        table: `${settings.deadlinesTableName}${iso(t0 + MS_OF.creating).slice(0, 10).replace(/-/g, "")}`,
        partitionKey: expect.stringMatching(/^s\d+$/),
        rowKey: `${iso(t0 + MS_OF.creating)}|CreatingExpiry|job|${partitionKey}|${rowKey}`,
      },
    ]);

    // The order: when the index is written, the job entity does not exist yet.
    const { index } = buildSweep(h.clock);
    const seen: boolean[] = [];
    const watching: DeadlineCover = {
      async cover(value: Job, base?: Pick<StoredJob, "job" | "indexedDue">) {
        const indexedDue = await index.cover(value, base);
        seen.push((await storedEntity(value.key.subscriptionId, value.key.resourceGroup, value.key.name)) !== undefined);
        return indexedDue;
      },
      coverMany: (values: Job[]) => index.coverMany(values),
    };
    const queue = { publish: async () => 0 };
    const ordered = jobValue("ordered", t0);
    await new JobWriter(new JobsStore(createTableClient(settings, settings.jobsTableName)), watching, queue, silentLogger, serviceMetrics()).insert(ordered);
    expect(seen).toEqual([false]);
    expect(await indexEntriesOf(ordered.key.subscriptionId, RG, "ordered")).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);

    // A "crash" of the job write (its table is unreachable): the entry is already there, and the
    // sweep later drops it as stale without error or notice.
    const broken = new JobWriter(new JobsStore(createTableClient(settings, `nosuchtable${randomBytes(4).toString("hex")}`)), index, queue, silentLogger, serviceMetrics());
    const crashed = jobValue("crashed", t0);
    await expect(broken.insert(crashed)).rejects.toBeDefined();
    expect(await storedEntity(crashed.key.subscriptionId, RG, "crashed")).toBeUndefined();
    expect(await indexEntriesOf(crashed.key.subscriptionId, RG, "crashed")).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);

    await h.inbox.drain();
    const report = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(report.sweep.errors).toEqual([]);
    expect(report.sweep.staleEntriesDropped).toBe(1);
    expect(report.sweep.jobsDeleted).toBe(2); // the API's job and the store's, both really there
    expect(await indexEntriesOf(crashed.key.subscriptionId, RG, "crashed")).toEqual([]);
    expect((await h.inbox.drain()).filter((message) => message.job?.name === "crashed")).toEqual([]);
  });
});

describe("robustness", () => {
  test("one bad job is reported in errors, the sweep goes on with the others, and its entry stays, tried again once its wait is over", async () => {
    const t0 = h.clock.now().getTime();
    const jobs = [await creatingJob("good-1"), await creatingJob("bad"), await creatingJob("good-2")];
    const bad = keysOf(jobs[1].sub, RG, "bad");
    await table(getSettings().jobsTableName).updateEntity({ ...bad, Job: "{this is not json" }, "Merge");

    const report = await sweepAt(h, t0, MS_OF.creating + SECOND);
    expect(report.sweep.errors).toEqual([{ entry: `${iso(t0 + MS_OF.creating)}|CreatingExpiry|job|${bad.partitionKey}|${bad.rowKey}`, message: expect.any(String) }]);
    expect(report.sweep.jobsDeleted).toBe(2);
    expect(await status(jobs[0])).toBe(404);
    expect(await status(jobs[2])).toBe(404);
    expect(await storedEntity(jobs[1].sub, RG, "bad")).toBeDefined();
    expect(await indexEntriesOf(jobs[1].sub, RG, "bad")).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);

    // Poisoned (see poison.test.ts): the next run leaves it alone; an hour later it is tried again.
    const again = await sweepAt(h, t0, MS_OF.creating + 2 * SECOND);
    expect(again.sweep).toMatchObject({ errors: [], poisonWaiting: 1 });
    const later = await sweepAt(h, t0, MS_OF.creating + SECOND + HOUR);
    expect(later.sweep.errors).toHaveLength(1);
    expect(acted(later.sweep)).toBe(0);
  });

  test("one notice per event, however many sweeps run at each step", async () => {
    const t0 = h.clock.now().getTime();
    const job = await shippingJob("once-each");
    const steps = [MS_OF.shippingWait + SECOND, MS_OF.shippingWait + SECOND + MS_OF.responseWindow + SECOND, MS_OF.shippingWait + 2 * SECOND + MS_OF.responseWindow + MS_OF.retention + SECOND];
    for (const step of steps) {
      for (let i = 0; i < 3; i++) await sweepAt(h, t0, step);
    }
    const messages = await h.inbox.forJob(job.sub, job.name);
    expect(messages.filter((message) => message.type === "notice").map((message) => [message.audience, message.kind])).toEqual([
      ["operators", "ShippingOverdue"],
      ["customer", "ShippingOverdue"],
      ["customer", "JobClosedNoResponse"],
      ["operators", "JobClosedNoResponse"],
      ["customer", "JobPurged"],
    ]);
    expect([...countById(messages)].filter(([, count]) => count > 1)).toEqual([]);
    expect(messages.filter((message) => message.kind === "JobStateChanged").map((message) => message.to)).toEqual(["Creating", "Shipping", "Closed"]);
    expect(await status(job)).toBe(404);
  });

  test("SWEEP_MAX_ENTRIES caps a run (truncated); the next runs finish the rest", async () => {
    const t0 = h.clock.now().getTime();
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await creatingJob(`capped-${i}`));
    const { sweep } = buildSweep(h.clock, undefined, 2);
    h.clock.set(new Date(t0 + MS_OF.creating + SECOND));
    const reports: SweepReport[] = [];
    for (let i = 0; i < 3; i++) reports.push(await sweep.run());
    expect(reports.map((report) => [report.indexEntriesRead, report.jobsDeleted, report.truncated])).toEqual([
      [2, 2, true],
      [2, 2, true],
      [1, 1, false],
    ]);
    for (const job of jobs) expect(await status(job)).toBe(404);
  });
});

/** A Creating job value made at `at` (for writing through a JobsStore directly). */
function jobValue(name: string, at: number): Job {
  return creatingJobValue({ subscriptionId: newSubscriptionId(), resourceGroup: RG, name }, { now: new Date(at), rules: HARNESS_JOB_RULES, definition: { returnAddress: RETURN_ADDRESS } });
}
