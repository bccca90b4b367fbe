/**
 * The expiry index, so a sweep reads only what is due instead of every job. It keeps *chained*
 * deadlines: every job with a pending deadline has at least one entry due at or before its earliest
 * one, and the job records that entry's due time (`IndexedDue`, see jobs.store.ts). A write needs a
 * new entry only when it brings a deadline earlier than the covering entry; the sweep, meeting an
 * entry whose job's next deadline is later, writes an entry there, records it on the job
 * (ETag-guarded), and only then drops the old one. Table Storage can't write a job and its index
 * entry in one transaction (different tables), so this follows the eventually-consistent pattern:
 *   - the entry is written *before* the job write that relies on it, so a crash can leave an
 *     extra entry but never a missing one;
 *   - the job is the truth: the sweep re-reads it and acts only if something is due, and drops
 *     entries that no longer match (stale);
 *   - a bounded reconciliation pass re-derives entries from jobs, page by page, to repair anything
 *     lost some other way.
 *
 * Layout: one table per UTC day of due time, `<prefix><yyyymmdd>`, so the entries due by now sit in
 * the tables of past days and today, and a sweep never reads a future deadline; a drained past day's
 * table is deleted whole (the cheap bulk delete). In a table, PartitionKey `s<n>` (a hash of the
 * subject) spreads the writes of a busy day, and RowKey `<dueAt ISO>|<kind>|<subject…>` makes "due
 * now" a key range. A subject's key part is bounded whatever the customer's strings: a deleted
 * job's blob prefix (up to its whole `diagnosticsPath`) travels in a `Prefix` column, the key
 * holding only a hash of it.
 *
 * An entry whose subject keeps failing records it on itself (`Failures`, `FailedAt`, `Failure`,
 * `RetryAfter`): the sweep leaves it alone until `RetryAfter` (see sweep-service.ts).
 */
import { createHash } from "node:crypto";
import { odata, TableClient, TableServiceClient, TransactionAction } from "@azure/data-tables";
import { Arrival } from "../domain/arrival";
import { arrivalDeadlines, BLOB_CLEANUP_GRACE_MS, Deadline, DeadlineKind, earliestDeadline, MaintenanceRules } from "../domain/deadlines";
import { Job } from "../domain/job";
import { partitionKeyOf, rowKeyOf, StoredJob } from "./jobs.store";
import { statusOf } from "./storage-errors";

export type IndexSubject =
  | { type: "job"; partitionKey: string; rowKey: string }
  | { type: "arrival"; id: string }
  /** The blobs of a deleted job: its table keys (to check it is gone) and its blob prefix. */
  | { type: "blobs"; partitionKey: string; rowKey: string; prefix: string };

export interface IndexEntry {
  table: string;
  shard: string;
  rowKey: string;
  kind: DeadlineKind;
  dueAt: string;
  subject: IndexSubject;
  /** How often acting on it failed, and when it may be tried again (see `recordFailure`). */
  failures?: number;
  retryAfter?: string;
}

/** What a sweep records on an entry it could not act on. */
export interface EntryFailure {
  failures: number;
  at: string;
  retryAfter: string;
  message: string;
}

/** The columns of an entry besides its keys (those a read asks for). */
interface EntryColumns {
  Prefix?: string | null;
  Failures?: number | null;
  RetryAfter?: string | null;
}

const ENTRY_COLUMNS = ["RowKey", "PartitionKey", "Prefix", "Failures", "RetryAfter"];

export interface IndexPage {
  entries: IndexEntry[];
  continuationToken?: string;
}

/** Transactions used, for the sweep's report. */
export interface TransactionCounter {
  transactions: number;
}

export interface IndexTables {
  service: TableServiceClient;
  client(tableName: string): TableClient;
}

const MAX_BATCH = 100;

export class DeadlineIndex {
  /** Day tables this process has created (or found), so each is created at most once. */
  private readonly knownTables = new Set<string>();
  private readonly clients = new Map<string, TableClient>();

  constructor(
    private readonly tables: IndexTables,
    private readonly prefix: string,
    private readonly shardCount: number,
    private readonly rules: MaintenanceRules,
  ) {}

  /**
   * Before `job` is written over `base`: the due time of an entry at or before the job's earliest
   * deadline, writing one at that deadline unless `base`'s covering entry already is. That entry is
   * relied on only while `base` had a deadline: once a job has none, the sweep drops its entry
   * without telling the job. Entries of deadlines the job no longer has are left for the sweep.
   */
  async cover(job: Job, base?: Pick<StoredJob, "job" | "indexedDue">, counter?: TransactionCounter): Promise<string | undefined> {
    const earliest = earliestDeadline(job, this.rules);
    if (!earliest) return undefined;
    const covering = base?.indexedDue && earliestDeadline(base.job, this.rules) ? base.indexedDue : undefined;
    if (covering && covering <= earliest.dueAt) return covering;
    await this.upsert([this.entryOf(earliest, jobSubject(job))], counter);
    return earliest.dueAt;
  }

  /** `cover` for new jobs in bulk, batched by table and partition. */
  async coverMany(jobs: Job[], counter?: TransactionCounter): Promise<(string | undefined)[]> {
    const earliest = jobs.map((job) => earliestDeadline(job, this.rules));
    await this.upsert(jobs.flatMap((job, i) => (earliest[i] ? [this.entryOf(earliest[i]!, jobSubject(job))] : [])), counter);
    return earliest.map((deadline) => deadline?.dueAt);
  }

  async ensureForArrival(arrival: Arrival, counter?: TransactionCounter): Promise<void> {
    await this.upsert(arrivalDeadlines(arrival, this.rules).map((deadline) => this.entryOf(deadline, { type: "arrival", id: arrival.id })), counter);
  }

  /**
   * Re-creates the entry each job relies on (idempotent), batched by table and partition: the
   * repair path. That is the entry its `IndexedDue` names if it is at or before the job's earliest
   * deadline (so later writes may go on relying on it), else one at that deadline.
   */
  async repairForJobs(jobs: { job: Job; indexedDue?: string }[], counter?: TransactionCounter): Promise<number> {
    const entries = jobs.flatMap(({ job, indexedDue }) => {
      const earliest = earliestDeadline(job, this.rules);
      if (!earliest) return [];
      const dueAt = indexedDue && indexedDue <= earliest.dueAt ? indexedDue : earliest.dueAt;
      return [this.entryOf({ kind: earliest.kind, dueAt }, jobSubject(job))];
    });
    await this.upsert(entries, counter);
    return entries.length;
  }

  /**
   * Before a job with blobs is deleted: an entry that brings a sweep back to its blobs, in case the
   * process stops after the job is gone and before its blobs are. Returns it, to drop once done.
   */
  async ensureBlobCleanup(job: Job, prefix: string, now: Date, counter?: TransactionCounter): Promise<IndexEntry> {
    const subject: IndexSubject = { type: "blobs", partitionKey: partitionKeyOf(job.key), rowKey: rowKeyOf(job.key), prefix };
    const entry = this.entryOf({ kind: "BlobCleanup", dueAt: new Date(now.getTime() + BLOB_CLEANUP_GRACE_MS).toISOString() }, subject);
    await this.upsert([entry], counter);
    return entry;
  }

  /** Removes the entries of deadlines a job no longer has, when the writer knows which they are. */
  async dropForJob(job: Job, deadlines: Deadline[], counter?: TransactionCounter): Promise<void> {
    await this.remove(deadlines.map((deadline) => this.entryOf(deadline, jobSubject(job))), counter);
  }

  /** The day tables that can hold entries due by `now`, oldest first (one listing call). */
  async dueTables(now: Date, counter?: TransactionCounter): Promise<string[]> {
    const today = dayOf(now.toISOString());
    const names: string[] = [];
    if (counter) counter.transactions++;
    const filter = odata`TableName ge ${`${this.prefix}0`} and TableName le ${`${this.prefix}${today}`}`;
    for await (const table of this.tables.service.listTables({ queryOptions: { filter } })) {
      const day = table.name?.slice(this.prefix.length) ?? "";
      if (/^\d{8}$/.test(day) && day <= today) names.push(table.name!);
    }
    return names.sort();
  }

  /** Every entry of every day table, due or not: for the invariant checker, never for a sweep. */
  async *allEntries(): AsyncIterable<IndexEntry> {
    const filter = odata`TableName ge ${`${this.prefix}0`} and TableName le ${`${this.prefix}99999999`}`;
    for await (const table of this.tables.service.listTables({ queryOptions: { filter } })) {
      if (!table.name || !/^\d{8}$/.test(table.name.slice(this.prefix.length))) continue;
      for await (const entity of this.client(table.name).listEntities<EntryColumns & { partitionKey: string; rowKey: string }>({ queryOptions: { select: ENTRY_COLUMNS } })) {
        const entry = parseEntry(table.name, entity.partitionKey, entity.rowKey, entity);
        if (entry) yield entry;
      }
    }
  }

  /** Entries of one day table due at or before `now`, oldest first within each partition. */
  async due(table: string, now: Date, top: number, continuationToken?: string): Promise<IndexPage> {
    // '|' sorts after every character of an ISO time, so this takes every entry due up to `now`.
    const filter = odata`RowKey le ${`${now.toISOString()}|~`}`;
    try {
      const pages = this.client(table)
        .listEntities({ queryOptions: { filter, select: ENTRY_COLUMNS } })
        .byPage({ maxPageSize: Math.min(top, 1000), continuationToken });
      const { value: page } = await pages.next();
      const entries: IndexEntry[] = [];
      for (const entity of (page ?? []) as (EntryColumns & { partitionKey: string; rowKey: string })[]) {
        const entry = parseEntry(table, entity.partitionKey, entity.rowKey, entity);
        if (entry) entries.push(entry);
      }
      return { entries, continuationToken: (page as { continuationToken?: string } | undefined)?.continuationToken };
    } catch (error) {
      if (statusOf(error) === 404) return { entries: [] }; // dropped by a concurrent sweep
      throw error;
    }
  }

  /** Whether `table` holds a day before `now`'s: every entry in it is due. */
  isPastDay(table: string, now: Date): boolean {
    return table.slice(this.prefix.length) < dayOf(now.toISOString());
  }

  /**
   * Deletes a past day's table whose entries a sweep has just worked off, all of them: the
   * high-volume delete pattern (one call instead of a transaction per partition). An entry written
   * into a past day since (a repair of an old deadline) is lost with it, and re-derived by the
   * reconciliation pass.
   */
  async dropTable(table: string): Promise<void> {
    try {
      await this.tables.service.deleteTable(table);
      this.knownTables.delete(table);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /** Deletes a past day's table once nothing is left in it: the whole day in one call. */
  async dropIfEmpty(table: string, now: Date, counter?: TransactionCounter): Promise<boolean> {
    if (!this.isPastDay(table, now)) return false;
    try {
      if (counter) counter.transactions += 2;
      const { value: page } = await this.client(table).listEntities({ queryOptions: { select: ["RowKey"] } }).byPage({ maxPageSize: 1 }).next();
      if (page && page.length > 0) return false;
      await this.tables.service.deleteTable(table);
      this.knownTables.delete(table);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return true;
      throw error;
    }
  }

  /** Deletes entries in batches of up to 100 per partition (one transaction each). */
  async remove(entries: IndexEntry[], counter?: TransactionCounter): Promise<void> {
    for (const batch of batchesByPartition(entries)) {
      const actions: TransactionAction[] = batch.map((entry) => ["delete", { partitionKey: entry.shard, rowKey: entry.rowKey }]);
      const client = this.client(batch[0].table);
      try {
        if (counter) counter.transactions++;
        await client.submitTransaction(actions);
      } catch (error) {
        // One entry already gone (another sweep took it) fails the whole batch: delete one by one.
        if (statusOf(error) !== 404) throw error;
        for (const entry of batch) {
          if (counter) counter.transactions++;
          await client.deleteEntity(entry.shard, entry.rowKey).catch((single) => {
            if (statusOf(single) !== 404) throw single;
          });
        }
      }
    }
  }

  /**
   * Records on `entry` that acting on its subject failed, and when to try again (a merge: the entry
   * keeps its keys and columns). False when the entry is gone meanwhile (nothing left to try).
   */
  async recordFailure(entry: IndexEntry, failure: EntryFailure, counter?: TransactionCounter): Promise<boolean> {
    if (counter) counter.transactions++;
    try {
      await this.client(entry.table).updateEntity(
        { partitionKey: entry.shard, rowKey: entry.rowKey, Failures: failure.failures, FailedAt: failure.at, Failure: failure.message, RetryAfter: failure.retryAfter },
        "Merge",
      );
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /** Where the reconciliation pass goes on from (kept beside the index, in its own small table). */
  async readCursor(): Promise<string | undefined> {
    try {
      await this.ensureTable(this.stateTable());
      const entity = await this.client(this.stateTable()).getEntity<{ Cursor: string }>("state", "reconcile");
      return entity.Cursor || undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async writeCursor(cursor: string | undefined): Promise<void> {
    await this.client(this.stateTable()).upsertEntity({ partitionKey: "state", rowKey: "reconcile", Cursor: cursor ?? "" }, "Replace");
  }

  entryOf(deadline: Deadline, subject: IndexSubject): IndexEntry {
    const text = subjectText(subject);
    const shard = `s${createHash("sha1").update(text).digest().readUInt32BE(0) % this.shardCount}`;
    return {
      table: `${this.prefix}${dayOf(deadline.dueAt)}`,
      shard,
      rowKey: `${deadline.dueAt}|${deadline.kind}|${text}`,
      kind: deadline.kind,
      dueAt: deadline.dueAt,
      subject,
    };
  }

  private stateTable(): string {
    return `${this.prefix}state`;
  }

  private client(table: string): TableClient {
    let client = this.clients.get(table);
    if (!client) {
      client = this.tables.client(table);
      this.clients.set(table, client);
    }
    return client;
  }

  private async ensureTable(table: string, counter?: TransactionCounter): Promise<void> {
    if (this.knownTables.has(table)) return;
    if (counter) counter.transactions++;
    try {
      await this.client(table).createTable();
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    this.knownTables.add(table);
  }

  private async upsert(entries: IndexEntry[], counter?: TransactionCounter): Promise<void> {
    for (const batch of batchesByPartition(entries)) {
      const table = batch[0].table;
      await this.ensureTable(table, counter);
      const entities = batch.map((entry) => ({
        partitionKey: entry.shard,
        rowKey: entry.rowKey,
        Kind: entry.kind,
        DueAt: new Date(entry.dueAt),
        ...(entry.subject.type === "blobs" ? { Prefix: entry.subject.prefix } : {}),
      }));
      // One entry (a customer's write, nearly always) is a plain upsert: the same one transaction,
      // without the batch's multipart body to build and parse. A merge, so an entry written again
      // keeps the failures a sweep recorded on it.
      const write = () =>
        entities.length === 1
          ? this.client(table).upsertEntity(entities[0], "Merge")
          : this.client(table).submitTransaction(entities.map((entity): TransactionAction => ["upsert", entity, "Merge"]));
      try {
        if (counter) counter.transactions++;
        await write();
      } catch (error) {
        // A sweep dropped this day's table meanwhile: create it again and write once more.
        if (statusOf(error) !== 404) throw error;
        this.knownTables.delete(table);
        await this.ensureTable(table, counter);
        await write();
      }
    }
  }
}

export function jobSubject(job: Pick<Job, "key">): IndexSubject {
  return { type: "job", partitionKey: partitionKeyOf(job.key), rowKey: rowKeyOf(job.key) };
}

function subjectText(subject: IndexSubject): string {
  if (subject.type === "job") return `job|${subject.partitionKey}|${subject.rowKey}`;
  if (subject.type === "arrival") return `arrival|${subject.id}`;
  // The prefix is as long as the job's diagnosticsPath makes it, and keys are 512 characters at
  // most: the key holds a hash of it ('~' marks one: base64url never has it), the Prefix column
  // the prefix itself. Entries written before carry the prefix in base64url here instead.
  return `blobs|${subject.partitionKey}|${subject.rowKey}|~${createHash("sha256").update(subject.prefix, "utf8").digest("base64url").slice(0, 22)}`;
}

/** "2026-11-23T10:00:00.000Z" → "20261123". */
function dayOf(isoTime: string): string {
  return isoTime.slice(0, 10).replace(/-/g, "");
}

/** An entry read back from its keys and columns; undefined for a key this service did not write. */
export function parseEntry(table: string, shard: string, rowKey: string, columns: EntryColumns = {}): IndexEntry | undefined {
  const subject = parseSubject(rowKey, columns);
  if (!subject) return undefined;
  const [dueAt, kind] = rowKey.split("|");
  return {
    table,
    shard,
    rowKey,
    kind: kind as DeadlineKind,
    dueAt,
    subject,
    ...(columns.Failures ? { failures: columns.Failures } : {}),
    ...(columns.RetryAfter ? { retryAfter: columns.RetryAfter } : {}),
  };
}

function parseSubject(rowKey: string, columns: EntryColumns): IndexSubject | undefined {
  const [, , type, ...rest] = rowKey.split("|");
  if (type === "job" && rest.length === 2) return { type: "job", partitionKey: rest[0], rowKey: rest[1] };
  if (type === "arrival" && rest.length === 1) return { type: "arrival", id: rest[0] };
  if (type === "blobs" && rest.length === 3) {
    const prefix = rest[2].startsWith("~") ? columns.Prefix : Buffer.from(rest[2], "base64url").toString("utf8");
    return prefix ? { type: "blobs", partitionKey: rest[0], rowKey: rest[1], prefix } : undefined;
  }
  return undefined;
}

function batchesByPartition(entries: IndexEntry[]): IndexEntry[][] {
  const groups = new Map<string, IndexEntry[]>();
  for (const entry of entries) {
    const key = `${entry.table}/${entry.shard}`;
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  const batches: IndexEntry[][] = [];
  for (const group of groups.values()) {
    for (let i = 0; i < group.length; i += MAX_BATCH) batches.push(group.slice(i, i + MAX_BATCH));
  }
  return batches;
}
