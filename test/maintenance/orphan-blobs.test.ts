/**
 * A deleted job's blobs: the delete writes a BlobCleanup index entry before the job goes, so if the
 * process stops after the job is deleted and before its blobs are, a later sweep deletes them; and
 * if the job's delete never happened, the sweep leaves the live job's blobs alone.
 */
import { createDeadlineIndex, getServices, getSettings } from "../../shared/service/app/composition";
import { DEV_TENANT } from "../../shared/service/auth/authenticator";
import { ErrorFactory } from "../../shared/domain/errors";
import { Job } from "../../shared/domain/job";
import { jobBlobPrefix } from "../../shared/domain/log-blobs";
import { JobsStore, partitionKeyOf, rowKeyOf } from "../../shared/storage/jobs.store";
import { BlobServiceClient } from "@azure/storage-blob";
import { HistoryArchiveStore } from "../../shared/storage/history-archive.store";
import { LogBlobStore } from "../../shared/storage/log-blobs.store";
import { API, call, jobPath, newSubscriptionId, RETURN_ADDRESS } from "../support/service";
import { creatingJob, DAY } from "../support/fixtures";
import { jobBlobNames, jobsTableClient, MaintenanceHarness, MINUTE, putJobBlob, startMaintenanceService, sweepAt } from "./helpers";

let h: MaintenanceHarness;
beforeAll(async () => {
  h = await startMaintenanceService();
  await getServices();
});
afterAll(() => h.close());

function jobWithLogs(name: string, at: number): Job {
  const job = creatingJob(
    { subscriptionId: newSubscriptionId(), resourceGroup: "orphans-rg", name },
    { now: new Date(at), rules: { creatingLifetimeMs: 14 * DAY, shippingWaitMs: DAY, finishedRetentionMs: DAY }, definition: { returnAddress: RETURN_ADDRESS } },
  );
  return { ...job, drives: job.drives.map((drive) => ({ ...drive, blobs: { errorLog: true } })) };
}

test("blobs left by a delete that stopped half-way are deleted by the next sweep after the grace", async () => {
  const t0 = h.clock.now().getTime();
  const job = jobWithLogs("stopped-delete", t0);
  await putJobBlob(job, "drives/DRIVE01/error.log");
  const index = createDeadlineIndex(getSettings());
  // The delete's first step, then the "crash": the job is gone, its blobs are not.
  await index.ensureBlobCleanup(job, jobBlobPrefix(job), new Date(t0));
  expect(await jobBlobNames(job)).toHaveLength(1);

  const early = await sweepAt(h, t0, 5 * MINUTE);
  expect(early.sweep.orphanBlobsDeleted).toBe(0);

  const report = await sweepAt(h, t0, 11 * MINUTE);

  expect(report.sweep.byKind.BlobCleanup).toBe(1);
  expect(report.sweep.orphanBlobsDeleted).toBe(1);
  expect(await jobBlobNames(job)).toEqual([]);
});

test("a cleanup entry for a job whose delete never happened leaves its blobs alone", async () => {
  const t0 = h.clock.now().getTime();
  const job = jobWithLogs("still-here", t0);
  await putJobBlob(job, "drives/DRIVE01/error.log");
  // The job exists (its delete lost an ETag race, say) while its cleanup entry is due.
  await jobsTableClient().createEntity({ partitionKey: partitionKeyOf(job.key), rowKey: rowKeyOf(job.key), Job: JSON.stringify(job), BitLockerKeys: "{}", State: job.state, TenantId: "" });
  await createDeadlineIndex(getSettings()).ensureBlobCleanup(job, jobBlobPrefix(job), new Date(t0));

  const report = await sweepAt(h, t0, 11 * MINUTE);

  expect(report.sweep.orphanBlobsDeleted).toBe(0);
  expect(report.sweep.staleEntriesDropped).toBeGreaterThanOrEqual(1);
  expect(await jobBlobNames(job)).toHaveLength(1);
});

// Regression: DELETE answered "503, retry" when the blob store failed after the job was deleted;
// the retry then got a 404 for a delete that had happened.
test("a delete whose blob store is down answers 200; the job is gone and a later sweep deletes its blobs", async () => {
  const t0 = h.clock.now().getTime();
  const job = { ...jobWithLogs("blobs-down", t0), tenantId: DEV_TENANT };
  await new JobsStore(jobsTableClient()).insert(job);
  await putJobBlob(job, "drives/DRIVE01/error.log");
  const path = `${jobPath(job.key.subscriptionId, job.key.resourceGroup, job.key.name)}?${API}`;

  const blobsDown = jest.spyOn(LogBlobStore.prototype, "deleteAll").mockRejectedValue(ErrorFactory.storageUnavailable());
  let deleted;
  let blobDeletesTried;
  try {
    deleted = await call(h.service, "DELETE", path);
    blobDeletesTried = blobsDown.mock.calls.length;
  } finally {
    blobsDown.mockRestore();
  }

  expect(deleted.status).toBe(200);
  expect(blobDeletesTried).toBe(1);
  expect((await call(h.service, "GET", path)).status).toBe(404);
  expect(await jobBlobNames(job)).toHaveLength(1);
  const report = await sweepAt(h, t0, 11 * MINUTE);
  expect(report.sweep.orphanBlobsDeleted).toBe(1);
  expect(await jobBlobNames(job)).toEqual([]);
});

test("a job's archived history goes with it: deleting a job that has only history blobs deletes them", async () => {
  const t0 = h.clock.now().getTime();
  const base = jobWithLogs("archived-history", t0);
  const job: Job = { ...base, drives: base.drives.map(({ blobs: _blobs, ...drive }) => drive), historyArchived: 1, tenantId: DEV_TENANT };
  const settings = getSettings();
  const logs = new LogBlobStore(BlobServiceClient.fromConnectionString(process.env.TEST_STORAGE_CONNECTION_STRING!), settings.logsContainerName, settings.logSasLifetimeMs);
  await new HistoryArchiveStore(logs).archive(job, { firstSequence: 0, entries: base.history });
  await new JobsStore(jobsTableClient()).insert(job);
  expect(await jobBlobNames(job)).toEqual([`${jobBlobPrefix(job)}history/0000000000-0000000001.json`]);

  const deleted = await call(h.service, "DELETE", `${jobPath(job.key.subscriptionId, job.key.resourceGroup, job.key.name)}?${API}`);
  expect(deleted.status).toBe(200);
  expect(await jobBlobNames(job)).toEqual([]);
});
