/**
 * The history archive: the older state changes of a job (see `domain/history.ts`), one JSON blob
 * per chunk beside the job's logs, so deleting or purging a job's blobs deletes them too. A chunk
 * is named by the sequence numbers it holds; chunks written by writes that lost their ETag race
 * may overlap the winner's, and hold the same entries where they do.
 */
import { HistoryChunk } from "../domain/history";
import { Job, StateChange } from "../domain/job";
import { historyArchivePrefix, historyChunkName } from "../domain/log-blobs";
import { LogBlobStore } from "./log-blobs.store";

type JobLocation = Pick<Job, "key" | "diagnosticsPath">;

export class HistoryArchiveStore {
  constructor(private readonly logs: LogBlobStore) {}

  async archive(job: JobLocation, chunk: HistoryChunk): Promise<void> {
    const end = chunk.firstSequence + chunk.entries.length;
    await this.logs.put(historyChunkName(job, chunk.firstSequence, end), JSON.stringify(chunk.entries), "application/json");
  }

  /** Archived entries with sequence numbers from `from` up to, not including, `to`; oldest first. */
  async read(job: JobLocation, from: number, to: number): Promise<StateChange[]> {
    if (from >= to) return [];
    const prefix = historyArchivePrefix(job);
    const chunks = (await this.logs.list(prefix))
      .map((name) => {
        const match = /^(\d{10})-(\d{10})\.json$/.exec(name.slice(prefix.length));
        return match ? { name, first: Number(match[1]), end: Number(match[2]) } : undefined;
      })
      .filter((chunk) => chunk !== undefined && chunk.first < to && chunk.end > from);
    const entries = new Map<number, StateChange>();
    for (const chunk of chunks) {
      const text = await this.logs.readText(chunk!.name);
      if (text === undefined) continue;
      (JSON.parse(text) as StateChange[]).forEach((entry, i) => {
        const sequence = chunk!.first + i;
        if (sequence >= from && sequence < to) entries.set(sequence, entry);
      });
    }
    return [...entries.entries()].sort(([a], [b]) => a - b).map(([, entry]) => entry);
  }
}
