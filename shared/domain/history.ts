/**
 * How much history a job carries. Every state change is kept, but a job document has a size limit
 * and fault/clear cycles have none, so a job carries only its recent entries; older ones move to
 * the history archive (blobs beside the job's logs, see `history-archive.store.ts`) in chunks, and
 * the operator history endpoint reads both. Entries are numbered from 0 at creation: `history[i]`
 * is entry `historyArchived + i`, and an entry never changes once written, so a chunk archived
 * twice (a write that lost its ETag race, then its retry) holds the same entries.
 */
import { ErrorFactory } from "./errors";
import type { Job, StateChange } from "./job";

/** A job write archives once its history has more entries, or more characters of JSON, than this… */
export const HISTORY_ARCHIVE_AT = { entries: 150, chars: 96 * 1024 };
/** …keeping the newest entries within this (a margin, so it archives once per 50 entries, not each write). */
export const HISTORY_KEPT = { entries: 100, chars: 64 * 1024 };
/**
 * The most a job may take without its history and outbox, as the customer defines it (export blob
 * lists, tags, addresses): the rest of the document's 256K characters is the history's bound above
 * plus room for what operator events add (export drives, extra drives, progress, problems).
 */
export const JOB_DEFINITION_MAX_CHARS = 128 * 1024;
/**
 * The most a job's outbox (messages waiting for the queue to come back) may hold: past it, further
 * messages are dropped rather than let an outage grow the job until it can't be written.
 */
export const OUTBOX_MAX_CHARS = 16 * 1024;

export interface HistoryChunk {
  /** Sequence number of `entries[0]`. */
  firstSequence: number;
  entries: StateChange[];
}

/** The sequence number of a job's first carried entry. */
export function firstCarriedSequence(job: Pick<Job, "historyArchived">): number {
  return job.historyArchived ?? 0;
}

/** Entries ever recorded for the job: archived and carried. */
export function historyLength(job: Pick<Job, "history" | "historyArchived">): number {
  return firstCarriedSequence(job) + job.history.length;
}

/**
 * The job to store and the chunk to archive first, when its history is over the bound; undefined
 * when it is within.
 */
export function boundHistory(job: Job): { job: Job; archive: HistoryChunk } | undefined {
  const sizes = job.history.map((entry) => JSON.stringify(entry).length + 1);
  const total = sizes.reduce((sum, size) => sum + size, 0);
  if (job.history.length <= HISTORY_ARCHIVE_AT.entries && total <= HISTORY_ARCHIVE_AT.chars) return undefined;
  let kept = 0;
  let keptChars = 0;
  while (kept < job.history.length && kept < HISTORY_KEPT.entries && keptChars + sizes[job.history.length - 1 - kept] <= HISTORY_KEPT.chars) {
    keptChars += sizes[job.history.length - 1 - kept];
    kept++;
  }
  const moved = job.history.length - kept;
  const first = firstCarriedSequence(job);
  return {
    job: { ...job, history: job.history.slice(moved), historyArchived: first + moved },
    archive: { firstSequence: first, entries: job.history.slice(0, moved) },
  };
}

/**
 * A customer's create or update must leave room for the job's history and for what events add, so
 * that no sequence of legal events can make the job too large to store.
 */
export function assertDefinitionFits(job: Job): void {
  const { history: _history, outbox: _outbox, ...definition } = job;
  if (JSON.stringify(definition).length > JOB_DEFINITION_MAX_CHARS) {
    throw ErrorFactory.badRequest(
      "JobTooLarge",
      `The job is too large to store (at most ${JOB_DEFINITION_MAX_CHARS / 1024}K characters of JSON). Shorten long values such as the export blob list (or use 'blobListBlobPath'), tags or drive header hashes.`,
    );
  }
}
