/**
 * The expiry index: one entity per deadline, keyed by due time, so a sweep reads only what is due
 * instead of every job. Table Storage can't write a job and its index entry in one transaction
 * (different tables), so this follows the eventually-consistent pattern:
 *   - the entry is written *before* the job write that sets the deadline, so a crash can leave an
 *     extra entry but never a missing one;
 *   - the job is the truth: the sweep re-reads it and acts only if it is still due, and drops
 *     entries that no longer match (stale);
 *   - a bounded reconciliation pass re-derives entries from jobs, page by page, to repair anything
 *     lost some other way.
 * Keys: PartitionKey "d<shard>" (a hash of the subject spreads writes over a few partitions),
 * RowKey "<dueAt ISO>|<kind>|<subject…>", so "due now" is a key range in each shard.
 */
import { createHash } from "node:crypto";
import { TableClient, TransactionAction, odata } from "@azure/data-tables";
import { Arrival } from "../domain/arrival";
import { arrivalDeadlines, Deadline, DeadlineKind, jobDeadlines, MaintenanceRules } from "../domain/deadlines";
import { Job } from "../domain/job";
import { partitionKeyOf, rowKeyOf } from "./jobs.store";
import { statusOf, translateStorageError } from "./storage-errors";

export type IndexSubject = { type: "job"; partitionKey: string; rowKey: string } | { type: "arrival"; id: string };

export interface IndexEntry {
  shard: string;
  rowKey: string;
  kind: DeadlineKind;
  dueAt: string;
  subject: IndexSubject;
}

export interface IndexPage {
  entries: IndexEntry[];
  continuationToken?: string;
}

/** Transactions used, for the sweep's report. */
export interface TransactionCounter {
  transactions: number;
}

const MAX_BATCH = 100;

export class DeadlineIndex {
  constructor(
    private readonly table: TableClient,
    private readonly shardCount: number,
    private readonly rules: MaintenanceRules,
    private readonly timeoutMs: number,
  ) {}

  shards(): string[] {
    return Array.from({ length: this.shardCount }, (_, i) => `d${i}`);
  }

  /**
   * Writes the index entries `job` needs that `previous` did not have, before the job itself is
   * written. Entries of deadlines the job no longer has are left for the sweep to drop.
   */
  async ensureForJob(job: Job, previous?: Job, counter?: TransactionCounter): Promise<void> {
    const before = new Set((previous ? jobDeadlines(previous, this.rules) : []).map(deadlineKey));
    const added = jobDeadlines(job, this.rules).filter((deadline) => !before.has(deadlineKey(deadline)));
    await this.upsert(added.map((deadline) => entryOf(deadline, jobSubject(job), this.shardCount)), counter);
  }

  async ensureForArrival(arrival: Arrival, counter?: TransactionCounter): Promise<void> {
    await this.upsert(arrivalDeadlines(arrival, this.rules).map((deadline) => entryOf(deadline, { type: "arrival", id: arrival.id }, this.shardCount)), counter);
  }

  /**
   * Re-creates the entries the jobs' current deadlines need (idempotent), batched by shard: the
   * repair path, and bulk loading.
   */
  async repairForJobs(jobs: Job[], counter?: TransactionCounter): Promise<number> {
    const entries = jobs.flatMap((job) => jobDeadlines(job, this.rules).map((deadline) => entryOf(deadline, jobSubject(job), this.shardCount)));
    await this.upsert(entries, counter);
    return entries.length;
  }

  async repairForJob(job: Job, counter?: TransactionCounter): Promise<number> {
    return this.repairForJobs([job], counter);
  }

  /** Removes the entries of deadlines a job no longer has, when the writer knows which they are. */
  async dropForJob(job: Job, deadlines: Deadline[], counter?: TransactionCounter): Promise<void> {
    await this.remove(deadlines.map((deadline) => entryOf(deadline, jobSubject(job), this.shardCount)), counter);
  }

  /** Where the reconciliation pass goes on from (kept beside the index, outside its shards). */
  async readCursor(): Promise<string | undefined> {
    try {
      const entity = await this.table.getEntity<{ Cursor: string }>("state", "reconcile", { abortSignal: AbortSignal.timeout(this.timeoutMs) });
      return entity.Cursor || undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw translateStorageError(error);
    }
  }

  async writeCursor(cursor: string | undefined): Promise<void> {
    try {
      await this.table.upsertEntity({ partitionKey: "state", rowKey: "reconcile", Cursor: cursor ?? "" }, "Replace", { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  /** Entries of one shard due at or before `now`, oldest first. */
  async due(shard: string, now: Date, top: number, continuationToken?: string): Promise<IndexPage> {
    // '|' sorts after every character of an ISO time, so this takes every entry due up to `now`.
    const filter = odata`PartitionKey eq ${shard} and RowKey le ${`${now.toISOString()}|~`}`;
    try {
      const pages = this.table
        .listEntities<{ Kind: string }>({ queryOptions: { filter, select: ["RowKey", "PartitionKey"] }, abortSignal: AbortSignal.timeout(this.timeoutMs) })
        .byPage({ maxPageSize: Math.min(top, 1000), continuationToken });
      const { value: page } = await pages.next();
      const entries: IndexEntry[] = [];
      for (const entity of (page ?? []) as { partitionKey: string; rowKey: string }[]) {
        const entry = parseEntry(entity.partitionKey, entity.rowKey);
        if (entry) entries.push(entry);
      }
      return { entries, continuationToken: (page as { continuationToken?: string } | undefined)?.continuationToken };
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  /** Deletes entries in batches of up to 100 per partition (one transaction each). */
  async remove(entries: IndexEntry[], counter?: TransactionCounter): Promise<void> {
    for (const batch of batchesByShard(entries)) {
      const actions: TransactionAction[] = batch.map((entry) => ["delete", { partitionKey: entry.shard, rowKey: entry.rowKey }]);
      try {
        if (counter) counter.transactions++;
        await this.table.submitTransaction(actions, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        // One entry already gone (another sweep took it) fails the whole batch: delete one by one.
        if (statusOf(error) !== 404) throw translateStorageError(error);
        for (const entry of batch) {
          if (counter) counter.transactions++;
          await this.table.deleteEntity(entry.shard, entry.rowKey).catch((single) => {
            if (statusOf(single) !== 404) throw translateStorageError(single);
          });
        }
      }
    }
  }

  private async upsert(entries: IndexEntry[], counter?: TransactionCounter): Promise<void> {
    for (const batch of batchesByShard(entries)) {
      const actions: TransactionAction[] = batch.map((entry) => [
        "upsert",
        { partitionKey: entry.shard, rowKey: entry.rowKey, Kind: entry.kind, DueAt: new Date(entry.dueAt) },
        "Replace",
      ]);
      try {
        if (counter) counter.transactions++;
        await this.table.submitTransaction(actions, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
      } catch (error) {
        throw translateStorageError(error);
      }
    }
  }
}

export function jobSubject(job: Pick<Job, "key">): IndexSubject {
  return { type: "job", partitionKey: partitionKeyOf(job.key), rowKey: rowKeyOf(job.key) };
}

function subjectText(subject: IndexSubject): string {
  return subject.type === "job" ? `job|${subject.partitionKey}|${subject.rowKey}` : `arrival|${subject.id}`;
}

function entryOf(deadline: Deadline, subject: IndexSubject, shardCount: number): IndexEntry {
  const text = subjectText(subject);
  const shard = `d${createHash("sha1").update(text).digest().readUInt32BE(0) % shardCount}`;
  return { shard, rowKey: `${deadline.dueAt}|${deadline.kind}|${text}`, kind: deadline.kind, dueAt: deadline.dueAt, subject };
}

export function parseEntry(shard: string, rowKey: string): IndexEntry | undefined {
  const [dueAt, kind, type, ...rest] = rowKey.split("|");
  if (type === "job" && rest.length === 2) {
    return { shard, rowKey, kind: kind as DeadlineKind, dueAt, subject: { type: "job", partitionKey: rest[0], rowKey: rest[1] } };
  }
  if (type === "arrival" && rest.length === 1) return { shard, rowKey, kind: kind as DeadlineKind, dueAt, subject: { type: "arrival", id: rest[0] } };
  return undefined;
}

function deadlineKey(deadline: Deadline): string {
  return `${deadline.kind}|${deadline.dueAt}`;
}

function batchesByShard(entries: IndexEntry[]): IndexEntry[][] {
  const byShard = new Map<string, IndexEntry[]>();
  for (const entry of entries) byShard.set(entry.shard, [...(byShard.get(entry.shard) ?? []), entry]);
  const batches: IndexEntry[][] = [];
  for (const group of byShard.values()) {
    for (let i = 0; i < group.length; i += MAX_BATCH) batches.push(group.slice(i, i + MAX_BATCH));
  }
  return batches;
}
