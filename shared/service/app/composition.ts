/**
 * The composition root: settings are parsed, and storage clients and services built, once per
 * process and reused by every invocation. The entry file calls `getSettings()` at load time, so a
 * bad setting stops start-up with its name in the message.
 */
import { Authenticator } from "../auth/authenticator";
import { SubscriptionThrottle } from "../auth/subscription-throttle";
import { parseSettings, Settings } from "../../config/settings";
import { Clock, systemClock } from "../../domain/clock";
import { JobWriter } from "../operations/job-writer";
import { JobService } from "../operations/job-service";
import { OperatorService } from "../operations/operator-service";
import { SubscriptionService } from "../operations/subscription-service";
import { SubscriptionPurge } from "../operations/subscription-purge";
import { SweepService } from "../operations/sweep-service";
import type { Services } from "../operations/services";
import { ArrivalsStore } from "../../storage/arrivals.store";
import { appIdentityCredential, createBlobServiceClient, createCustomerAccounts, createQueueServiceClient, createTableClient, createTableServiceClient } from "../../storage/clients";
import { DeadlineIndex } from "../../storage/deadline-index.store";
import { DeletedJobsStore } from "../../storage/deleted-jobs.store";
import { JobsStore } from "../../storage/jobs.store";
import { loadLocationCatalog } from "../../storage/locations.file";
import { LogBlobStore } from "../../storage/log-blobs.store";
import { HistoryArchiveStore } from "../../storage/history-archive.store";
import { CustomerAccountCheck } from "../operations/customer-account-check";
import { AccountOwnership, ArmOwnership, LinkedAccessCheck, RegistryOwnership } from "../operations/linked-access-check";
import { ArmOnBehalfOf } from "../auth/arm-on-behalf-of";
import type { CustomerAccounts } from "../../storage/customer-accounts";
import { NotificationQueue } from "../../storage/notification-queue";
import { SubscriptionsStore } from "../../storage/subscriptions.store";
import { contextualLogger } from "../../telemetry/log";
import { serviceMetrics } from "../../telemetry/metrics";

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
  const jobsStore = new JobsStore(tables.jobs);
  const writer = new JobWriter(jobsStore, index, queue, log, metrics, historyArchive);
  const arrivals = new ArrivalsStore(tables.arrivals);
  const deletedJobs = new DeletedJobsStore(tables.deletedJobs);
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
    jobs: new JobService(jobsStore, arrivals, logs, writer, index, locations, rules, now, subscriptions, linkedAccess, log, new CustomerAccountCheck(customerAccounts, { probe: current.customerAccounts.check, timeoutMs: current.storageTimeoutMs })),
    subscriptions,
    operator: new OperatorService(jobsStore, arrivals, logs, writer, index, rules, now, linkedAccess, log, historyArchive),
    sweep: new SweepService(jobsStore, writer, arrivals, index, deletedJobs, logs, queue, rules, now, current.sweepMaxEntries, log, metrics),
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
