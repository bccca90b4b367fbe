/**
 * The composition root: settings are parsed, and storage clients and services built, once per
 * process and reused by every invocation. The entry file calls `getSettings()` at load time, so a
 * bad setting stops start-up with its name in the message.
 */
import { parseSettings, Settings } from "../config/settings";
import { Clock, systemClock } from "../domain/clock";
import { JobRules } from "../domain/job";
import { LocationCatalog } from "../domain/locations";
import { JobService } from "../jobs/job-service";
import { OperatorService } from "../jobs/operator-service";
import { ArrivalsStore } from "../storage/arrivals.store";
import { createBlobServiceClient, createTableClient } from "../storage/clients";
import { JobsStore } from "../storage/jobs.store";
import { loadLocationCatalog } from "../storage/locations.file";
import { BlobUrlSigner, LogBlobStore } from "../storage/log-blobs.store";
import { NotificationsStore } from "../storage/notifications.store";
import { translateStorageError } from "../storage/storage-errors";

export interface Services {
  settings: Settings;
  clock: Clock;
  locations: LocationCatalog;
  jobs: JobService;
  operator: OperatorService;
  notifications: NotificationsStore;
  /** Signs read-only URLs of log blobs for responses; local for key-based accounts. */
  blobUrls(): Promise<BlobUrlSigner>;
}

let settings: Settings | undefined;
let services: Promise<Services> | undefined;
let clock: Clock = systemClock;

export function getSettings(): Settings {
  settings ??= parseSettings(process.env);
  return settings;
}

export function getServices(): Promise<Services> {
  services ??= buildServices(getSettings(), clock).catch((error) => {
    services = undefined; // storage may be back next time; do not cache the failure
    throw translateStorageError(error);
  });
  return services;
}

async function buildServices(current: Settings, now: Clock): Promise<Services> {
  const locations = loadLocationCatalog(current.locationsFile);
  const timeout = current.storageTimeoutMs;
  const jobsTable = createTableClient(current, current.jobsTableName);
  const arrivalsTable = createTableClient(current, current.arrivalsTableName);
  const notificationsTable = createTableClient(current, current.notificationsTableName);
  const logs = new LogBlobStore(createBlobServiceClient(current), current.logsContainerName, current.logSasLifetimeMs, timeout);
  // Created once per process, before the first request, so a Get stays one storage transaction.
  const created = { abortSignal: AbortSignal.timeout(timeout) };
  await Promise.all([jobsTable.createTable(created), arrivalsTable.createTable(created), notificationsTable.createTable(created), logs.ensureContainer()]);

  const rules: JobRules = {
    creatingLifetimeMs: current.creatingLifetimeMs,
    shippingWaitMs: current.shippingWaitMs,
    finishedRetentionMs: current.finishedRetentionMs,
  };
  const jobsStore = new JobsStore(jobsTable, timeout);
  const arrivals = new ArrivalsStore(arrivalsTable, timeout);
  const notifications = new NotificationsStore(notificationsTable, timeout);
  return {
    settings: current,
    clock: now,
    locations,
    jobs: new JobService(jobsStore, arrivals, logs, locations, rules, now),
    operator: new OperatorService(jobsStore, arrivals, logs, notifications, rules, now),
    notifications,
    blobUrls: () => logs.signer(now.now()),
  };
}

/** For tests and the local host: forget the cached settings and services so the next call rebuilds. */
export function resetServices(testClock: Clock = systemClock): void {
  settings = undefined;
  services = undefined;
  clock = testClock;
}
