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
import { closeSync, createReadStream, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { BlobLogEntry } from "../formats/copy-log";

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

  /** A file of the run's own beside the journal (its logs being written), named for the same drive. */
  besideFile(suffix: string): string {
    return this.file.replace(/\.jsonl$/, suffix);
  }

  /**
   * The finished blobs in the order recorded, read a piece at a time: an import of a million blobs
   * goes through them without holding them. A torn line (a kill mid-write) is skipped: that blob is redone.
   */
  async *entries(): AsyncGenerator<JournalEntry> {
    if (!existsSync(this.file)) return;
    const lines = createInterface({ input: createReadStream(this.file, { encoding: "utf8", highWaterMark: 256 * 1024 }), crlfDelay: Infinity });
    for await (const line of lines) {
      const entry = parseLine(line);
      if (entry) yield entry;
    }
  }

  /** The finished blobs by index. A torn last line (a kill mid-write) is ignored: that blob is redone. */
  read(): Map<number, JournalEntry> {
    const entries = new Map<number, JournalEntry>();
    if (!existsSync(this.file)) return entries;
    for (const line of readFileSync(this.file, "utf8").split("\n")) {
      const entry = parseLine(line);
      if (entry) entries.set(entry.index, entry);
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
      this.fd ??= openForAppend(this.file);
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

function parseLine(line: string): JournalEntry | undefined {
  if (!line.trim()) return undefined;
  try {
    return JSON.parse(line) as JournalEntry;
  } catch {
    // A torn line: the blob it was recording is done again.
    return undefined;
  }
}

/** Opens the journal for appending, ending a torn last line first so the next record is a line of its own. */
function openForAppend(file: string): number {
  const fd = openSync(file, "a+");
  const { size } = fstatSync(fd);
  if (size > 0) {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] !== 0x0a) writeSync(fd, "\n");
  }
  return fd;
}

/** Which of a drive's blobs (by index) are finished: a bit each, so a million cost 125 KB. */
export class IndexSet {
  private readonly bits: Uint8Array;

  constructor(readonly size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }

  has(index: number): boolean {
    return index >= 0 && index < this.size && (this.bits[index >> 3] & (1 << (index & 7))) !== 0;
  }

  add(index: number): void {
    this.bits[index >> 3] |= 1 << (index & 7);
  }
}
