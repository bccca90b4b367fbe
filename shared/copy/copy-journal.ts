/**
 * The agent's record of the blobs it has finished on a drive, one JSON line per blob, appended as
 * each finishes: an agent killed mid-copy and run again reads it and goes on from there, without
 * copying finished blobs again and with their log entries intact. It lives on the agent's machine
 * (`--state-dir`), never on the customer's drive, and starts afresh when a drive starts afresh.
 *
 * Plainly created blobs are written in batches (a file per blob would cost a write per small file):
 * one lost in a kill is found again on the resumed run, as a blob already there with the manifest's
 * content. Every other outcome (a rename, a skip, an error) is written at once, since it could not
 * be told again from the account.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import type { BlobLogEntry } from "./copy-log";

export interface JournalEntry {
  /** The blob's index in the manifest (lists flattened in order). */
  index: number;
  /** Bytes of the drive this blob accounts for, finished whatever its outcome. */
  bytes: number;
  log: BlobLogEntry;
}

const BATCH_ENTRIES = 256;
const BATCH_MS = 500;

export class CopyJournal {
  private pending: string[] = [];
  private lastWrite = Date.now();
  /** Open for appending from the first write to `close`: one write per flush, not an open and a close too. */
  private fd?: number;

  private constructor(private readonly file: string) {}

  static at(stateDir: string, name: string): CopyJournal {
    mkdirSync(stateDir, { recursive: true });
    return new CopyJournal(path.join(stateDir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.jsonl`));
  }

  /** The finished blobs by index. A torn last line (a kill mid-write) is ignored: that blob is redone. */
  read(): Map<number, JournalEntry> {
    const entries = new Map<number, JournalEntry>();
    if (!existsSync(this.file)) return entries;
    for (const line of readFileSync(this.file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        const entry = JSON.parse(line) as JournalEntry;
        entries.set(entry.index, entry);
      } catch {
        continue; // a torn last line, as said above: that blob is copied again
      }
    }
    return entries;
  }

  /** `recoverable`: the outcome can be told again from the account, so it may wait for the batch. */
  record(entry: JournalEntry, recoverable: boolean): void {
    this.pending.push(JSON.stringify(entry) + "\n");
    if (!recoverable || this.pending.length >= BATCH_ENTRIES || Date.now() - this.lastWrite >= BATCH_MS) this.flush();
  }

  flush(): void {
    if (this.pending.length > 0) {
      this.fd ??= openSync(this.file, "a");
      writeSync(this.fd, this.pending.join(""));
    }
    this.pending = [];
    this.lastWrite = Date.now();
  }

  /** Writes what is pending and lets the file go; a later record opens it again. */
  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  reset(): void {
    this.pending = [];
    this.close();
    rmSync(this.file, { force: true });
  }
}
