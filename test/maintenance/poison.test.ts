/**
 * One bad job never blocks retention (issue 20, item 2). Regression: a job whose BlobCleanup index
 * key was over Table Storage's limit (its `diagnosticsPath` long, stored before paths were measured
 * in bytes) failed its resource group's whole delete, so the sweep deleted no due job of that
 * resource group, run after run. Now a failing transaction is retried job by job; a job that still
 * fails is reported (the run's report and log, a notice to operators), its index entry records why
 * and when and the next try waits (doubling, up to a day), and every other due job goes in the same
 * run. Each test runs on its own tables and queue (a fresh service).
 */
import { TableClient } from "@azure/data-tables";
import { DEV_TENANT } from "../../shared/auth/authenticator";
import { ErrorFactory } from "../../shared/domain/errors";
import { Job } from "../../shared/domain/job";
import { QueueMessage } from "../../shared/storage/notification-queue";
import { DeadlineWriter, JobsStore } from "../../shared/storage/jobs.store";
import { creatingJob } from "../support/fixtures";
import { Refusal, refuseDeletesOf } from "../support/refusing-storage";
import { newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import {
  allIndexEntries,
  buildSweep,
  createImportJob,
  deletedRecords,
  getStatus,
  HARNESS_JOB_RULES,
  HOUR,
  indexEntriesOf,
  jobBlobNames,
  JobRef,
  MaintenanceHarness,
  MINUTE,
  MS_OF,
  putJobBlob,
  runSweep,
  SECOND,
  startMaintenanceService,
  table,
} from "./helpers";

let h: MaintenanceHarness;
beforeEach(async () => {
  h = await startMaintenanceService();
});
afterEach(() => h.close());

const iso = (ms: number) => new Date(ms).toISOString();

async function creatingJobs(sub: string, rg: string, count: number): Promise<JobRef[]> {
  const jobs: JobRef[] = [];
  for (let i = 0; i < count; i++) {
    const job = { sub, rg, name: `due-${i}` };
    await createImportJob(h.service, job);
    jobs.push(job);
  }
  return jobs;
}

/** What a sweep sends from here on. */
async function sent(): Promise<QueueMessage[]> {
  h.inbox.all.length = 0;
  return h.inbox.drain();
}

test("a job stored with a long diagnosticsPath and logs, among 5 due jobs of its resource group: the sweep deletes all six and its logs in one run", async () => {
  const t0 = h.clock.now().getTime();
  const sub = newSubscriptionId();
  const rg = "long-path-rg";
  const others = await creatingJobs(sub, rg, 5);
  // As such a job is stored: 305 non-ASCII characters were accepted then; its copy wrote a log.
  const base = creatingJob(
    { subscriptionId: sub, resourceGroup: rg, name: "legacy-long-path" },
    { now: new Date(t0), rules: HARNESS_JOB_RULES, definition: { diagnosticsPath: `mylogs/${"é".repeat(305)}`, returnAddress: RETURN_ADDRESS } },
  );
  const legacy: Job = { ...base, tenantId: DEV_TENANT, drives: base.drives.map((drive) => ({ ...drive, blobs: { errorLog: true } })) };
  await buildSweep(h.clock).jobs.insert(legacy);
  await putJobBlob(legacy, "drives/DRIVE01/error.log");
  expect(await jobBlobNames(legacy)).toHaveLength(1);

  h.clock.set(new Date(t0 + MS_OF.creating + SECOND));
  const { sweep } = await runSweep(h.service);

  expect(sweep).toMatchObject({ jobsDeleted: 6, errors: [], poisoned: [] });
  for (const job of [...others, { sub, rg, name: legacy.key.name }]) expect(await getStatus(h.service, job)).toBe(404);
  expect(await jobBlobNames(legacy)).toEqual([]);
  expect((await deletedRecords(sub)).map((record) => record.name).sort()).toEqual([...others.map((job) => job.name), legacy.key.name].sort());
  expect(await allIndexEntries()).toEqual([]);
});

describe("a job the storage refuses to delete, among 5 due jobs of its resource group", () => {
  let refusal: Refusal;
  const log: string[] = [];

  /** The service's own sweep, over a jobs table whose storage refuses the poisoned job's deletes. */
  function sweepRefusing(poison: JobRef) {
    return buildSweep(
      h.clock,
      (tableClient: TableClient, index: DeadlineWriter) => {
        refusal = refuseDeletesOf(tableClient, poison.name.toLowerCase());
        return new JobsStore(tableClient, index);
      },
      undefined,
      (line) => log.push(line),
    ).sweep;
  }

  /** The poisoned job's index entry, with what the sweep recorded on it. */
  async function poisonEntry(poison: JobRef) {
    const [row] = (await allIndexEntries()).filter((entry) => entry.rowKey.endsWith(`|job|${`${poison.sub}:${poison.rg}`.toLowerCase()}|${poison.name}`));
    return row && (await table(row.table).getEntity(row.partitionKey, row.rowKey));
  }

  test("the other five are deleted in the same run; the poison is reported, logged, notified to operators once, recorded on its entry, and retried only after a growing wait", async () => {
    const t0 = h.clock.now().getTime();
    const sub = newSubscriptionId();
    const rg = "poison-rg";
    const jobs = await creatingJobs(sub, rg, 6);
    const poison = jobs[3];
    const others = jobs.filter((job) => job !== poison);
    const sweep = sweepRefusing(poison);
    await sent();

    const due = t0 + MS_OF.creating + SECOND;
    h.clock.set(new Date(due));
    const first = await sweep.run();

    // Everything else that was due went, in this run.
    for (const job of others) expect(await getStatus(h.service, job)).toBe(404);
    expect((await deletedRecords(sub)).map((record) => record.name).sort()).toEqual(others.map((job) => job.name).sort());
    expect(first).toMatchObject({ jobsDeleted: 5, byKind: { CreatingExpiry: 5 } });
    // The poison is still there, reported and logged with why.
    expect(await getStatus(h.service, poison)).toBe(200);
    const entryKey = `${iso(t0 + MS_OF.creating)}|CreatingExpiry|job|${sub}:${rg}|${poison.name}`;
    expect(first.poisoned).toEqual([{ entry: entryKey, failures: 1, retryAfter: iso(due + HOUR), message: expect.stringMatching(/not valid/) }]);
    expect(first.errors).toEqual([{ entry: entryKey, message: expect.stringMatching(/not valid/) }]);
    expect(log.filter((line) => line.includes(entryKey))).toEqual([expect.stringMatching(/failed 1 time.*retried after/)]);
    // Operators are told (once); the customers of the deleted jobs are told as usual.
    const messages = await sent();
    expect(messages.filter((message) => message.audience === "operators")).toEqual([
      expect.objectContaining({ type: "notice", kind: "SweepFailed", job: { subscriptionId: sub, resourceGroup: rg, name: poison.name }, message: expect.stringMatching(/poison-rg.*due-3.*not valid/) }),
    ]);
    expect(messages.filter((message) => message.kind === "JobDeletedCreatingExpired").map((message) => message.job?.name).sort()).toEqual(others.map((job) => job.name));
    // Its entry stays, and says why and when.
    expect(await indexEntriesOf(sub, rg, poison.name)).toEqual([`${iso(t0 + MS_OF.creating)}|CreatingExpiry`]);
    expect(await poisonEntry(poison)).toMatchObject({ Failures: 1, FailedAt: iso(due), RetryAfter: iso(due + HOUR), Failure: expect.stringMatching(/not valid/) });
    const refusedFirst = refusal.refused;
    expect(refusedFirst).toBe(2); // the transaction, then the job on its own

    // The next runs before the wait leave it alone: no request for it, no second notice.
    h.clock.set(new Date(due + 30 * MINUTE));
    const waiting = await sweep.run();
    expect(waiting).toMatchObject({ indexEntriesRead: 1, poisonWaiting: 1, jobsDeleted: 0, errors: [], poisoned: [] });
    expect(refusal.refused).toBe(refusedFirst);
    expect(await sent()).toEqual([]);

    // Past the wait it is tried again; still refused, it waits twice as long, operators already know.
    h.clock.set(new Date(due + HOUR + SECOND));
    const second = await sweep.run();
    expect(second.poisoned).toEqual([{ entry: entryKey, failures: 2, retryAfter: iso(due + HOUR + SECOND + 2 * HOUR), message: expect.any(String) }]);
    expect(refusal.refused).toBe(2 * refusedFirst); // tried once more: its transaction, then on its own
    expect(await sent()).toEqual([]);
    expect(await poisonEntry(poison)).toMatchObject({ Failures: 2, RetryAfter: iso(due + HOUR + SECOND + 2 * HOUR) });

    // Once the storage takes it, the next try deletes it like any other.
    refusal.lift();
    h.clock.set(new Date(due + 3 * HOUR + 2 * SECOND));
    const last = await sweep.run();
    expect(last).toMatchObject({ jobsDeleted: 1, errors: [], poisoned: [], poisonWaiting: 0 });
    expect(await getStatus(h.service, poison)).toBe(404);
    expect(await allIndexEntries()).toEqual([]);
    expect((await sent()).map((message) => [message.audience, message.kind])).toEqual([["customer", "JobDeletedCreatingExpired"]]);
  });

  test("a storage outage is not poison: the entry is retried next run, nobody is notified", async () => {
    const t0 = h.clock.now().getTime();
    const sub = newSubscriptionId();
    const [job] = await creatingJobs(sub, "outage-rg", 1);
    const { sweep, jobs } = buildSweep(h.clock);
    await sent();
    const down = jest.spyOn(jobs, "deleteMany").mockRejectedValue(ErrorFactory.storageUnavailable());

    h.clock.set(new Date(t0 + MS_OF.creating + SECOND));
    let report;
    try {
      report = await sweep.run();
    } finally {
      down.mockRestore();
    }

    expect(report).toMatchObject({ jobsDeleted: 0, poisoned: [], errors: [{ message: expect.stringMatching(/temporarily unavailable/) }] });
    expect(await sent()).toEqual([]);
    expect(await getStatus(h.service, job)).toBe(200);
    h.clock.set(new Date(t0 + MS_OF.creating + 2 * SECOND));
    expect(await sweep.run()).toMatchObject({ jobsDeleted: 1, poisonWaiting: 0 });
  });
});
