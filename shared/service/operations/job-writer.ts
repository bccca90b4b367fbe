/**
 * The one place that says in which order a job's write reaches the stores. Each step is the one a
 * crash after it can afford:
 *
 *   1. the expiry-index entry, when the job now has a deadline earlier than the entry covering it
 *      (or none covers it): a crash leaves an extra entry, which the sweep drops, never a lost deadline;
 *   2. the history archive, with the older state changes the job stops carrying (see
 *      `domain/history.ts`): a crash leaves a chunk the job still carries too, never a lost entry;
 *   3. the job, with the ETag it was read with (a lost race throws `ConcurrencyError`);
 *   4. its messages, after the write that caused them. If the queue can't be reached they go into
 *      the job's outbox (a write in this same order, whose Outbox deadline brings the sweep back to
 *      send them): a customer's request never fails because a notification could not be queued.
 *      Every failure on the way is logged with its cause; messages that could not be kept either
 *      are logged as lost, one record each, naming the job and the message.
 *
 * The stores are plain adapters: none of them knows another. The sweep's own writes come through
 * here too; its messages ride in the outbox (see `sweep-service.ts`).
 */
import { OUTBOX_MAX_CHARS, boundHistory } from "../../domain/history";
import { Job } from "../../domain/job";
import { OutboundMessage } from "../../domain/messages";
import type { DeadlineIndex, TransactionCounter } from "../../storage/deadline-index.store";
import type { HistoryArchiveStore } from "../../storage/history-archive.store";
import { JobsStore, StoredJob } from "../../storage/jobs.store";
import type { NotificationQueue } from "../../storage/notification-queue";
import type { Logger } from "../../telemetry/log";
import type { ServiceMetrics } from "../../telemetry/metrics";

/** What a job's write asks of the expiry index. */
export type DeadlineCover = Pick<DeadlineIndex, "cover" | "coverMany">;

export interface ReplaceOptions {
  /** Whether an unmatched arrival names the job; by default as `base` had it. */
  arrivalWaiting?: boolean;
  /** Sent once the job is written (step 4). */
  messages?: OutboundMessage[];
}

export class JobWriter {
  constructor(
    private readonly jobs: JobsStore,
    private readonly index: DeadlineCover,
    private readonly queue: Pick<NotificationQueue, "publish">,
    private readonly log: Logger,
    private readonly metrics: ServiceMetrics,
    /** Without one, jobs keep their whole history. */
    private readonly historyArchive?: Pick<HistoryArchiveStore, "archive">,
  ) {}

  /** A new job: its index entry, then the job (`ConcurrencyError` if another request created it first), then its messages. */
  async insert(job: Job, messages: OutboundMessage[] = []): Promise<StoredJob> {
    const indexedDue = await this.index.cover(job);
    const written = await this.jobs.insert(job, indexedDue);
    await this.send(written, messages);
    return written;
  }

  /** Up to 100 new jobs of one partition (bulk loading): their index entries, then the jobs in one transaction. */
  async insertBatch(jobs: Job[]): Promise<void> {
    if (jobs.length === 0) return;
    await this.jobs.insertBatch(jobs, await this.index.coverMany(jobs));
  }

  /**
   * Replaces the job read as `base`, if it still has `base.etag`, in the order above. The index
   * entry `base` recorded carries over unless the job now needs an earlier one. Returns the job as
   * written (without the entries archived).
   */
  async replace(job: Job, base: StoredJob, options: ReplaceOptions = {}): Promise<StoredJob> {
    const indexedDue = await this.index.cover(job, base);
    const bounded = this.historyArchive && boundHistory(job);
    if (bounded) {
      await this.historyArchive!.archive(job, bounded.archive);
      job = bounded.job;
    }
    const written = await this.jobs.replace(job, base, { indexedDue, arrivalWaiting: options.arrivalWaiting ?? base.arrivalWaiting });
    await this.send(written, options.messages ?? []);
    return written;
  }

  /**
   * Writes an entry at the job's earliest deadline, then records it on the job (ETag-guarded, only
   * the bookkeeping column): the sweep chaining a job whose entry it is about to drop.
   */
  async chain(stored: StoredJob, counter?: TransactionCounter): Promise<StoredJob> {
    const indexedDue = await this.index.cover(stored.job, undefined, counter);
    if (counter) counter.transactions++;
    return this.jobs.mark(stored, { indexedDue });
  }

  private async send(written: StoredJob, messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    logStateChanges(this.log, messages);
    this.metrics.stateChanges(messages);
    try {
      await this.queue.publish(messages);
      return;
    } catch (error) {
      this.metrics.queuePublishFailed(messages.length, "request");
      this.log.warn(`The notification queue refused ${messages.length} message(s) of job '${written.job.key.name}'; they wait in its outbox for the sweep`, { ...jobFields(written), messages: messages.length, error });
    }
    const outbox = [...(written.job.outbox ?? []), ...messages];
    // A long outage must not grow the job past what it can store (see domain/history.ts).
    if (JSON.stringify(outbox).length > OUTBOX_MAX_CHARS) {
      this.lost(written, messages, "the job's outbox is full", undefined);
      return;
    }
    try {
      await this.replace({ ...written.job, outbox }, written);
    } catch (error) {
      // The job changed again meanwhile (its writer sends its own messages) or storage is down:
      // these messages are lost, which is the one window at-least-once delivery leaves open here.
      this.lost(written, messages, "the outbox write failed", error);
    }
  }

  private lost(written: StoredJob, messages: OutboundMessage[], why: string, error: unknown): void {
    for (const message of messages) {
      this.log.error(`Notification lost: ${why}, after the queue refused it`, { ...jobFields(written), messageId: message.id, kind: message.kind, audience: message.audience, error });
    }
  }
}

/**
 * One record per change of state of a job or a drive, with why (its message), where the write that
 * made it is logged: a job's story (and a drive that faulted, a copy that finished with errors) can
 * be read from the log alone.
 */
export function logStateChanges(log: Logger, messages: readonly OutboundMessage[]): void {
  for (const message of messages) {
    if (message.type !== "stateChanged") continue;
    const { subscriptionId, resourceGroup, name } = message.job;
    log.info(message.message, { event: "stateChanged", subject: message.driveId ? "drive" : "job", subscriptionId, resourceGroup, job: name, driveId: message.driveId, from: message.from ?? undefined, to: message.to });
  }
}

function jobFields({ job }: StoredJob) {
  return { subscriptionId: job.key.subscriptionId, resourceGroup: job.key.resourceGroup, job: job.key.name };
}
