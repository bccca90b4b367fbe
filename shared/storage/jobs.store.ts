/**
 * The jobs table adapter. Speaks in domain `Job` values and converts to and from table entities in
 * one place. Keys (see docs/storage-design.md):
 *   PartitionKey = "<subscriptionId>:<resourceGroup>"  (lower case: ARM names are case-insensitive)
 *   RowKey       = "<jobName>"                          (lower case)
 * so Get is one point read, a resource group is one partition and a subscription a key range, and a
 * busy subscription spreads over its resource groups. Every write carries the entity's ETag.
 */
import { odata, TableClient, TableEntity, TableEntityResult, TransactionAction } from "@azure/data-tables";
import { ErrorFactory } from "../domain/errors";
import { boundHistory, HistoryChunk } from "../domain/history";
import { Job, JobKey } from "../domain/job";
import { JobFilter } from "../domain/job-filter";
import { JobState } from "../domain/job-state-machine";
import type { RecordedJob } from "./deleted-jobs.store";
import { ConcurrencyError, isNotFound, isStorageUnavailable, statusOf } from "./storage-errors";
import { deleteAllIfUnchanged, MAX_TRANSACTION_OPERATIONS, readEntity } from "./table-rest";

/**
 * A job as read or written, with the bookkeeping columns that are not part of its document (and
 * never reach a customer): which index entry covers its deadlines, and whether a package addressed
 * to it waits at the desk. A write carries the read it is based on, so both survive every write.
 */
export interface StoredJob {
  job: Job;
  etag: string;
  /**
   * The due time of an expiry-index entry of this job at or before its earliest pending deadline
   * (see deadline-index.store.ts): while the job has a deadline, that entry exists.
   */
  indexedDue?: string;
  /** An unmatched arrival names this job: marking it Shipping looks the arrival up. */
  arrivalWaiting?: boolean;
}

export interface JobScope {
  subscriptionId: string;
  resourceGroup?: string;
}

/** The operators' cross-subscription views of the jobs that need a person. */
export type OperatorJobView = "attention" | "faulted" | "overdue" | "returnAddress";

export interface OperatorJobQuery {
  view?: OperatorJobView;
  states?: JobState[];
  now: Date;
}

/** Jobs of one partition read together, with what the reading cost. */
export interface JobsRead {
  /** By row key; a key with no job is absent. */
  jobs: Map<string, StoredJob>;
  entitiesRead: number;
  requests: number;
}

/** A job's table keys. */
export interface TableKeys {
  partitionKey: string;
  rowKey: string;
}

/** Where a list resumes: after the job with these keys, or at a table continuation token. */
export type JobsContinuation = { after: TableKeys } | { tableToken: string };

/** How big a page of a list may be: at most `top` jobs, and no more than `maxBytes` of them (see `query`). */
export interface PageLimits {
  top: number;
  maxBytes: number;
}

export interface JobPage {
  jobs: Job[];
  /** The storage ETag of each job, in the same order (a customer's list shows each job's ETag). */
  etags: string[];
  /** Absent when the list is known to be over. */
  next?: JobsContinuation;
}

/** A job as the removal of a deleted subscription's jobs reads it. */
export interface JobForRemoval {
  partitionKey: string;
  rowKey: string;
  etag: string;
  /** What the deletion log records, from the filter columns when the document can't be read. */
  summary: RecordedJob;
  /** The document, which says where the job's blobs are; undefined when it can't be read. */
  job?: Job;
}

/** The table columns of one job. Filterable fields are columns; the rest is one JSON document. */
interface JobEntity {
  partitionKey: string;
  rowKey: string;
  SubscriptionId: string;
  ResourceGroup: string;
  JobName: string;
  State: string;
  JobType: string;
  Location: string;
  CreatedAt: Date;
  StateChangedAt: Date;
  /** While Shipping: when the package is overdue (the operators' "overdue" view). */
  ShippingDueAt?: Date;
  HasFaultedDrive: boolean;
  ReturnAddressProblem: boolean;
  CancelRequested: boolean;
  /** Who created the job (Job.tenantId): a record, not an access rule. */
  TenantId?: string;
  /** StoredJob.indexedDue, an ISO time. */
  IndexedDue?: string;
  /** StoredJob.arrivalWaiting. */
  ArrivalWaiting?: boolean;
  /**
   * The job as JSON without BitLocker keys, so lists and reads of the document can never leak them.
   * A document longer than one string property may hold continues in `Job1`…`Job7`.
   */
  Job: string;
  [continuation: `Job${number}`]: string | undefined;
  /** `{ driveId: key }`, read only by listBitLockerKeys and by read-modify-write. */
  BitLockerKeys: string;
}

/** Table Storage strings are UTF-16 and at most 64 KiB: 32,768 characters. */
const MAX_STRING_PROPERTY_CHARS = 32_768;
/** Up to 8 × 32K characters (512 KiB) of job document, well inside the 1 MiB entity limit. */
const MAX_DOCUMENT_CHUNKS = 8;
const DOCUMENT_COLUMNS = ["Job", ...Array.from({ length: MAX_DOCUMENT_CHUNKS - 1 }, (_, i) => `Job${i + 1}`)];
/** What a job is read back from: its document, its keys and its bookkeeping (the other columns only serve filters). */
const JOB_COLUMNS = [...DOCUMENT_COLUMNS, "BitLockerKeys", "IndexedDue", "ArrivalWaiting"];
/** Entities per page of a range read (the most Table Storage returns at once). */
const RANGE_PAGE_SIZE = 1000;
/** What a range read may read beyond twice the jobs wanted before it falls back to point reads. */
const RANGE_SLACK = 100;

export function partitionKeyOf(key: Pick<JobKey, "subscriptionId" | "resourceGroup">): string {
  return `${key.subscriptionId}:${key.resourceGroup}`.toLowerCase();
}

export function rowKeyOf(key: JobKey): string {
  return key.name.toLowerCase();
}

/** Keeps the expiry index in step with job writes (see deadline-index.store.ts). */
export interface DeadlineWriter {
  /**
   * Called before `job` is written over `base`: makes sure an index entry covers the job's earliest
   * deadline, writing one only when the entry covering `base` is later or there is none, and returns
   * the due time of the covering entry to record with the job.
   */
  cover(job: Job, base?: Pick<StoredJob, "job" | "indexedDue">): Promise<string | undefined>;
  /** The same for new jobs in bulk (one transaction per index partition). */
  coverMany(jobs: Job[]): Promise<(string | undefined)[]>;
}

/** One page of the whole table, with what the index's reconciliation needs. */
export interface ScanPage {
  jobs: { job: Job; indexedDue?: string }[];
  continuationToken?: string;
}

/** Takes the older history entries a job no longer carries (see domain/history.ts). */
export interface HistoryArchiver {
  archive(job: Job, chunk: HistoryChunk): Promise<void>;
}

/**
 * Storage failures reach callers already translated (the clients' storage call policy); this store
 * interprets only the statuses that mean something for the call at hand. Without a
 * `historyArchive`, jobs keep their whole history.
 */
export class JobsStore {
  /**
   * The average size of the jobs the last page of each subscription's list held (the operators'
   * lists under one name), so the next list asks the table for about as many as its page can hold
   * rather than `top` of them: read, parsed and held, 100 jobs of 120 KB are 12 MB, for a page that
   * returns a third of them. The least recently used beyond `MAX_SIZE_HINTS` are forgotten.
   */
  private readonly sizeHints = new Map<string, number>();

  constructor(
    private readonly table: TableClient,
    private readonly deadlines?: DeadlineWriter,
    private readonly historyArchive?: HistoryArchiver,
  ) {}

  async get(key: JobKey): Promise<StoredJob | undefined> {
    return this.getByEntityKeys(partitionKeyOf(key), rowKeyOf(key));
  }

  /**
   * A point read by the table keys, as the expiry index refers to jobs: one transaction, and only
   * the columns a job is made of (the hot path of Get Job, so below the SDK's typed layer).
   */
  async getByEntityKeys(partitionKey: string, rowKey: string): Promise<StoredJob | undefined> {
    const read = await readEntity(this.table, partitionKey, rowKey, JOB_COLUMNS);
    return read && storedOf(read.properties as unknown as JobEntity, read.etag);
  }

  /**
   * Reads many jobs of one partition: one range query from the first wanted row key to the last,
   * instead of a point read each. The scan stops once it has read twice as many entities as wanted
   * (plus a little), so jobs in between that are not wanted cost little; whatever it did not find is
   * point-read.
   */
  async getMany(partitionKey: string, rowKeys: string[]): Promise<JobsRead> {
    const remaining = new Set(rowKeys);
    const result: JobsRead = { jobs: new Map(), entitiesRead: 0, requests: 0 };
    if (remaining.size > 1) {
      const sorted = [...remaining].sort();
      const budget = 2 * remaining.size + RANGE_SLACK;
      const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${sorted[0]} and RowKey le ${sorted[sorted.length - 1]}`;
      const pages = this.table.listEntities<JobEntity>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(RANGE_PAGE_SIZE, budget) });
      for await (const page of pages) {
        result.requests++;
        for (const entity of page as (JobEntity & { etag: string })[]) {
          result.entitiesRead++;
          if (!remaining.delete(entity.rowKey)) continue;
          result.jobs.set(entity.rowKey, storedOf(entity, entity.etag));
        }
        if (remaining.size === 0 || result.entitiesRead >= budget) break;
      }
    }
    // Point reads for the rest: keys past the budget, and absent ones (a point read settles it).
    await Promise.all(
      [...remaining].map(async (rowKey) => {
        result.requests++;
        const stored = await this.getByEntityKeys(partitionKey, rowKey);
        result.entitiesRead += stored ? 1 : 0;
        if (stored) result.jobs.set(rowKey, stored);
      }),
    );
    return result;
  }

  /** Inserts a new job; throws `ConcurrencyError` if another request created it first. */
  async insert(job: Job): Promise<StoredJob> {
    // The index entry first: a crash in between leaves an extra entry, never a missing one.
    const indexedDue = await this.deadlines?.cover(job);
    try {
      const response = await this.table.createEntity(toEntity(job, { indexedDue }));
      return { job, etag: response.etag!, indexedDue };
    } catch (error) {
      if (statusOf(error) === 409) throw new ConcurrencyError(); // EntityAlreadyExists
      throw error;
    }
  }

  /**
   * Inserts up to 100 new jobs of one partition in one transaction (all or none), index first: bulk
   * loading, such as seeding the benchmarks.
   */
  async insertBatch(jobs: Job[]): Promise<void> {
    if (jobs.length === 0) return;
    const partition = partitionKeyOf(jobs[0].key);
    if (jobs.length > 100 || jobs.some((job) => partitionKeyOf(job.key) !== partition)) {
      throw new Error("insertBatch takes at most 100 jobs of one subscription and resource group");
    }
    const covered = (await this.deadlines?.coverMany(jobs)) ?? [];
    try {
      const actions: TransactionAction[] = jobs.map((job, i) => ["create", toEntity(job, { indexedDue: covered[i] }) as unknown as TableEntity]);
      await this.table.submitTransaction(actions);
    } catch (error) {
      if (statusOf(error) === 409) throw new ConcurrencyError();
      throw error;
    }
  }

  /**
   * Replaces the job read as `base` if it still has `base.etag`; throws `ConcurrencyError`
   * otherwise. An index entry is written first only if the job now has a deadline earlier than the
   * entry covering it (or none covers it); the bookkeeping columns carry over from `base`, except
   * that `arrivalWaiting` is the caller's to change. Returns the job as written.
   */
  async replace(job: Job, base: StoredJob, arrivalWaiting = base.arrivalWaiting): Promise<StoredJob> {
    const indexedDue = this.deadlines ? await this.deadlines.cover(job, base) : base.indexedDue;
    // The older entries are archived before the job stops carrying them: a crash in between leaves
    // an archived chunk the job still carries too, never a lost entry.
    const bounded = this.historyArchive && boundHistory(job);
    if (bounded) {
      await this.historyArchive!.archive(job, bounded.archive);
      job = bounded.job;
    }
    try {
      const response = await this.table.updateEntity(toEntity(job, { indexedDue, arrivalWaiting }), "Replace", { etag: base.etag });
      return { job, etag: response.etag!, indexedDue, arrivalWaiting };
    } catch (error) {
      if (isNotFound(error)) throw new ConcurrencyError(); // deleted meanwhile
      throw error;
    }
  }

  /**
   * Changes only the bookkeeping columns of a job read as `stored`, if it still has its ETag (a
   * merge: the document is not sent again). Throws `ConcurrencyError` if it changed meanwhile.
   */
  async mark(stored: StoredJob, columns: { indexedDue?: string; arrivalWaiting?: boolean }): Promise<StoredJob> {
    const next = { ...stored, ...columns };
    try {
      const response = await this.table.updateEntity(
        { partitionKey: partitionKeyOf(stored.job.key), rowKey: rowKeyOf(stored.job.key), IndexedDue: next.indexedDue ?? "", ArrivalWaiting: !!next.arrivalWaiting },
        "Merge",
        { etag: stored.etag },
      );
      return { ...next, etag: response.etag! };
    } catch (error) {
      if (isNotFound(error)) throw new ConcurrencyError();
      throw error;
    }
  }

  async delete(key: JobKey, etag: string): Promise<void> {
    if (!(await this.deleteIfUnchanged(partitionKeyOf(key), rowKeyOf(key), etag))) throw new ConcurrencyError();
  }

  /** Deletes one job if it still has `etag`; false when it changed meanwhile or is already gone. */
  private async deleteIfUnchanged(partitionKey: string, rowKey: string, etag: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(partitionKey, rowKey, { etag });
      return true;
    } catch (error) {
      if (isNotFound(error) || error instanceof ConcurrencyError) return false;
      throw error;
    }
  }

  /**
   * Deletes jobs of one partition that still have the ETag they were read with: one transaction per
   * 100, then one by one for a transaction that failed: on a changed (or already deleted) job, or
   * on one the storage refused, so one job never keeps the others from going. Returns the row keys
   * deleted, and the failures by row key; the others were changed meanwhile and stay. Once the
   * storage can't be reached, the jobs not yet deleted fail with that, without further calls.
   */
  async deleteMany(partitionKey: string, items: { rowKey: string; etag: string }[]): Promise<{ deleted: Set<string>; failed: Map<string, unknown>; requests: number }> {
    const deleted = new Set<string>();
    const failed = new Map<string, unknown>();
    let requests = 0;
    let unavailable: unknown;
    for (let start = 0; start < items.length; start += MAX_TRANSACTION_OPERATIONS) {
      const chunk = items.slice(start, start + MAX_TRANSACTION_OPERATIONS);
      if (unavailable === undefined) {
        requests++;
        try {
          if (await deleteAllIfUnchanged(this.table, chunk.map((item) => ({ partitionKey, ...item })))) {
            chunk.forEach((item) => deleted.add(item.rowKey));
            continue;
          }
        } catch (error) {
          // Refused for one job (whose own delete below says which), or storage unreachable.
          if (isStorageUnavailable(error)) unavailable = error;
        }
      }
      for (const item of chunk) {
        if (unavailable !== undefined) {
          failed.set(item.rowKey, unavailable);
          continue;
        }
        requests++;
        try {
          if (await this.deleteIfUnchanged(partitionKey, item.rowKey, item.etag)) deleted.add(item.rowKey);
        } catch (error) {
          failed.set(item.rowKey, error);
          if (isStorageUnavailable(error)) unavailable = error;
        }
      }
    }
    return { deleted, failed, requests };
  }

  /** One page of all jobs in key order, for the bounded reconciliation of the expiry index. */
  async scan(pageSize: number, continuationToken?: string): Promise<ScanPage> {
    const select = [...DOCUMENT_COLUMNS, "IndexedDue"];
    const pages = this.table.listEntities<JobDocumentColumns & Pick<JobEntity, "IndexedDue">>({ queryOptions: { select } }).byPage({ maxPageSize: pageSize, continuationToken });
    const { value: page } = await pages.next();
    const jobs: ScanPage["jobs"] = [];
    for (const entity of (page ?? []) as TableEntityResult<JobDocumentColumns & Pick<JobEntity, "IndexedDue">>[]) {
      try {
        jobs.push({ job: readDocument(entity), indexedDue: entity.IndexedDue || undefined });
      } catch {
        // An unreadable entity is skipped here; the sweep reports it when it meets it.
      }
    }
    return { jobs, continuationToken: (page as { continuationToken?: string } | undefined)?.continuationToken };
  }

  /**
   * One page of a subscription's jobs, every resource group, for removing them: keys, ETag, document
   * and the columns the deletion log records, never the BitLocker keys. A job whose document can't
   * be read is in the page too (it has to go as well), with only its columns.
   */
  async pageOfSubscription(subscriptionId: string, pageSize: number, continuationToken?: string): Promise<{ jobs: JobForRemoval[]; continuationToken?: string }> {
    type Row = JobDocumentColumns & Partial<Pick<JobEntity, "ResourceGroup" | "JobName" | "State" | "CreatedAt">>;
    const select = ["PartitionKey", "RowKey", ...DOCUMENT_COLUMNS, "ResourceGroup", "JobName", "State", "CreatedAt"];
    const pages = this.table.listEntities<Row>({ queryOptions: { filter: keyRangeFilter({ subscriptionId }), select } }).byPage({ maxPageSize: pageSize, continuationToken });
    const { value: page } = await pages.next();
    const jobs = ((page ?? []) as TableEntityResult<Row>[]).map((entity): JobForRemoval => {
      const keys = { partitionKey: entity.partitionKey!, rowKey: entity.rowKey!, etag: entity.etag };
      try {
        const job = readDocument(entity);
        if (job?.key?.name) return { ...keys, job, summary: { key: job.key, state: job.state, createdAt: job.createdAt } };
      } catch {
        // Unreadable: recorded from its columns below.
      }
      const key = { subscriptionId, resourceGroup: entity.ResourceGroup ?? entity.partitionKey!.slice(subscriptionId.length + 1), name: entity.JobName ?? entity.rowKey! };
      const createdAt = entity.CreatedAt instanceof Date ? entity.CreatedAt.toISOString() : String(entity.CreatedAt ?? "");
      return { ...keys, summary: { key, state: entity.State ?? "Unknown", createdAt } };
    });
    return { jobs, continuationToken: (page as { continuationToken?: string } | undefined)?.continuationToken };
  }

  /** The keys of a job by drive id; undefined when there is no such job. */
  async bitLockerKeys(key: JobKey): Promise<Map<string, string> | undefined> {
    const read = await readEntity(this.table, partitionKeyOf(key), rowKeyOf(key), ["BitLockerKeys"]);
    if (!read) return undefined;
    return parseKeyDocument(read.properties.BitLockerKeys as string | undefined);
  }

  /**
   * One page of jobs, filtered by the table service and bounded by `limits` (see `query`).
   */
  async list(scope: JobScope, filter: JobFilter | undefined, limits: PageLimits, from?: JobsContinuation): Promise<JobPage> {
    const query = [keyRangeFilter(scope), filter ? toTableFilter(filter) : undefined].filter(Boolean).map((part) => `(${part})`).join(" and ");
    return this.query(query, limits, from, scope.subscriptionId.toLowerCase());
  }

  /**
   * Jobs across all subscriptions for operators, filtered by the table service on the state and
   * flag columns. It scans partitions, so it is for the console's queues, not for the API's hot path.
   */
  async listForOperators(query: OperatorJobQuery, limits: PageLimits, from?: JobsContinuation): Promise<JobPage> {
    return this.query(operatorFilter(query), limits, from, "operator");
  }

  /**
   * One page of a filtered query, in key order: at most `top` jobs and at most `maxBytes` of them
   * (their documents as stored, in UTF-8), but always one if there is one. Table Storage may return
   * short pages; this keeps asking until the page is full or the query is exhausted. The page's
   * `next` resumes after its last job: a page cut by bytes ends inside the table's page, and the
   * table's own token points past the table's whole page. `hintKey` names whose jobs these are (see
   * `sizeHints`).
   */
  private async query(filter: string, limits: PageLimits, from: JobsContinuation | undefined, hintKey: string): Promise<JobPage> {
    const page = new PageBuilder(limits, this.sizeHints.get(hintKey));
    let more: boolean;
    if (from && "after" in from) {
      // After a job: the rest of its partition, then the partitions after it (each a range query;
      // one filter with `or` would be a scan from the start of the range on every page).
      const { partitionKey, rowKey } = from.after;
      await this.fill(page, `(${filter}) and ${odata`PartitionKey eq ${partitionKey} and RowKey gt ${rowKey}`}`);
      more = page.full || (await this.fill(page, `(${filter}) and ${odata`PartitionKey gt ${partitionKey}`}`));
    } else {
      more = await this.fill(page, filter, from?.tableToken);
    }
    const average = page.averageBytes;
    if (average !== undefined) {
      this.sizeHints.delete(hintKey);
      if (this.sizeHints.size >= MAX_SIZE_HINTS) this.sizeHints.delete(this.sizeHints.keys().next().value!);
      this.sizeHints.set(hintKey, average);
    }
    const last = page.keys[page.keys.length - 1];
    return { jobs: page.jobs, etags: page.etags, next: more && last ? { after: last } : undefined };
  }

  /** Adds the query's jobs to `page` until it is full; whether the query may have more. */
  private async fill(page: PageBuilder, filter: string, continuationToken?: string): Promise<boolean> {
    let token = continuationToken;
    do {
      const pages = this.table.listEntities<ListedEntity>({ queryOptions: { filter, select: LISTED_COLUMNS } }).byPage({ maxPageSize: page.toRead, continuationToken: token });
      const { value: tablePage } = await pages.next();
      if (!tablePage) return false;
      for (const entity of tablePage as TableEntityResult<ListedEntity>[]) {
        if (!page.add(entity)) return true; // the job that did not fit comes next
      }
      token = (tablePage as { continuationToken?: string }).continuationToken;
    } while (token && !page.full);
    return token !== undefined;
  }
}

type ListedEntity = JobDocumentColumns & { partitionKey: string; rowKey: string; etag: string };
const LISTED_COLUMNS = ["PartitionKey", "RowKey", ...DOCUMENT_COLUMNS];

/** Subscriptions whose jobs' size a store remembers (see `JobsStore.sizeHints`). */
const MAX_SIZE_HINTS = 10_000;

/** A page of a list being filled: its jobs in key order, their keys, and its room by count and bytes. */
class PageBuilder {
  readonly jobs: Job[] = [];
  readonly keys: TableKeys[] = [];
  /** Each job's storage ETag, in the same order (a customer's list shows each job's ETag). */
  readonly etags: string[] = [];
  private bytes = 0;
  private cut = false;

  /** `expectedBytes`: the size of a job, as the last page of the same list found it. */
  constructor(
    private readonly limits: PageLimits,
    private readonly expectedBytes?: number,
  ) {}

  get room(): number {
    return this.limits.top - this.jobs.length;
  }

  get averageBytes(): number | undefined {
    return this.jobs.length > 0 ? this.bytes / this.jobs.length : undefined;
  }

  /**
   * How many entities to ask the table for next: the room left, or, when the jobs are large (by
   * this page's average so far, else the last page's), as many as the bytes left hold and one more,
   * the one that tells the page it is full.
   */
  get toRead(): number {
    const average = this.averageBytes ?? this.expectedBytes;
    if (!average) return this.room;
    return Math.max(1, Math.min(this.room, Math.floor((this.limits.maxBytes - this.bytes) / average) + 1));
  }

  get full(): boolean {
    return this.cut || this.room <= 0;
  }

  /** Adds the entity's job, unless it would take the page past its byte budget (a first job always fits). */
  add(entity: ListedEntity): boolean {
    const document = documentText(entity);
    const bytes = Buffer.byteLength(document, "utf8");
    if (this.jobs.length > 0 && this.bytes + bytes > this.limits.maxBytes) {
      this.cut = true;
      return false;
    }
    this.jobs.push(JSON.parse(document) as Job);
    this.keys.push({ partitionKey: entity.partitionKey, rowKey: entity.rowKey });
    this.etags.push(entity.etag);
    this.bytes += bytes;
    return true;
  }
}

function keyRangeFilter(scope: JobScope): string {
  if (scope.resourceGroup) return odata`PartitionKey eq ${partitionKeyOf({ subscriptionId: scope.subscriptionId, resourceGroup: scope.resourceGroup })}`;
  // Every partition of the subscription: keys from "<sub>:" up to, not including, "<sub>;" (';' follows ':').
  const prefix = `${scope.subscriptionId.toLowerCase()}:`;
  const end = `${scope.subscriptionId.toLowerCase()};`;
  return odata`PartitionKey ge ${prefix} and PartitionKey lt ${end}`;
}

function operatorFilter(query: OperatorJobQuery): string {
  const parts: string[] = [];
  if (query.states && query.states.length > 0) parts.push(query.states.map((state) => odata`State eq ${state}`).join(" or "));
  const overdue = `State eq 'Shipping' and ShippingDueAt lt datetime'${query.now.toISOString()}'`;
  switch (query.view) {
    case "faulted":
      parts.push("State eq 'Faulted' or HasFaultedDrive eq true");
      break;
    case "overdue":
      parts.push(overdue);
      break;
    case "returnAddress":
      parts.push("ReturnAddressProblem eq true");
      break;
    case "attention":
      // Everything a data center is, or should be, working on: not yet created, not yet over.
      parts.push("State ne 'Creating' and State ne 'Completed' and State ne 'Closed'");
      break;
  }
  return parts.map((part) => `(${part})`).join(" and ") || "PartitionKey ne ''";
}

export function toTableFilter(filter: JobFilter): string {
  switch (filter.kind) {
    case "and":
    case "or":
      return `(${toTableFilter(filter.left)}) ${filter.kind} (${toTableFilter(filter.right)})`;
    case "state":
      return filter.op === "eq" ? odata`State eq ${filter.value}` : odata`State ne ${filter.value}`;
    case "jobType":
      return filter.op === "eq" ? odata`JobType eq ${filter.value}` : odata`JobType ne ${filter.value}`;
    case "createdAt":
      return `CreatedAt ${filter.op} datetime'${filter.value.toISOString()}'`;
  }
}

function toEntity(job: Job, bookkeeping: { indexedDue?: string; arrivalWaiting?: boolean } = {}): JobEntity {
  // Drive ids are the customer's strings: a Map, so `__proto__` keeps its key like any other id.
  const keys = new Map<string, string>();
  const drives = job.drives.map(({ bitLockerKey, ...drive }) => {
    if (bitLockerKey) keys.set(drive.driveId, bitLockerKey);
    return drive;
  });
  const document = JSON.stringify({ ...job, drives });
  const keyDocument = JSON.stringify(Object.fromEntries(keys));
  if (document.length > (MAX_STRING_PROPERTY_CHARS - 1) * MAX_DOCUMENT_CHUNKS || keyDocument.length > MAX_STRING_PROPERTY_CHARS) {
    throw ErrorFactory.badRequest(
      "JobTooLarge",
      "The job is too large to store. Shorten long values such as the export blob list (or use 'blobListBlobPath'), tags or drive header hashes.",
    );
  }
  return {
    partitionKey: partitionKeyOf(job.key),
    rowKey: rowKeyOf(job.key),
    SubscriptionId: job.key.subscriptionId,
    ResourceGroup: job.key.resourceGroup,
    JobName: job.key.name,
    State: job.state,
    JobType: job.jobType,
    Location: job.location,
    CreatedAt: new Date(job.createdAt),
    StateChangedAt: new Date(job.stateChangedAt),
    ShippingDueAt: job.shippingDueAt ? new Date(job.shippingDueAt) : undefined,
    HasFaultedDrive: job.drives.some((drive) => drive.state === "Faulted"),
    ReturnAddressProblem: !!job.returnAddressProblem,
    CancelRequested: job.cancelRequested,
    TenantId: job.tenantId,
    IndexedDue: bookkeeping.indexedDue,
    ArrivalWaiting: bookkeeping.arrivalWaiting || undefined,
    ...documentColumns(document),
    BitLockerKeys: keyDocument,
  };
}

type JobDocumentColumns = Pick<JobEntity, "Job" | `Job${number}`>;

function documentColumns(document: string): JobDocumentColumns {
  const parts: string[] = [];
  for (let start = 0; start < document.length || parts.length === 0; ) {
    let end = Math.min(start + MAX_STRING_PROPERTY_CHARS, document.length);
    // Never split a surrogate pair: each column must be valid UTF-16 on its own.
    if (end < document.length && /[\uD800-\uDBFF]/.test(document[end - 1])) end--;
    parts.push(document.slice(start, end));
    start = end;
  }
  const [first, ...rest] = parts;
  const columns: JobDocumentColumns = { Job: first };
  rest.forEach((part, i) => (columns[`Job${i + 1}`] = part));
  return columns;
}

function readDocument(entity: JobDocumentColumns): Job {
  return JSON.parse(documentText(entity)) as Job;
}

function documentText(entity: JobDocumentColumns): string {
  let document = entity.Job;
  for (let i = 1; entity[`Job${i}`] !== undefined; i++) document += entity[`Job${i}`];
  return document;
}

function storedOf(entity: JobEntity, etag: string): StoredJob {
  return { job: fromEntity(entity), etag, indexedDue: entity.IndexedDue || undefined, arrivalWaiting: entity.ArrivalWaiting || undefined };
}

function fromEntity(entity: JobEntity): Job {
  const job = readDocument(entity);
  const keys = parseKeyDocument(entity.BitLockerKeys);
  return { ...job, drives: job.drives.map((drive) => (keys.has(drive.driveId) ? { ...drive, bitLockerKey: keys.get(drive.driveId) } : drive)) };
}

/** `{ driveId: key }` as stored; JSON.parse keeps `__proto__` as an own key, and the Map keeps it a key. */
function parseKeyDocument(document: string | undefined): Map<string, string> {
  return new Map(Object.entries(JSON.parse(document ?? "{}") as Record<string, string>));
}
