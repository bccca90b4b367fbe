/**
 * What one process of the service holds: its settings, the authenticator and the operations, built
 * once by the composition root (`app/composition.ts`). Declared here, below the API and the timers, so
 * that the hosts hand the services to the handlers (`armHandler`) rather than the handlers fetching
 * them from the composition root.
 */
import type { Authenticator } from "../auth/authenticator";
import type { SubscriptionThrottle } from "../auth/subscription-throttle";
import type { Settings } from "../../config/settings";
import type { Clock } from "../../domain/clock";
import type { Job } from "../../domain/job";
import type { LocationCatalog } from "../../domain/locations";
import type { LogUrlSigner } from "../../storage/customer-accounts";
import type { DeletedJobsStore } from "../../storage/deleted-jobs.store";
import type { NotificationQueue } from "../../storage/notification-queue";
import type { JobService } from "./job-service";
import type { OperatorService } from "./operator-service";
import type { SubscriptionPurge } from "./subscription-purge";
import type { SubscriptionService } from "./subscription-service";
import type { SweepService } from "./sweep-service";
import type { Logger } from "../../telemetry/log";
import type { ServiceMetrics } from "../../telemetry/metrics";

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
