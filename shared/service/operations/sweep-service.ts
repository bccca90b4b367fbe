/**
 * Scheduled maintenance. A sweep reads only the expiry index entries that are due, re-reads their
 * subjects (the truth), asks the domain what to do (`decideJobDeadline`, `decideArrivalDeadline`),
 * and writes with the ETag it read: a customer or operator who changed the job in between wins and
 * the sweep skips it. Notices go through the job's outbox, so a sweep killed midway leaves work the
 * next run finishes, and a notice is sent by the one sweep whose write won.
 *
 * The work is batched the way the tables are laid out: a page of due entries reads its jobs with a
 * range query per partition, deletes them with one ETag-guarded transaction per 100 of a partition,
 * records the deletions and queues the notices in bulk; a past day's index table that was worked off
 * whole is deleted whole instead of entry by entry.
 *
 * One bad subject never holds up the others: a transaction that fails is retried job by job, and
 * an entry whose subject fails for any reason but unreachable storage is *poisoned*: reported (the
 * run's report and log), recorded on the entry (how often, when, why), operators are told once, and
 * it is left alone until its next try, an hour later, then twice as long each time up to a day.
 */
import { Clock } from "../../domain/clock";
import { decideArrivalDeadline, decideJobDeadline, dueKind, earliestDeadline, jobDeadlines, JobDeadlineKind, ArrivalDeadlineKind, MaintenanceRules } from "../../domain/deadlines";
import { Job } from "../../domain/job";
import { jobBlobPrefix, jobHasBlobs } from "../../domain/log-blobs";
import { jobRef, OutboundMessage, stateChangeMessages, sweepFailureNotice } from "../../domain/messages";
import { ArrivalsStore } from "../../storage/arrivals.store";
import { DeadlineIndex, IndexEntry, IndexSubject, TransactionCounter } from "../../storage/deadline-index.store";
import { DeletedJobsStore } from "../../storage/deleted-jobs.store";
import { JobsStore, partitionKeyOf, rowKeyOf, StoredJob } from "../../storage/jobs.store";
import { LogBlobStore } from "../../storage/log-blobs.store";
import { NotificationQueue } from "../../storage/notification-queue";
import { ConcurrencyError, isStorageUnavailable } from "../../storage/storage-errors";
import type { Logger } from "../../telemetry/log";
import type { ServiceMetrics } from "../../telemetry/metrics";
import { redact } from "../../telemetry/redact";
import { JobWriter, logStateChanges } from "./job-writer";

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
  /** Stale entries a job still relied on: an entry at its next deadline was written first. */
  entriesChained: number;
  skippedChangedMeanwhile: number;
  /** Blobs of deleted jobs that a stopped delete had left behind. */
  orphanBlobsDeleted: number;
  transactions: number;
  byKind: Record<string, number>;
  errors: { entry: string; message: string }[];
  /** Entries that failed this run for a reason a retry won't soon fix: recorded, and tried again after `retryAfter`. */
  poisoned: PoisonedEntry[];
  /** Due entries left alone because an earlier failure's wait has not passed. */
  poisonWaiting: number;
  /** True when the run stopped at SWEEP_MAX_ENTRIES; the next run goes on. */
  truncated: boolean;
}

export interface PoisonedEntry {
  entry: string;
  /** Runs that have failed at it, this one included. */
  failures: number;
  retryAfter: string;
  message: string;
}

export interface ReconcileReport {
  jobsScanned: number;
  entriesWritten: number;
  transactions: number;
  /** Where the next pass starts; absent when this pass reached the end and starts over next time. */
  nextCursor?: string;
}

type EntryOutcome = "acted" | "stale" | "changed" | "deferred";

/** A job the sweep decided to delete, deleted with the others of its partition after the page. */
interface PendingDeletion {
  stored: StoredJob;
  reason: string;
  kind: JobDeadlineKind;
  notices: Parameters<NotificationQueue["publish"]>[0];
  /** Its due index entries in this page: the one decided on first, then any others of the job. */
  entries: IndexEntry[];
}

/** What the page's job reads found, by subject; taken by the first entry of each job. */
type PrefetchedJobs = Map<string, StoredJob | undefined>;

/** Reports an entry that failed; with the job when it was read. */
type FailureSink = (entry: IndexEntry, error: unknown, job?: Job) => void;

/** A poisoned entry waits this long before its next try, twice as long after each further failure… */
const POISON_FIRST_WAIT_MS = 3_600_000;
/** …up to this. */
const POISON_MAX_WAIT_MS = 24 * 3_600_000;
/** What a failure's message may take in the report, the entry and the notice. */
const MAX_FAILURE_MESSAGE_CHARS = 500;

/** Past days' index tables collect this many worked-off entries before removing them anyway. */
const MAX_DEFERRED_REMOVALS = 10_000;

/** How often the sweep re-reads a job whose write raced its re-chaining before leaving it to the next run. */
const MAX_RECHAIN_ATTEMPTS = 4;

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
    /** The sweep's job writes go through the one write order, as the API's do. */
    private readonly writer: JobWriter,
    private readonly arrivals: ArrivalsStore,
    private readonly index: DeadlineIndex,
    private readonly deletedJobs: DeletedJobsStore,
    private readonly logs: LogBlobStore,
    private readonly queue: NotificationQueue,
    private readonly rules: MaintenanceRules,
    private readonly clock: Clock,
    private readonly maxEntries: number,
    private readonly log: Logger,
    private readonly metrics: ServiceMetrics,
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
      entriesChained: 0,
      skippedChangedMeanwhile: 0,
      orphanBlobsDeleted: 0,
      transactions: 0,
      byKind: {},
      errors: [],
      poisoned: [],
      poisonWaiting: 0,
      truncated: false,
    };

    for (const table of await this.index.dueTables(now, counter)) {
      // Every entry of a past day's table is due: if all are worked off, the table goes in one call.
      const pastDay = this.index.isPastDay(table, now);
      let token: string | undefined;
      let drained = true;
      let everyEntryDone = true;
      let toRemove: IndexEntry[] = [];
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
        const done = await this.processPage(page.entries, now, report, counter);
        if (done.length < page.entries.length) everyEntryDone = false;
        toRemove.push(...done);
        if (!pastDay || !everyEntryDone || toRemove.length >= MAX_DEFERRED_REMOVALS) {
          await this.index.remove(toRemove, counter);
          toRemove = [];
        }
      } while (token);
      if (drained && pastDay && everyEntryDone) {
        counter.transactions++;
        await this.index.dropTable(table);
        continue;
      }
      await this.index.remove(toRemove, counter);
      // A past day with nothing left is dropped whole.
      if (drained && everyEntryDone) await this.index.dropIfEmpty(table, now, counter);
    }

    report.transactions = counter.transactions;
    report.durationMs = Date.now() - started;
    this.metrics.sweep(report);
    return report;
  }

  /**
   * Works off one page of due entries; returns those that are done with (acted on, or stale). Entries
   * are independent, so they are worked on together, bounded so a large backlog does not flood the
   * storage account; deletions wait for the end of the page, to go out in batches.
   */
  private async processPage(entries: IndexEntry[], now: Date, report: SweepReport, counter: TransactionCounter): Promise<IndexEntry[]> {
    const done: IndexEntry[] = [];
    // Poisoned entries wait out their time unread; they stay, so a past day's table stays too.
    const ready = entries.filter((entry) => !entry.retryAfter || entry.retryAfter <= now.toISOString());
    report.poisonWaiting += entries.length - ready.length;
    const prefetched = await this.readJobsOf(ready, report, counter);
    const deletions = new Map<string, PendingDeletion>();
    const poisoned: { entry: IndexEntry; error: unknown; job?: Job }[] = [];
    const settle = (entry: IndexEntry, outcome: EntryOutcome) => {
      if (outcome === "changed") report.skippedChangedMeanwhile++;
      else if (outcome !== "deferred") done.push(entry);
      if (outcome === "stale") report.staleEntriesDropped++;
    };
    const failed: FailureSink = (entry, error, job) => {
      // One bad subject is reported and skipped; its entry stays. Storage out of reach is tried
      // again next run; anything else is poison (recorded below).
      const message = failureMessage(error);
      report.errors.push({ entry: entry.rowKey, message });
      if (isStorageUnavailable(error) || error instanceof ConcurrencyError) this.log.warn(`sweep: skipped ${entry.rowKey}, tried again next run`, { entry: entry.rowKey, kind: entry.kind, error });
      else poisoned.push({ entry, error, job });
    };
    await forEachConcurrently(ready, SWEEP_CONCURRENCY, async (entry) => {
      try {
        settle(entry, await this.process(entry, now, report, counter, prefetched, deletions));
      } catch (error) {
        failed(entry, error);
      }
    });
    await this.deleteJobs([...deletions.values()], now, report, counter, settle, failed);
    await this.recordPoisoned(poisoned, now, report, counter);
    return done;
  }

  /**
   * Poisoned entries: each records its failure and its next try on itself, and is reported and
   * logged; operators are told about a subject the first time it fails.
   */
  private async recordPoisoned(poisoned: { entry: IndexEntry; error: unknown; job?: Job }[], now: Date, report: SweepReport, counter: TransactionCounter): Promise<void> {
    if (poisoned.length === 0) return;
    const notices: ReturnType<typeof sweepFailureNotice>[] = [];
    const noticed = new Set<string>();
    for (const { entry, error, job } of poisoned) {
      const failures = (entry.failures ?? 0) + 1;
      const retryAfter = new Date(now.getTime() + Math.min(POISON_FIRST_WAIT_MS * 2 ** (failures - 1), POISON_MAX_WAIT_MS)).toISOString();
      const message = failureMessage(error);
      report.poisoned.push({ entry: entry.rowKey, failures, retryAfter, message });
      this.log.warn(`sweep: ${entry.rowKey} failed ${failures} time(s), retried after ${retryAfter}`, { event: "sweepPoisoned", entry: entry.rowKey, kind: entry.kind, failures, retryAfter, error });
      try {
        await this.index.recordFailure(entry, { failures, at: now.toISOString(), retryAfter, message }, counter);
      } catch (recordError) {
        // Unrecorded, it is tried again next run, its count where it was; the run goes on.
        this.log.warn(`sweep: could not record the failure on ${entry.rowKey}`, { entry: entry.rowKey, error: recordError });
      }
      const subject = subjectKeyOf(entry.subject);
      if (failures > 1 || noticed.has(subject)) continue;
      noticed.add(subject);
      notices.push(
        sweepFailureNotice({
          deadline: { kind: entry.kind, dueAt: entry.dueAt, id: entry.rowKey },
          subject: describeSubject(entry.subject),
          job: job ? jobRef(job) : jobRefOf(entry.subject),
          message,
          retryAfter,
          at: now.toISOString(),
        }),
      );
    }
    if (notices.length === 0) return;
    try {
      await this.publish(notices, report, counter);
    } catch (error) {
      // The report and the log above still say it; the entry's record keeps the rest.
      this.log.error(`sweep: could not tell operators about ${notices.length} failing entries`, { notices: notices.length, error });
    }
  }

  /** The jobs the page's entries point at: one range read per job partition. */
  private async readJobsOf(entries: IndexEntry[], report: SweepReport, counter: TransactionCounter): Promise<PrefetchedJobs> {
    const byPartition = new Map<string, Set<string>>();
    for (const entry of entries) {
      if (entry.subject.type !== "job") continue;
      const { partitionKey, rowKey } = entry.subject;
      byPartition.set(partitionKey, (byPartition.get(partitionKey) ?? new Set()).add(rowKey));
    }
    const prefetched: PrefetchedJobs = new Map();
    await forEachConcurrently([...byPartition], SWEEP_CONCURRENCY, async ([partitionKey, rowKeys]) => {
      try {
        const read = await this.jobs.getMany(partitionKey, [...rowKeys]);
        counter.transactions += read.requests;
        report.entitiesRead += read.entitiesRead;
        for (const rowKey of rowKeys) prefetched.set(subjectKey(partitionKey, rowKey), read.jobs.get(rowKey));
      } catch (error) {
        // Left unread: each entry reads its own job, and reports its own failure.
        this.log.debug(`sweep: reading the jobs of ${partitionKey} together failed; each entry reads its own`, { partitionKey, error });
      }
    });
    return prefetched;
  }

  /**
   * Deletes the jobs decided on, partition by partition and the partitions together: ETag-guarded,
   * 100 to a transaction; then records the deletions, deletes blobs and sends the notices, in that
   * order, as one job at a time did.
   */
  private async deleteJobs(
    deletions: PendingDeletion[],
    now: Date,
    report: SweepReport,
    counter: TransactionCounter,
    settle: (entry: IndexEntry, outcome: EntryOutcome) => void,
    failed: FailureSink,
  ): Promise<void> {
    const byPartition = new Map<string, PendingDeletion[]>();
    for (const deletion of deletions) {
      const partitionKey = partitionKeyOf(deletion.stored.job.key);
      byPartition.set(partitionKey, [...(byPartition.get(partitionKey) ?? []), deletion]);
    }
    await forEachConcurrently([...byPartition], SWEEP_CONCURRENCY, async ([partitionKey, group]) => {
      let outcome: PartitionDeletes;
      try {
        outcome = await this.deletePartition(partitionKey, group, now, counter);
      } catch (error) {
        group.forEach((deletion) => deletion.entries.forEach((entry) => failed(entry, error, deletion.stored.job)));
        return;
      }
      const { deleted, failures } = outcome;
      for (const [deletion, error] of failures) deletion.entries.forEach((entry) => failed(entry, error, deletion.stored.job));
      // Changed meanwhile: its writer won; the entry stays and the next sweep re-checks the job.
      group
        .filter((deletion) => !deleted.includes(deletion) && !failures.has(deletion))
        .forEach((deletion) => deletion.entries.forEach((entry) => settle(entry, "changed")));
      for (const deletion of deleted) {
        report.jobsDeleted++;
        report.jobsActedOn++;
        report.byKind[deletion.kind] = (report.byKind[deletion.kind] ?? 0) + 1;
        // Any further entry of the job (an older deadline of the same kind) went with it.
        deletion.entries.forEach((entry, i) => settle(entry, i === 0 ? "acted" : "stale"));
      }
      if (deleted.length === 0) return;
      try {
        // Recorded once the delete has won: a job a writer changed meanwhile stays, unrecorded.
        counter.transactions += await this.deletedJobs.recordMany(
          deleted.map((deletion) => ({ job: deletion.stored.job, reason: deletion.reason })),
          now,
        );
        await this.publish(deleted.flatMap((deletion) => deletion.notices), report, counter);
      } catch (error) {
        // The jobs are gone, so their entries are done (a retry would find nothing); this is logged.
        const message = error instanceof Error ? error.message : String(error);
        report.errors.push({ entry: `deletions in ${partitionKey}`, message });
        this.log.error(`sweep: after deleting ${deleted.length} jobs of ${partitionKey}, recording them or their notices failed`, { partitionKey, jobs: deleted.length, error });
      }
    });
  }

  /**
   * Deletes one partition's jobs that still have their ETags, and their blobs. Returns those deleted
   * and those that failed (with why): a job that fails takes no other with it. Throws only when the
   * storage can't be reached at all.
   */
  private async deletePartition(partitionKey: string, group: PendingDeletion[], now: Date, counter: TransactionCounter): Promise<PartitionDeletes> {
    const failures = new Map<PendingDeletion, unknown>();
    // A job's blobs get their own entry first, so a stop after the job is gone still gets them.
    const cleanups = new Map<PendingDeletion, IndexEntry>();
    for (const deletion of group.filter((candidate) => jobHasBlobs(candidate.stored.job))) {
      try {
        cleanups.set(deletion, await this.index.ensureBlobCleanup(deletion.stored.job, jobBlobPrefix(deletion.stored.job), now, counter));
      } catch (error) {
        if (isStorageUnavailable(error)) throw error;
        failures.set(deletion, error); // kept, with its blobs, until it can be deleted with them
      }
    }
    const ready = group.filter((deletion) => !failures.has(deletion));
    const result = await this.jobs.deleteMany(
      partitionKey,
      ready.map((deletion) => ({ rowKey: rowKeyOf(deletion.stored.job.key), etag: deletion.stored.etag })),
    );
    counter.transactions += result.requests;
    for (const deletion of ready) {
      const error = result.failed.get(rowKeyOf(deletion.stored.job.key));
      if (error !== undefined) failures.set(deletion, error);
    }
    const deleted = ready.filter((deletion) => result.deleted.has(rowKeyOf(deletion.stored.job.key)));
    for (const deletion of deleted) {
      const cleanup = cleanups.get(deletion);
      if (!cleanup) continue;
      counter.transactions++;
      try {
        await this.logs.deleteAll(jobBlobPrefix(deletion.stored.job));
        await this.index.remove([cleanup], counter);
      } catch (error) {
        // The job is gone either way; its BlobCleanup entry brings a later sweep back to the blobs.
        this.log.warn(`sweep: blobs of ${partitionKey}/${rowKeyOf(deletion.stored.job.key)} left for a later sweep`, { partitionKey, job: rowKeyOf(deletion.stored.job.key), error });
      }
    }
    return { deleted, failures };
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

  private async process(
    entry: IndexEntry,
    now: Date,
    report: SweepReport,
    counter: TransactionCounter,
    prefetched: PrefetchedJobs,
    deletions: Map<string, PendingDeletion>,
  ): Promise<EntryOutcome> {
    if (entry.subject.type === "arrival") return this.processArrival(entry, entry.subject.id, now, report, counter);
    if (entry.subject.type === "blobs") return this.processBlobCleanup(entry, entry.subject, report, counter);

    const subject = subjectKey(entry.subject.partitionKey, entry.subject.rowKey);
    // A second entry of the same job joins the first one's deletion, or reads the job afresh.
    const pending = deletions.get(subject);
    if (pending) {
      pending.entries.push(entry);
      return "deferred";
    }
    let stored: StoredJob | undefined;
    if (prefetched.has(subject)) {
      stored = prefetched.get(subject);
      prefetched.delete(subject);
    } else {
      counter.transactions++;
      stored = await this.jobs.getByEntityKeys(entry.subject.partitionKey, entry.subject.rowKey);
      report.entitiesRead++;
    }
    if (!stored) return "stale";
    // The entry may stand for a later deadline of another kind (see dueKind).
    const kind = dueKind(stored.job, entry.kind as JobDeadlineKind, now, this.rules);
    const decision = decideJobDeadline(stored.job, kind, now, this.rules);

    if (decision.action === "skip") return this.rechain(entry, stored, report, counter);

    if (decision.action === "delete") {
      const joined = deletions.get(subject);
      if (joined) joined.entries.push(entry);
      else deletions.set(subject, { stored, reason: decision.reason, kind, notices: decision.notices, entries: [entry] });
      return "deferred";
    }
    // This entry is dropped once acted on; if the job relies on it, the write chains the next one.
    const base = releasing(stored, entry.dueAt);
    try {
      const before = stored.job;
      if (decision.job === before) {
        // Only the outbox is owed (a sweep died after its write): send it now. A writer in
        // between keeps the outbox, so this entry stays to bring the next sweep back to it.
        if (!(await this.sendOutbox(base, report, counter))) return "changed";
      } else {
        // State-change messages ride in the outbox too, so they survive a crash like the notices.
        const changes = stateChangeMessages(before, decision.job);
        const changed: Job = { ...decision.job, outbox: [...(decision.job.outbox ?? []), ...changes] };
        counter.transactions++;
        const written = await this.writer.replace(changed, base);
        logStateChanges(this.log, changes);
        this.metrics.stateChanges(changes);
        await this.sendOutbox(written, report, counter);
      }
    } catch (error) {
      if (error instanceof ConcurrencyError) return "changed";
      throw error;
    }
    report.jobsActedOn++;
    report.byKind[kind] = (report.byKind[kind] ?? 0) + 1;
    return "acted";
  }

  /**
   * An entry of a job with nothing due: dropped, but if it is the entry the job relies on and the
   * job still has a deadline, an entry at that deadline is written and recorded on the job first
   * (ETag-guarded; on a lost race the job is read again and the check redone).
   */
  private async rechain(entry: IndexEntry, stored: StoredJob, report: SweepReport, counter: TransactionCounter): Promise<EntryOutcome> {
    for (let attempt = 1; ; attempt++) {
      if (stored.indexedDue !== entry.dueAt || !earliestDeadline(stored.job, this.rules)) return "stale";
      try {
        await this.writer.chain(stored, counter);
        report.entriesChained++;
        return "stale";
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (attempt === MAX_RECHAIN_ATTEMPTS) return "changed";
      }
      counter.transactions++;
      report.entitiesRead++;
      const reread = await this.jobs.getByEntityKeys(partitionKeyOf(stored.job.key), rowKeyOf(stored.job.key));
      if (!reread) return "stale";
      stored = reread;
    }
  }

  /**
   * Sends the job's outbox, then clears it with the ETag of the write that filled it. Whether the
   * outbox was cleared (false: a writer got in between and the outbox stays).
   */
  private async sendOutbox(written: StoredJob, report: SweepReport, counter: TransactionCounter): Promise<boolean> {
    const job = written.job;
    const outbox = job.outbox ?? [];
    if (outbox.length === 0) return true;
    await this.publish(outbox, report, counter);
    counter.transactions++;
    const owed = jobDeadlines(job, this.rules).filter((deadline) => deadline.kind === "Outbox");
    // A writer in between keeps the outbox; the Outbox entry brings the next sweep back to it
    // (the messages' stable ids let consumers drop the repeat).
    try {
      // Its entry is dropped below; if the job relies on it, the clearing write chains the next one.
      await this.writer.replace({ ...job, outbox: undefined }, owed.length > 0 ? releasing(written, owed[0].dueAt) : written);
    } catch (error) {
      if (error instanceof ConcurrencyError) return false;
      throw error;
    }
    // Sent and cleared: its index entry would only be read and dropped as stale next time.
    await this.index.dropForJob(job, owed, counter);
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
    try {
      counter.transactions += await this.queue.publish(messages);
    } catch (error) {
      // Counted here; the caller decides what becomes of the messages, and logs it.
      this.metrics.queuePublishFailed(messages.length, "sweep");
      throw error;
    }
    report.noticesSent += messages.filter((message) => message.type === "notice").length;
  }
}

/** What deleting one partition's jobs came to. */
interface PartitionDeletes {
  deleted: PendingDeletion[];
  failures: Map<PendingDeletion, unknown>;
}

/** A failure as reported, recorded and sent: one line, bounded, with any secret (a SAS signature, a key) taken out. */
function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return redact(text)
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_FAILURE_MESSAGE_CHARS);
}

/** An index subject as operators read it. */
function describeSubject(subject: IndexSubject): string {
  if (subject.type === "arrival") return `unmatched arrival '${subject.id}'`;
  const [subscriptionId, resourceGroup] = splitPartitionKey(subject.partitionKey);
  const job = `job '${resourceGroup}/${subject.rowKey}' of subscription ${subscriptionId}`;
  return subject.type === "job" ? job : `the blobs of deleted ${job} (under '${subject.prefix}')`;
}

/** The job an entry names, from its keys (lower case, as stored) when the job itself was not read. */
function jobRefOf(subject: IndexSubject): OutboundMessage["job"] | undefined {
  if (subject.type === "arrival") return undefined;
  const [subscriptionId, resourceGroup] = splitPartitionKey(subject.partitionKey);
  return { subscriptionId, resourceGroup, name: subject.rowKey };
}

/** "<subscription>:<resource group>": subscription ids hold no ':'. */
function splitPartitionKey(partitionKey: string): [string, string] {
  const colon = partitionKey.indexOf(":");
  return [partitionKey.slice(0, colon), partitionKey.slice(colon + 1)];
}

function subjectKeyOf(subject: IndexSubject): string {
  if (subject.type === "arrival") return `arrival\n${subject.id}`;
  return subjectKey(subject.partitionKey, subject.rowKey);
}

/** `stored` as a base for a write after which the entry due at `dueAt` is dropped: not relied on. */
function releasing(stored: StoredJob, dueAt: string): StoredJob {
  return stored.indexedDue === dueAt ? { ...stored, indexedDue: undefined } : stored;
}

function subjectKey(partitionKey: string, rowKey: string): string {
  return `${partitionKey}\n${rowKey}`;
}
