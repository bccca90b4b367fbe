/**
 * Helpers of the maintenance tests: a service with its own tables and queue (the sweep acts on
 * everything due in its index, so suites must not share one) on a TestClock, the admin endpoint
 * that runs the timer now, direct reads of the index, jobs and deleted-jobs tables, and an inbox
 * that drains the notification queue and keeps every message it saw.
 */
import { randomBytes } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { QueueClient } from "@azure/storage-queue";
import { createDeadlineIndex, getServices, getSettings } from "../../shared/service/app/composition";
import { MaintenanceReport } from "../../shared/service/app/timers";
import { Clock } from "../../shared/domain/clock";
import { Job } from "../../shared/domain/job";
import { jobBlobPrefix } from "../../shared/domain/log-blobs";
import { decodeQueueMessage, QueueMessage } from "../../shared/storage/notification-queue";
import { ArrivalsStore } from "../../shared/storage/arrivals.store";
import { createBlobServiceClient, createQueueServiceClient, createTableClient, createTableServiceClient } from "../../shared/storage/clients";
import { DeadlineIndex } from "../../shared/storage/deadline-index.store";
import { DeletedJobRecord, DeletedJobsStore } from "../../shared/storage/deleted-jobs.store";
import { JobsStore } from "../../shared/storage/jobs.store";
import { LogBlobStore } from "../../shared/storage/log-blobs.store";
import { NotificationQueue } from "../../shared/storage/notification-queue";
import { JobWriter } from "../../shared/service/operations/job-writer";
import { SweepService } from "../../shared/service/operations/sweep-service";
import { SubscriptionPurge } from "../../shared/service/operations/subscription-purge";
import { SubscriptionsStore } from "../../shared/storage/subscriptions.store";
import { lineLogger, silentLogger } from "../../shared/telemetry/log";
import { serviceMetrics } from "../../shared/telemetry/metrics";
import { call, importJobBody, RETURN_ADDRESS, startTestService, TestClock, TestService } from "../support/service";
import { api, createJob, jobUrl } from "../api/helpers";

export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Shrunk durations, each different so a rule reading the wrong one shows. */
export const DURATIONS = {
  CREATING_JOB_LIFETIME: "PT1H",
  SHIPPING_WAIT: "PT2H",
  SHIPPING_RESPONSE_WINDOW: "PT3H",
  FINISHED_JOB_RETENTION: "PT4H",
  RETURN_ADDRESS_WAIT: "PT5H",
  UNMATCHED_ARRIVAL_RETURN_AFTER: "PT6H",
  UNMATCHED_ARRIVAL_DESTROY_AFTER: "PT7H",
};
export const MS_OF = {
  creating: HOUR,
  shippingWait: 2 * HOUR,
  responseWindow: 3 * HOUR,
  retention: 4 * HOUR,
  returnAddressWait: 5 * HOUR,
  arrivalReturn: 6 * HOUR,
  arrivalDestroy: 7 * HOUR,
};
/** The job rules of DURATIONS, for job values written through a store directly. */
export const HARNESS_JOB_RULES = { creatingLifetimeMs: MS_OF.creating, shippingWaitMs: MS_OF.shippingWait, finishedRetentionMs: MS_OF.retention };

/** Table and queue names no other suite (or test) uses. */
export function uniqueStorageNames(): Record<string, string> {
  const suffix = randomBytes(5).toString("hex");
  return {
    JOBS_TABLE_NAME: `mjobs${suffix}`,
    ARRIVALS_TABLE_NAME: `marrivals${suffix}`,
    DEADLINES_TABLE_NAME: `mdeadlines${suffix}`,
    DELETED_JOBS_TABLE_NAME: `mdeleted${suffix}`,
    // The purge of deleted subscriptions acts on every subscription marked in it: one per suite too.
    SUBSCRIPTIONS_TABLE_NAME: `msubs${suffix}`,
    NOTIFICATIONS_QUEUE_NAME: `mnotices-${suffix}`,
  };
}

export interface MaintenanceHarness {
  service: TestService;
  clock: TestClock;
  inbox: Inbox;
  close(): Promise<void>;
}

/** A test service with its own storage, the shrunk durations and a TestClock (plus `extra` settings). */
export async function startMaintenanceService(extra: Record<string, string> = {}): Promise<MaintenanceHarness> {
  const clock = new TestClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const service = await startTestService({ ...uniqueStorageNames(), ...DURATIONS, ...extra }, undefined, clock);
  await getServices(); // creates the tables and the queue
  const inbox = new Inbox(queueClient());
  return { service, clock, inbox, close: () => service.close() };
}

/** `POST /admin/functions/MaintenanceSweep`: a sweep plus one reconciliation page, now. */
export async function runSweep(service: TestService): Promise<MaintenanceReport> {
  const response = await call(service, "POST", "/admin/functions/MaintenanceSweep");
  if (response.status !== 200) throw new Error(`sweep: ${response.status} ${JSON.stringify(response.body)}`);
  expect(response.body.name).toBe("MaintenanceSweep");
  return response.body.report as MaintenanceReport;
}

/** Sets the clock to `start + offsetMs` (never backwards) and sweeps. */
export async function sweepAt(harness: MaintenanceHarness, start: number, offsetMs: number): Promise<MaintenanceReport> {
  const target = start + offsetMs;
  if (target < harness.clock.now().getTime()) throw new Error("the test clock only moves forward");
  harness.clock.set(new Date(target));
  return runSweep(harness.service);
}

// ---- The notification queue ----

export class Inbox {
  /** Every message received so far, in order. */
  readonly all: QueueMessage[] = [];

  constructor(private readonly queue: QueueClient) {}

  /** Receives (and deletes) every message waiting; returns the new ones. */
  async drain(): Promise<QueueMessage[]> {
    const received: QueueMessage[] = [];
    for (;;) {
      const response = await this.queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
      if (response.receivedMessageItems.length === 0) break;
      for (const item of response.receivedMessageItems) {
        received.push(...decodeQueueMessage(item.messageText));
        await this.queue.deleteMessage(item.messageId, item.popReceipt);
      }
    }
    this.all.push(...received);
    return received;
  }

  /** The messages about one job (by subscription and name), after draining the queue. */
  async forJob(sub: string, name: string): Promise<QueueMessage[]> {
    await this.drain();
    return this.all.filter((message) => message.job?.subscriptionId === sub && message.job.name.toLowerCase() === name.toLowerCase());
  }

  /** Notices only, as [audience, kind] pairs. */
  async noticesForJob(sub: string, name: string): Promise<[string, string][]> {
    return (await this.forJob(sub, name)).filter((message) => message.type === "notice").map((message) => [message.audience, message.kind]);
  }

  async forArrival(arrivalId: string): Promise<QueueMessage[]> {
    await this.drain();
    return this.all.filter((message) => message.id.startsWith(`arrival|${arrivalId}|`));
  }
}

function queueClient(): QueueClient {
  const settings = getSettings();
  return createQueueServiceClient(settings).getQueueClient(settings.notificationsQueueName);
}

/** How many times each id was seen. */
export function countById(messages: QueueMessage[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of messages) counts.set(message.id, (counts.get(message.id) ?? 0) + 1);
  return counts;
}

// ---- Tables ----

export function table(name: string): TableClient {
  return createTableClient(getSettings(), name);
}

export function keysOf(sub: string, rg: string, name: string) {
  return { partitionKey: `${sub}:${rg}`.toLowerCase(), rowKey: name.toLowerCase() };
}

export interface IndexRow {
  table: string;
  partitionKey: string;
  rowKey: string;
}

/** Every index entry, across the index's day tables. */
export async function allIndexEntries(): Promise<IndexRow[]> {
  const prefix = getSettings().deadlinesTableName;
  const service = createTableServiceClient(getSettings());
  const rows: IndexRow[] = [];
  for await (const day of service.listTables()) {
    if (!day.name || !new RegExp(`^${prefix}\\d{8}$`).test(day.name)) continue;
    for await (const entity of table(day.name).listEntities()) {
      rows.push({ table: day.name, partitionKey: entity.partitionKey!, rowKey: entity.rowKey! });
    }
  }
  return rows;
}

/** The index entries of one job, as "<dueAt>|<kind>" (sorted). */
export async function indexEntriesOf(sub: string, rg: string, name: string): Promise<string[]> {
  const { partitionKey, rowKey } = keysOf(sub, rg, name);
  const suffix = `|job|${partitionKey}|${rowKey}`;
  return (await allIndexEntries())
    .filter((row) => row.rowKey.endsWith(suffix))
    .map((row) => row.rowKey.slice(0, -suffix.length))
    .sort();
}

export async function indexEntriesOfArrival(arrivalId: string): Promise<string[]> {
  const suffix = `|arrival|${arrivalId}`;
  return (await allIndexEntries())
    .filter((row) => row.rowKey.endsWith(suffix))
    .map((row) => row.rowKey.slice(0, -suffix.length))
    .sort();
}

export function jobsTableClient(): TableClient {
  return table(getSettings().jobsTableName);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function storedEntity(sub: string, rg: string, name: string): Promise<Record<string, any> | undefined> {
  const { partitionKey, rowKey } = keysOf(sub, rg, name);
  try {
    return await jobsTableClient().getEntity(partitionKey, rowKey);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

export async function storedJob(sub: string, rg: string, name: string): Promise<Job | undefined> {
  const entity = await storedEntity(sub, rg, name);
  return entity ? (JSON.parse(entity.Job) as Job) : undefined;
}

export async function deletedRecords(sub: string): Promise<DeletedJobRecord[]> {
  return (await getServices()).deletedJobs.list(sub, 100);
}

// ---- Blobs ----

function logsContainer() {
  const settings = getSettings();
  return createBlobServiceClient(settings).getContainerClient(settings.logsContainerName);
}

/** Writes a blob under the job's prefix (as an operator event would). */
export async function putJobBlob(job: Pick<Job, "key" | "diagnosticsPath">, relative: string): Promise<void> {
  const data = Buffer.from("log line\n");
  await logsContainer().getBlockBlobClient(`${jobBlobPrefix(job)}${relative}`).upload(data, data.length);
}

export async function jobBlobNames(job: Pick<Job, "key" | "diagnosticsPath">): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of logsContainer().listBlobsFlat({ prefix: jobBlobPrefix(job) })) names.push(blob.name);
  return names;
}

// ---- Jobs through the API ----

export interface JobRef {
  sub: string;
  rg: string;
  name: string;
}

export function keyOf(job: JobRef) {
  return { subscriptionId: job.sub, resourceGroup: job.rg, name: job.name };
}

/** Creates an import job (DRIVE01, DRIVE02) with a return address through the API. */
export async function createImportJob(service: TestService, job: JobRef): Promise<void> {
  await createJob(service, job.sub, job.rg, job.name, importJobBody(job.sub, { properties: { returnAddress: RETURN_ADDRESS } }));
}

export async function getStatus(service: TestService, job: JobRef): Promise<number> {
  return (await api(service, "GET", jobUrl(job.sub, job.rg, job.name))).status;
}

// ---- Building a sweep by hand (to put a fake in its way) ----

export interface SweepParts {
  jobs: JobsStore;
  /** Writes jobs as the service does: index entry first (without a history archive). */
  writer: JobWriter;
  index: DeadlineIndex;
  sweep: SweepService;
}

/**
 * The same SweepService the composition root builds, over the suite's storage, with the jobs store
 * given by `makeJobs` (to wrap it), an optional cap on the entries per run and where its records go (as text lines).
 */
export function buildSweep(clock: Clock, makeJobs?: (table: TableClient) => JobsStore, maxEntries?: number, log?: (line: string) => void): SweepParts {
  const settings = getSettings();
  const rules = settings.rules;
  const index = createDeadlineIndex(settings);
  const jobsTable = createTableClient(settings, settings.jobsTableName);
  const jobs = makeJobs ? makeJobs(jobsTable) : new JobsStore(jobsTable);
  const queue = new NotificationQueue(createQueueServiceClient(settings), settings.notificationsQueueName);
  const logger = log ? lineLogger(log) : silentLogger;
  const metrics = serviceMetrics();
  const writer = new JobWriter(jobs, index, queue, logger, metrics);
  const sweep = new SweepService(
    jobs,
    writer,
    new ArrivalsStore(createTableClient(settings, settings.arrivalsTableName)),
    index,
    new DeletedJobsStore(createTableClient(settings, settings.deletedJobsTableName)),
    new LogBlobStore(createBlobServiceClient(settings), settings.logsContainerName, settings.logSasLifetimeMs),
    queue,
    rules,
    clock,
    maxEntries ?? settings.sweepMaxEntries,
    logger,
    metrics,
  );
  return { jobs, writer, index, sweep };
}

/** The same SubscriptionPurge the composition root builds, over the suite's storage, removing at most `maxJobs` jobs a run. */
export function buildSubscriptionPurge(clock: Clock, maxJobs: number): SubscriptionPurge {
  const settings = getSettings();
  return new SubscriptionPurge(
    new SubscriptionsStore(createTableClient(settings, settings.subscriptionsTableName)),
    new JobsStore(createTableClient(settings, settings.jobsTableName)),
    createDeadlineIndex(settings),
    new DeletedJobsStore(createTableClient(settings, settings.deletedJobsTableName)),
    new LogBlobStore(createBlobServiceClient(settings), settings.logsContainerName, settings.logSasLifetimeMs),
    clock,
    silentLogger,
    maxJobs,
  );
}
