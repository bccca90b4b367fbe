/**
 * The composition root: settings are parsed, and storage clients and services built, once per
 * process and reused by every invocation. The entry file calls `getSettings()` at load time, so a
 * bad setting stops start-up with its name in the message.
 */
import { Authenticator } from "../auth/authenticator";
import { SubscriptionThrottle } from "../auth/subscription-throttle";
import { parseSettings, Settings } from "../config/settings";
import { Clock, systemClock } from "../domain/clock";
import { LocationCatalog } from "../domain/locations";
import { JobMessenger } from "../jobs/job-messenger";
import { JobService } from "../jobs/job-service";
import { OperatorService } from "../jobs/operator-service";
import { SubscriptionService } from "../jobs/subscription-service";
import { SubscriptionPurge } from "../jobs/subscription-purge";
import { SweepService } from "../jobs/sweep-service";
import { ArrivalsStore } from "../storage/arrivals.store";
import { appIdentityCredential, createBlobServiceClient, createCustomerAccounts, createQueueServiceClient, createTableClient, createTableServiceClient } from "../storage/clients";
import { DeadlineIndex } from "../storage/deadline-index.store";
import { DeletedJobsStore } from "../storage/deleted-jobs.store";
import { JobsStore } from "../storage/jobs.store";
import { loadLocationCatalog } from "../storage/locations.file";
import { LogBlobStore } from "../storage/log-blobs.store";
import { HistoryArchiveStore } from "../storage/history-archive.store";
import type { LogUrlSigner } from "../storage/customer-accounts";
import { CustomerAccountCheck } from "../jobs/customer-account-check";
import { AccountOwnership, ArmOwnership, LinkedAccessCheck, RegistryOwnership } from "../jobs/linked-access-check";
import { ArmOnBehalfOf } from "../auth/arm-on-behalf-of";
import type { CustomerAccounts } from "../storage/customer-accounts";
import type { Job } from "../domain/job";
import { NotificationQueue } from "../storage/notification-queue";
import { SubscriptionsStore } from "../storage/subscriptions.store";
import { contextualLogger, Logger } from "../telemetry/log";
import { serviceMetrics, ServiceMetrics } from "../telemetry/metrics";

export interface Services {
  settings: Settings;
  /** Writes to the logger of the invocation it is called in (its request, its timer run), else the process's. */
  log: Logger;
  /** The service's figures (no-ops unless OpenTelemetry is on, see shared/telemetry/). */
  metrics: ServiceMetrics;
  authenticator: Authenticator;
  /** Each subscription's request budget, per process (see subscription-throttle.ts). */
  throttle: SubscriptionThrottle;
  clock: Clock;
  locations: LocationCatalog;
  jobs: JobService;
  /** Which tenant each subscription belongs to, and ARM's notifications that say so. */
  subscriptions: SubscriptionService;
  operator: OperatorService;
  sweep: SweepService;
  /** Removes the jobs of subscriptions ARM said are Deleted, a bounded number each maintenance run. */
  subscriptionPurge: SubscriptionPurge;
  deletedJobs: DeletedJobsStore;
  notifications: NotificationQueue;
  /**
   * Signs read-only URLs of log blobs for responses (local for key-based accounts): the service's
   * own, and the copy agent's logs in the customer accounts of `jobs`.
   */
  blobUrls(jobs?: Job[]): Promise<LogUrlSigner>;
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
    throw error;
  });
  return services;
}

async function buildServices(current: Settings, now: Clock): Promise<Services> {
  const locations = loadLocationCatalog(current.locationsFile);
  const tables = {
    jobs: createTableClient(current, current.jobsTableName),
    arrivals: createTableClient(current, current.arrivalsTableName),
    deletedJobs: createTableClient(current, current.deletedJobsTableName),
    subscriptions: createTableClient(current, current.subscriptionsTableName),
  };
  const logs = new LogBlobStore(createBlobServiceClient(current), current.logsContainerName, current.logSasLifetimeMs);
  const customerAccounts = createCustomerAccounts(current);
  const queue = new NotificationQueue(createQueueServiceClient(current), current.notificationsQueueName);
  // Created once per process, before the first request, so a Get stays one storage transaction.
  await Promise.all([...Object.values(tables).map((table) => table.createTable()), logs.ensureContainer(), queue.ensureQueue()]);

  const rules = current.rules;
  const log = contextualLogger();
  // After telemetry started (the entry's first step), so the instruments are the registered provider's.
  const metrics = serviceMetrics();
  const index = createDeadlineIndex(current);
  const historyArchive = new HistoryArchiveStore(logs);
  const jobsStore = new JobsStore(tables.jobs, index, historyArchive);
  const arrivals = new ArrivalsStore(tables.arrivals);
  const deletedJobs = new DeletedJobsStore(tables.deletedJobs);
  const messenger = new JobMessenger(queue, jobsStore, log, metrics);
  const subscriptionsStore = new SubscriptionsStore(tables.subscriptions);
  const subscriptions = new SubscriptionService(subscriptionsStore, now, current.auth.mode === "dev");
  const linkedAccess = new LinkedAccessCheck(accountOwnership(current, subscriptions, customerAccounts), subscriptions);
  return {
    settings: current,
    log,
    metrics,
    authenticator: new Authenticator(current.auth, now),
    throttle: new SubscriptionThrottle(current.throttle, now),
    clock: now,
    locations,
    jobs: new JobService(jobsStore, arrivals, logs, messenger, index, locations, rules, now, subscriptions, linkedAccess, log, new CustomerAccountCheck(customerAccounts, { probe: current.customerAccounts.check, timeoutMs: current.storageTimeoutMs })),
    subscriptions,
    operator: new OperatorService(jobsStore, arrivals, logs, messenger, index, rules, now, linkedAccess, log, historyArchive),
    sweep: new SweepService(jobsStore, arrivals, index, deletedJobs, logs, queue, rules, now, current.sweepMaxEntries, log, metrics),
    subscriptionPurge: new SubscriptionPurge(subscriptionsStore, jobsStore, index, deletedJobs, logs, now, log),
    deletedJobs,
    notifications: queue,
    blobUrls: async (jobs = []) => {
      const at = now.now();
      const [service, copyLog] = await Promise.all([logs.signer(at), customerAccounts.copyLogSigner(jobs, at)]);
      return Object.assign((blobName: string) => service(blobName), { copyLog });
    },
  };
}

/** Who owns a customer's account: the account registry, or ARM's answer for the caller (see linked-access-check.ts). */
function accountOwnership(current: Settings, subscriptions: SubscriptionService, customerAccounts: CustomerAccounts): AccountOwnership {
  if (current.linkedAccess.kind === "registry") {
    return new RegistryOwnership(current.customerAccounts.subscriptions, subscriptions, (accountName) => customerAccounts.knows(accountName));
  }
  const { clientId, armEndpoint, authorityHost } = current.linkedAccess;
  return new ArmOwnership(new ArmOnBehalfOf({ clientId, armEndpoint, authorityHost, appIdentity: appIdentityCredential(current), timeoutMs: current.storageTimeoutMs }));
}

/** The expiry index over its day tables (see deadline-index.store.ts). */
export function createDeadlineIndex(current: Settings): DeadlineIndex {
  const tables = { service: createTableServiceClient(current), client: (name: string) => createTableClient(current, name) };
  return new DeadlineIndex(tables, current.deadlinesTableName, current.deadlineIndexShards, current.rules);
}

/** For tests and the local host: forget the cached settings and services so the next call rebuilds. */
export function resetServices(testClock: Clock = systemClock): void {
  settings = undefined;
  services = undefined;
  clock = testClock;
}
