/**
 * A subscription ARM says is `Deleted`: as the ARM RPC asks of a provider (no DELETE comes for each
 * resource), its jobs are removed, with their BitLocker keys and log blobs, and each is recorded in
 * the deletion log with the reason. The notification marks the subscription; maintenance runs remove
 * its jobs a bounded number at a time, so a subscription with many jobs takes several runs and a run
 * that stops half-way is taken up by the next.
 *
 * Regression (issue 20): a Deleted subscription's jobs, keys and logs were kept for ever.
 */
import { getSettings } from "../../shared/app/services";
import { DEV_TENANT, DEV_TOKENS } from "../../shared/auth/authenticator";
import { Job } from "../../shared/domain/job";
import { PURGE_SETTLE_MS, SUBSCRIPTION_DELETED_REASON } from "../../shared/jobs/subscription-purge";
import { JobsStore, partitionKeyOf, rowKeyOf } from "../../shared/storage/jobs.store";
import { API, call, importJobBody, jobPath, newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import { creatingJob, DAY } from "../support/fixtures";
import {
  buildSubscriptionPurge,
  createImportJob,
  deletedRecords,
  getStatus,
  jobBlobNames,
  jobsTableClient,
  MaintenanceHarness,
  putJobBlob,
  runSweep,
  startMaintenanceService,
  storedEntity,
  table,
} from "./helpers";

let h: MaintenanceHarness;
beforeAll(async () => {
  h = await startMaintenanceService();
});
afterAll(() => h.close());

async function notify(sub: string, state: string): Promise<void> {
  const response = await call(h.service, "PUT", `/subscriptions/${sub}?api-version=2.0`, { state, properties: { tenantId: DEV_TENANT } }, { authorization: `Bearer ${DEV_TOKENS.operator}` });
  expect(response.status).toBe(200);
}

/** A job of the dev tenant written straight to the table, with an error log blob when `withLogs`. */
async function plant(sub: string, rg: string, name: string, withLogs = false): Promise<Job> {
  const base = creatingJob(
    { subscriptionId: sub, resourceGroup: rg, name },
    { now: h.clock.now(), rules: { creatingLifetimeMs: 14 * DAY, shippingWaitMs: DAY, finishedRetentionMs: DAY }, definition: { returnAddress: RETURN_ADDRESS } },
  );
  const job: Job = { ...base, tenantId: DEV_TENANT, drives: withLogs ? base.drives.map((drive) => ({ ...drive, blobs: { errorLog: true } })) : base.drives };
  await new JobsStore(jobsTableClient()).insert(job);
  if (withLogs) await putJobBlob(job, "drives/DRIVE01/error.log");
  return job;
}

const stored = (sub: string, rg: string, name: string) => storedEntity(sub, rg, name);

/** Whether the subscription is marked for the removal of its jobs (its row in the subscriptions table's `purges` partition). */
async function marked(sub: string): Promise<boolean> {
  for await (const entity of table(getSettings().subscriptionsTableName).listEntities({ queryOptions: { filter: `PartitionKey eq 'purges'` } })) {
    if (entity.rowKey === sub.toLowerCase()) return true;
  }
  return false;
}

test("a maintenance run removes a Deleted subscription's jobs with their keys and log blobs, and records each with the reason", async () => {
  const sub = newSubscriptionId();
  const other = newSubscriptionId();
  await createImportJob(h.service, { sub, rg: "rg-a", name: "first" });
  await createImportJob(h.service, { sub, rg: "rg-b", name: "second" });
  const withLogs = await plant(sub, "rg-a", "with-logs", true);
  // Another subscription of the same tenant, with a job of the same name: untouched.
  await createImportJob(h.service, { sub: other, rg: "rg-a", name: "first" });
  expect(await jobBlobNames(withLogs)).toHaveLength(1);

  await notify(sub, "Deleted");
  expect(await getStatus(h.service, { sub, rg: "rg-a", name: "first" })).toBe(404);
  expect(await marked(sub)).toBe(true);

  const report = await runSweep(h.service);

  expect(report.subscriptions).toMatchObject({ jobsDeleted: 3, truncated: false, errors: [] });
  for (const [rg, name] of [["rg-a", "first"], ["rg-b", "second"], ["rg-a", "with-logs"]]) {
    // The entity held the job's BitLocker keys: gone with it.
    expect({ name, entity: await stored(sub, rg, name) }).toEqual({ name, entity: undefined });
  }
  expect(await jobBlobNames(withLogs)).toEqual([]);
  const records = await deletedRecords(sub);
  expect(records.map((record) => record.name).sort()).toEqual(["first", "second", "with-logs"]);
  for (const record of records) expect(record).toMatchObject({ subscriptionId: sub, state: "Creating", reason: SUBSCRIPTION_DELETED_REASON });
  expect(await getStatus(h.service, { sub: other, rg: "rg-a", name: "first" })).toBe(200);
  expect(await deletedRecords(other)).toEqual([]);
});

test("bounded and resumable: each run removes at most its share and the next goes on; the mark goes once nothing is left and the deletion has settled", async () => {
  const sub = newSubscriptionId();
  await notify(sub, "Registered");
  for (const [rg, name] of [["rg-a", "j1"], ["rg-a", "j2"], ["rg-a", "j3"], ["rg-b", "j4"], ["rg-c", "j5"]]) await plant(sub, rg, name);
  await notify(sub, "Deleted");
  const purge = buildSubscriptionPurge(h.clock, 2);

  const runs = [];
  for (let run = 0; run < 3; run++) runs.push(await purge.run());
  expect(runs.map((report) => [report.jobsDeleted, report.truncated])).toEqual([
    [2, true],
    [2, true],
    [1, false],
  ]);
  expect(await deletedRecords(sub)).toHaveLength(5);
  // Not settled yet: a write authorized (on another instance, from its cached registration) just
  // before the notification may still land. One such, late:
  expect(await marked(sub)).toBe(true);
  await plant(sub, "rg-d", "late");

  h.clock.set(new Date(h.clock.now().getTime() + PURGE_SETTLE_MS));
  const settled = await purge.run();
  expect(settled.jobsDeleted).toBe(1);
  expect(await stored(sub, "rg-d", "late")).toBeUndefined();
  expect(await deletedRecords(sub)).toHaveLength(6);
  // Nothing left, and settled: the mark is gone, so later runs don't look at this subscription.
  expect(await marked(sub)).toBe(false);
});

test("a subscription restored before its jobs were removed keeps them", async () => {
  const sub = newSubscriptionId();
  await createImportJob(h.service, { sub, rg: "rg-a", name: "kept" });
  await notify(sub, "Deleted");
  await notify(sub, "Registered");

  const report = await buildSubscriptionPurge(h.clock, 100).run();

  expect(report.jobsDeleted).toBe(0);
  expect(await getStatus(h.service, { sub, rg: "rg-a", name: "kept" })).toBe(200);
  expect(await deletedRecords(sub)).toEqual([]);
  expect(await marked(sub)).toBe(false);
});

test("a job whose document can't be read is removed too, recorded from its columns; the others are not held up", async () => {
  const sub = newSubscriptionId();
  await notify(sub, "Registered");
  const good = await plant(sub, "rg-a", "readable");
  await jobsTableClient().createEntity({
    partitionKey: partitionKeyOf({ subscriptionId: sub, resourceGroup: "rg-a" }),
    rowKey: rowKeyOf({ subscriptionId: sub, resourceGroup: "rg-a", name: "broken" }),
    SubscriptionId: sub,
    ResourceGroup: "rg-a",
    JobName: "broken",
    State: "Shipping",
    CreatedAt: new Date("2026-01-01T00:00:00Z"),
    Job: "{not json",
    BitLockerKeys: "{}",
  });
  await notify(sub, "Deleted");

  const report = await buildSubscriptionPurge(h.clock, 100).run();

  expect(report.jobsDeleted).toBe(2);
  expect(await stored(sub, "rg-a", "broken")).toBeUndefined();
  expect(await stored(sub, good.key.resourceGroup, good.key.name)).toBeUndefined();
  const records = await deletedRecords(sub);
  expect(records.find((record) => record.name === "broken")).toMatchObject({ resourceGroup: "rg-a", state: "Shipping", createdAt: "2026-01-01T00:00:00.000Z", reason: SUBSCRIPTION_DELETED_REASON });
});

test("the owner's calls on a Deleted subscription are 404 SubscriptionNotFound before and after its jobs go", async () => {
  const sub = newSubscriptionId();
  await createImportJob(h.service, { sub, rg: "rg-a", name: "gone" });
  await notify(sub, "Deleted");
  const path = `${jobPath(sub, "rg-a", "gone")}?${API}`;
  expect((await call(h.service, "GET", path)).body.error.code).toBe("SubscriptionNotFound");
  await runSweep(h.service);
  expect((await call(h.service, "GET", path)).body.error.code).toBe("SubscriptionNotFound");
  const put = await call(h.service, "PUT", path, importJobBody(sub));
  expect([put.status, put.body.error.code]).toEqual([404, "SubscriptionNotFound"]);
});
