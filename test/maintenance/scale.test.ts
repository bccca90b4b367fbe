/**
 * The sweep's cost follows what is due, not how many jobs there are: 2,000 jobs whose deadlines are
 * not due and 20 that are, seeded straight through JobWriter.insertBatch (which writes the jobs'
 * index entries first, as the API's writes do), then one sweep through the admin endpoint.
 */
import { Job } from "../../shared/domain/job";
import { getSettings } from "../../shared/service/app/composition";
import { newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import { creatingJob } from "../support/fixtures";
import { allIndexEntries, buildSweep, deletedRecords, HARNESS_JOB_RULES, HOUR, MaintenanceHarness, MINUTE, runSweep, SECOND, startMaintenanceService, table } from "./helpers";

const NOT_DUE = 2_000;
const DUE = 20;
const RG = "scale-rg";

let h: MaintenanceHarness;
beforeAll(async () => {
  h = await startMaintenanceService({ RECONCILE_PAGE_SIZE: "50" });
});
afterAll(() => h.close());

function jobValue(sub: string, name: string, at: number): Job {
  return creatingJob({ subscriptionId: sub, resourceGroup: RG, name }, { now: new Date(at), rules: HARNESS_JOB_RULES, definition: { returnAddress: RETURN_ADDRESS } });
}

async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

test(`a sweep over ${NOT_DUE} jobs not due and ${DUE} due reads only what is due, and acts on every due job`, async () => {
  const t0 = h.clock.now().getTime();
  const sub = newSubscriptionId();
  const { writer } = buildSweep(h.clock);
  // Due: created at t0, so past CREATING_JOB_LIFETIME (PT1H) at t0 + 1h + 1s. Not due: created 50 minutes later.
  const due = Array.from({ length: DUE }, (_, i) => jobValue(sub, `due-${i}`, t0));
  const notDue = Array.from({ length: NOT_DUE }, (_, i) => jobValue(sub, `later-${i}`, t0 + 50 * MINUTE));
  // insertBatch: up to 100 jobs of one partition per transaction, their index entries written first.
  const batches: Job[][] = [];
  for (const group of [due, notDue]) for (let i = 0; i < group.length; i += 100) batches.push(group.slice(i, i + 100));
  await inParallel(batches, 4, (batch) => writer.insertBatch(batch));
  expect(await allIndexEntries()).toHaveLength(NOT_DUE + DUE);

  h.clock.set(new Date(t0 + HOUR + SECOND));
  const { sweep } = await runSweep(h.service);

  // Each due entry costs two reads: the index entry itself and the job it points to. Nothing else
  // is read (no stale entries in this suite's fresh index), so entitiesRead is exactly 2 × due;
  // the bound allows 20% for stale entries a real index would carry, and is far below NOT_DUE.
  expect(sweep.indexEntriesRead).toBe(DUE);
  expect(sweep.entitiesRead).toBe(2 * DUE);
  expect(sweep.entitiesRead).toBeLessThanOrEqual(1.2 * DUE * 2);
  // Storage transactions too track the due work (a handful per deleted job plus one query and one
  // batch delete per shard), not the jobs table.
  expect(sweep.transactions).toBeLessThanOrEqual(10 * DUE);
  expect(sweep).toMatchObject({ jobsActedOn: DUE, jobsDeleted: DUE, noticesSent: DUE, byKind: { CreatingExpiry: DUE }, errors: [], truncated: false });

  // Every due job is gone and recorded; every other job is still there, with its index entry.
  const names = new Set<string>();
  for await (const entity of table(getSettings().jobsTableName).listEntities({ queryOptions: { select: ["RowKey"] } })) names.add(entity.rowKey!);
  expect(names.size).toBe(NOT_DUE);
  for (const job of due) expect(names.has(job.key.name)).toBe(false);
  expect((await deletedRecords(sub)).map((record) => record.name).sort()).toEqual(due.map((job) => job.key.name).sort());
  expect(await allIndexEntries()).toHaveLength(NOT_DUE);
  const notices = (await h.inbox.drain()).filter((message) => message.type === "notice");
  expect(notices.map((message) => message.job?.name).sort()).toEqual(due.map((job) => job.key.name).sort());
});
