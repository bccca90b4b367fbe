/**
 * Scheduled maintenance. A sweep reads only the expiry index entries that are due, re-reads each
 * subject (the truth), asks the domain what to do (`decideJobDeadline`, `decideArrivalDeadline`),
 * and writes with the ETag it read: a customer or operator who changed the job in between wins and
 * the sweep skips it. Processed and stale entries are deleted in batches. Notices go through the
 * job's outbox, so a sweep killed midway leaves work the next run finishes, and a notice is sent
 * by the one sweep whose write won.
 */
import { Clock } from "../domain/clock";
import { decideArrivalDeadline, decideJobDeadline, jobDeadlines, JobDeadlineKind, ArrivalDeadlineKind, MaintenanceRules } from "../domain/deadlines";
import { Job } from "../domain/job";
import { jobBlobPrefix, jobHasBlobs } from "../domain/log-blobs";
import { stateChangeMessages } from "../domain/messages";
import { ArrivalsStore } from "../storage/arrivals.store";
import { DeadlineIndex, IndexEntry, TransactionCounter } from "../storage/deadline-index.store";
import { DeletedJobsStore } from "../storage/deleted-jobs.store";
import { JobsStore } from "../storage/jobs.store";
import { LogBlobStore } from "../storage/log-blobs.store";
import { NotificationQueue } from "../storage/notification-queue";
import { ConcurrencyError } from "../storage/storage-errors";

export interface SweepReport {
  startedAt: string;
  durationMs: number;
  /** Index entries, jobs and arrivals read: the figure that must track what was due. */
  entitiesRead: number;
  indexEntriesRead: number;
  jobsActedOn: number;
  arrivalsActedOn: number;
  jobsDeleted: number;
  noticesSent: number;
  staleEntriesDropped: number;
  skippedChangedMeanwhile: number;
  /** Blobs of deleted jobs that a stopped delete had left behind. */
  orphanBlobsDeleted: number;
  transactions: number;
  byKind: Record<string, number>;
  errors: { entry: string; message: string }[];
  /** True when the run stopped at SWEEP_MAX_ENTRIES; the next run goes on. */
  truncated: boolean;
}

export interface ReconcileReport {
  jobsScanned: number;
  entriesWritten: number;
  transactions: number;
  /** Where the next pass starts; absent when this pass reached the end and starts over next time. */
  nextCursor?: string;
}

type EntryOutcome = "acted" | "stale" | "changed";

/** How many due entries one sweep works on at once. */
const SWEEP_CONCURRENCY = 16;

async function forEachConcurrently<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}


export class SweepService {
  constructor(
    private readonly jobs: JobsStore,
    private readonly arrivals: ArrivalsStore,
    private readonly index: DeadlineIndex,
    private readonly deletedJobs: DeletedJobsStore,
    private readonly logs: LogBlobStore,
    private readonly queue: NotificationQueue,
    private readonly rules: MaintenanceRules,
    private readonly clock: Clock,
    private readonly maxEntries: number,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async run(): Promise<SweepReport> {
    const started = Date.now();
    const now = this.clock.now();
    const counter: TransactionCounter = { transactions: 0 };
    const report: SweepReport = {
      startedAt: now.toISOString(),
      durationMs: 0,
      entitiesRead: 0,
      indexEntriesRead: 0,
      jobsActedOn: 0,
      arrivalsActedOn: 0,
      jobsDeleted: 0,
      noticesSent: 0,
      staleEntriesDropped: 0,
      skippedChangedMeanwhile: 0,
      orphanBlobsDeleted: 0,
      transactions: 0,
      byKind: {},
      errors: [],
      truncated: false,
    };

    for (const table of await this.index.dueTables(now, counter)) {
      let token: string | undefined;
      let drained = true;
      do {
        const remaining = this.maxEntries - report.indexEntriesRead;
        if (remaining <= 0) {
          report.truncated = true;
          drained = false;
          break;
        }
        counter.transactions++;
        const page = await this.index.due(table, now, remaining, token);
        token = page.continuationToken;
        report.indexEntriesRead += page.entries.length;
        report.entitiesRead += page.entries.length;
        const done: IndexEntry[] = [];
        // Entries are independent (each re-reads its own subject), so they are worked on together;
        // the bound keeps a large backlog from flooding the storage account.
        await forEachConcurrently(page.entries, SWEEP_CONCURRENCY, async (entry) => {
          try {
            const outcome = await this.process(entry, now, report, counter);
            if (outcome === "changed") report.skippedChangedMeanwhile++;
            else done.push(entry);
            if (outcome === "stale") report.staleEntriesDropped++;
          } catch (error) {
            // One bad subject is logged and skipped; its entry stays for the next run.
            const message = error instanceof Error ? error.message : String(error);
            report.errors.push({ entry: entry.rowKey, message });
            this.log(`sweep: skipped ${entry.rowKey}: ${message}`);
          }
        });
        if (done.length < page.entries.length) drained = false;
        await this.index.remove(done, counter);
      } while (token);
      // A past day with nothing left is dropped whole.
      if (drained) await this.index.dropIfEmpty(table, now, counter);
    }

    report.transactions = counter.transactions;
    report.durationMs = Date.now() - started;
    return report;
  }

  /**
   * Re-derives the index entries of one page of jobs, continuing from `cursor`: a bounded repair
   * for entries lost some way the write-index-first order does not cover.
   */
  async reconcile(pageSize: number): Promise<ReconcileReport> {
    const counter: TransactionCounter = { transactions: 3 }; // cursor read, page read, cursor write
    const page = await this.jobs.scan(pageSize, await this.index.readCursor());
    const entriesWritten = await this.index.repairForJobs(page.jobs, counter);
    await this.index.writeCursor(page.continuationToken);
    return { jobsScanned: page.jobs.length, entriesWritten, transactions: counter.transactions, nextCursor: page.continuationToken };
  }

  private async process(entry: IndexEntry, now: Date, report: SweepReport, counter: TransactionCounter): Promise<EntryOutcome> {
    if (entry.subject.type === "arrival") return this.processArrival(entry, entry.subject.id, now, report, counter);
    if (entry.subject.type === "blobs") return this.processBlobCleanup(entry, entry.subject, report, counter);

    counter.transactions++;
    const stored = await this.jobs.getByEntityKeys(entry.subject.partitionKey, entry.subject.rowKey);
    report.entitiesRead++;
    if (!stored) return "stale";
    const kind = entry.kind as JobDeadlineKind;
    const decision = decideJobDeadline(stored.job, kind, now, this.rules);

    if (decision.action === "skip") {
      // The job moved its deadline (an update, an extension, a changed setting) without a matching
      // entry yet: make sure the current one is indexed before this one is dropped.
      const current = jobDeadlines(stored.job, this.rules).find((deadline) => deadline.kind === kind);
      if (current && current.dueAt !== entry.dueAt) await this.index.repairForJob(stored.job, counter);
      return "stale";
    }

    try {
      if (decision.action === "delete") {
        const withBlobs = jobHasBlobs(stored.job);
        // The blobs' own entry first, so a stop after the job is gone still gets them deleted.
        const cleanup = withBlobs ? await this.index.ensureBlobCleanup(stored.job, jobBlobPrefix(stored.job), now, counter) : undefined;
        counter.transactions += 2;
        await this.jobs.delete(stored.job.key, stored.etag);
        // Recorded once the delete has won: a job a writer changed meanwhile stays, unrecorded.
        await this.deletedJobs.record(stored.job, decision.reason, now);
        report.jobsDeleted++;
        if (cleanup) {
          counter.transactions++;
          await this.logs.deleteAll(jobBlobPrefix(stored.job));
          await this.index.remove([cleanup], counter);
        }
        await this.publish(decision.notices, report, counter);
      } else {
        const before = stored.job;
        if (decision.job === before) {
          // Only the outbox is owed (a sweep died after its write): send it now. A writer in
          // between keeps the outbox, so this entry stays to bring the next sweep back to it.
          if (!(await this.sendOutbox(before, stored.etag, report, counter))) return "changed";
        } else {
          // State-change messages ride in the outbox too, so they survive a crash like the notices.
          const changed: Job = { ...decision.job, outbox: [...(decision.job.outbox ?? []), ...stateChangeMessages(before, decision.job)] };
          counter.transactions++;
          const etag = await this.jobs.replace(changed, stored.etag, before);
          await this.sendOutbox(changed, etag, report, counter);
        }
      }
    } catch (error) {
      if (error instanceof ConcurrencyError) return "changed";
      throw error;
    }
    report.jobsActedOn++;
    report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
    return "acted";
  }

  /** Sends the job's outbox, then clears it with the ETag of the write that filled it. */
  /** Whether the outbox was cleared (false: a writer got in between and the outbox stays). */
  private async sendOutbox(job: Job, etag: string, report: SweepReport, counter: TransactionCounter): Promise<boolean> {
    const outbox = job.outbox ?? [];
    if (outbox.length === 0) return true;
    await this.publish(outbox, report, counter);
    counter.transactions++;
    // A writer in between keeps the outbox; the Outbox entry brings the next sweep back to it
    // (the messages' stable ids let consumers drop the repeat).
    try {
      await this.jobs.replace({ ...job, outbox: undefined }, etag, job);
    } catch (error) {
      if (error instanceof ConcurrencyError) return false;
      throw error;
    }
    // Sent and cleared: its index entry would only be read and dropped as stale next time.
    await this.index.dropForJob(job, jobDeadlines(job, this.rules).filter((deadline) => deadline.kind === "Outbox"), counter);
    return true;
  }

  /**
   * A deleted job's blobs: gone with the job, unless the process stopped in between. If a job with
   * that blob prefix exists, the delete never happened and the blobs are its own.
   */
  private async processBlobCleanup(
    entry: IndexEntry,
    subject: { partitionKey: string; rowKey: string; prefix: string },
    report: SweepReport,
    counter: TransactionCounter,
  ): Promise<EntryOutcome> {
    counter.transactions++;
    const stored = await this.jobs.getByEntityKeys(subject.partitionKey, subject.rowKey);
    report.entitiesRead++;
    if (stored && jobBlobPrefix(stored.job) === subject.prefix) return "stale";
    counter.transactions++;
    const deleted = await this.logs.deleteAll(subject.prefix);
    report.orphanBlobsDeleted += deleted;
    report.byKind[entry.kind] = (report.byKind[entry.kind] ?? 0) + 1;
    return "acted";
  }

  private async processArrival(entry: IndexEntry, id: string, now: Date, report: SweepReport, counter: TransactionCounter): Promise<EntryOutcome> {
    counter.transactions++;
    const stored = await this.arrivals.getWithEtag(id);
    report.entitiesRead++;
    if (!stored) return "stale";
    const decision = decideArrivalDeadline(stored.arrival, entry.kind as ArrivalDeadlineKind, now, this.rules);
    if (decision.action === "skip") return "stale";
    try {
      counter.transactions++;
      // Written first: only the sweep whose write wins sends the notice.
      await this.arrivals.replace(decision.arrival, stored.etag);
    } catch (error) {
      if (error instanceof ConcurrencyError) return "changed";
      throw error;
    }
    await this.publish([decision.notice], report, counter);
    report.arrivalsActedOn++;
    report.byKind[entry.kind] = (report.byKind[entry.kind] ?? 0) + 1;
    return "acted";
  }

  private async publish(messages: Parameters<NotificationQueue["publish"]>[0], report: SweepReport, counter: TransactionCounter): Promise<void> {
    counter.transactions += messages.length;
    await this.queue.publish(messages);
    report.noticesSent += messages.filter((message) => message.type === "notice").length;
  }
}
