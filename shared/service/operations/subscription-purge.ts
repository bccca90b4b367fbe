/**
 * The removal of a deleted subscription's jobs. When ARM says a subscription is `Deleted`, the ARM
 * RPC expects the provider to delete its resources itself (no DELETE comes for each). The
 * notification only marks the subscription (`SubscriptionService.notify`); each maintenance run then
 * removes up to `maxJobs` of the marked subscriptions' jobs (1,000 by default), so a subscription
 * with many jobs takes several runs and a run that stops half-way leaves the rest to the next: the
 * mark stays until a run finds nothing left.
 *
 * A job goes as the sweep's deletions go: an index entry for its blobs first (so a stop in between
 * still gets them), the entity (with its BitLocker keys) by an ETag-guarded batch delete, then its
 * record in the deletion log, then its blobs (log files and archived history). A job changed
 * meanwhile (an operator's event) stays for the next run, which reads it afresh.
 */
import { Clock } from "../../domain/clock";
import { jobBlobPrefix, jobHasBlobs } from "../../domain/log-blobs";
import { DeadlineIndex, IndexEntry } from "../../storage/deadline-index.store";
import { DeletedJobsStore } from "../../storage/deleted-jobs.store";
import { JobForRemoval, JobsStore } from "../../storage/jobs.store";
import { LogBlobStore } from "../../storage/log-blobs.store";
import { PurgeMark, SubscriptionsStore } from "../../storage/subscriptions.store";
import { REGISTRATION_CACHE_MS } from "./subscription-service";
import type { Logger } from "../../telemetry/log";

/** What the deletion log says of each job removed with its subscription. */
export const SUBSCRIPTION_DELETED_REASON = "Its subscription was deleted (ARM's subscription notification 'Deleted')";

/**
 * A subscription's mark goes only once its deletion is this old: a write authorized just before
 * the notification (on another instance, from a registration cached for up to
 * `REGISTRATION_CACHE_MS`) may land after a run found nothing left, and the next run removes it.
 */
export const PURGE_SETTLE_MS = 10 * REGISTRATION_CACHE_MS;

/** Jobs one maintenance run removes at most, by default (and marked subscriptions it looks at). */
const PURGE_JOBS_PER_RUN = 1_000;

/** Jobs read (and deleted) at once: one page of the subscription's key range. */
const PAGE_SIZE = 100;

export interface PurgeReport {
  /** Marked subscriptions looked at in this run. */
  subscriptionsPending: number;
  /** Marks dropped: nothing was left, or the subscription is no longer Deleted. */
  subscriptionsFinished: number;
  jobsRead: number;
  jobsDeleted: number;
  /** Jobs removed whose blobs are left to the sweep (their BlobCleanup entry), or can't be located. */
  blobsLeft: number;
  /** True when the run stopped at its bound with jobs left; the next run goes on. */
  truncated: boolean;
  errors: { subscriptionId: string; message: string }[];
}

export class SubscriptionPurge {
  constructor(
    private readonly subscriptions: SubscriptionsStore,
    private readonly jobs: JobsStore,
    private readonly index: DeadlineIndex,
    private readonly deletedJobs: DeletedJobsStore,
    private readonly logs: LogBlobStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly maxJobs: number = PURGE_JOBS_PER_RUN,
  ) {}

  async run(): Promise<PurgeReport> {
    const report: PurgeReport = { subscriptionsPending: 0, subscriptionsFinished: 0, jobsRead: 0, jobsDeleted: 0, blobsLeft: 0, truncated: false, errors: [] };
    for await (const mark of this.subscriptions.purgeMarks()) {
      // Marks count too: a flood of deleted subscriptions without jobs is worked off a share at a time.
      if (report.jobsRead >= this.maxJobs || report.subscriptionsPending >= this.maxJobs) {
        report.truncated = true;
        break;
      }
      report.subscriptionsPending++;
      try {
        await this.purge(mark, report);
      } catch (error) {
        // One subscription's failure (storage down, say) is reported; its mark stays for the next run.
        const message = error instanceof Error ? error.message : String(error);
        report.errors.push({ subscriptionId: mark.subscriptionId, message });
        this.log.warn(`subscription purge: ${mark.subscriptionId} left for the next run`, { subscriptionId: mark.subscriptionId, error });
      }
    }
    return report;
  }

  /** Removes the subscription's jobs, as many as the run's bound allows; drops the mark once none is left. */
  private async purge(mark: PurgeMark, report: PurgeReport): Promise<void> {
    // Read afresh, not from a cache: a subscription restored meanwhile keeps its jobs.
    const registration = (await this.subscriptions.get(mark.subscriptionId))?.registration;
    if (registration?.state !== "Deleted") {
      await this.subscriptions.dropPurgeMark(mark);
      report.subscriptionsFinished++;
      return;
    }
    let token: string | undefined;
    let jobsStayed = false;
    do {
      const page = await this.jobs.pageOfSubscription(mark.subscriptionId, Math.min(PAGE_SIZE, this.maxJobs - report.jobsRead), token);
      token = page.continuationToken;
      report.jobsRead += page.jobs.length;
      const deleted = await this.remove(page.jobs, report);
      if (deleted < page.jobs.length) jobsStayed = true;
    } while (token && report.jobsRead < this.maxJobs);
    if (token) {
      report.truncated = true;
      return;
    }
    const settled = this.clock.now().getTime() - Date.parse(registration.updatedAt) >= PURGE_SETTLE_MS;
    if (!jobsStayed && settled) {
      await this.subscriptions.dropPurgeMark(mark);
      report.subscriptionsFinished++;
    }
  }

  /** Deletes one page's jobs, partition by partition; returns how many were deleted. */
  private async remove(jobs: JobForRemoval[], report: PurgeReport): Promise<number> {
    const now = this.clock.now();
    const byPartition = new Map<string, JobForRemoval[]>();
    for (const job of jobs) byPartition.set(job.partitionKey, [...(byPartition.get(job.partitionKey) ?? []), job]);
    let deletedCount = 0;
    for (const [partitionKey, group] of byPartition) {
      const cleanups = new Map<JobForRemoval, IndexEntry>();
      for (const candidate of group) {
        if (candidate.job && jobHasBlobs(candidate.job)) cleanups.set(candidate, await this.index.ensureBlobCleanup(candidate.job, jobBlobPrefix(candidate.job), now));
      }
      const result = await this.jobs.deleteMany(partitionKey, group.map(({ rowKey, etag }) => ({ rowKey, etag })));
      const deleted = group.filter((candidate) => result.deleted.has(candidate.rowKey));
      if (deleted.length === 0) continue;
      deletedCount += deleted.length;
      report.jobsDeleted += deleted.length;
      await this.deletedJobs.recordMany(deleted.map((candidate) => ({ job: candidate.summary, reason: SUBSCRIPTION_DELETED_REASON })), now);
      for (const candidate of deleted) await this.removeBlobs(candidate, cleanups.get(candidate), report);
    }
    return deletedCount;
  }

  private async removeBlobs(candidate: JobForRemoval, cleanup: IndexEntry | undefined, report: PurgeReport): Promise<void> {
    if (!candidate.job) {
      // Its document can't be read, so where its blobs are (its diagnostics path) is unknown.
      report.blobsLeft++;
      this.log.warn(`subscription purge: ${candidate.partitionKey}/${candidate.rowKey} removed; its document was unreadable, so its blobs (if any) were not located`, { partitionKey: candidate.partitionKey, rowKey: candidate.rowKey });
      return;
    }
    if (!cleanup) return;
    try {
      await this.logs.deleteAll(jobBlobPrefix(candidate.job));
      await this.index.remove([cleanup]);
    } catch (error) {
      // The job is gone either way; its BlobCleanup entry brings a sweep back to the blobs.
      report.blobsLeft++;
      this.log.warn(`subscription purge: blobs of ${candidate.partitionKey}/${candidate.rowKey} left for a later sweep`, { partitionKey: candidate.partitionKey, rowKey: candidate.rowKey, error });
    }
  }
}
