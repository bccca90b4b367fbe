/**
 * A drive's copy logs written to the agent's disk as its blobs finish, in the order they finish:
 * the error log always (uploaded when it has something to say), the verbose log when the job asks
 * for it. A drive of a million blobs has a verbose log of hundreds of megabytes; it never sits in
 * memory, and goes to the customer's account as a file upload. The summary and the drive's status
 * are counted on the way (`CopyOutcome`).
 */
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { BlobLogEntry, blobLogXml, CopyOutcome, CopySummary, driveLogHead, driveLogTail, DriveStatus, errorLogEntry } from "../formats/copy-log";

/** Text gathered before a write: one system call per this many characters, not one per blob. */
const WRITE_CHARS = 256 * 1024;

export interface WrittenDriveLogs {
  summary: CopySummary;
  status: DriveStatus;
  /** The error log's file; worth uploading when the summary has issues. */
  errorLogFile: string;
  verboseLogFile?: string;
}

export class DriveLogFiles {
  private readonly outcome = new CopyOutcome();
  private readonly error: LogFile;
  private readonly verbose?: LogFile;

  /** `fileBase`: a path on the agent's disk; the logs are `<fileBase>.error.xml` and `.verbose.xml`. */
  constructor(fileBase: string, driveId: string, writeVerbose: boolean) {
    this.error = new LogFile(`${fileBase}.error.xml`, driveLogHead(driveId));
    if (writeVerbose) this.verbose = new LogFile(`${fileBase}.verbose.xml`, driveLogHead(driveId));
  }

  add(blob: BlobLogEntry): void {
    if (this.outcome.add(blob) !== undefined) this.error.write(blobLogXml(errorLogEntry(blob)));
    this.verbose?.write(blobLogXml(blob));
  }

  /** Ends both files with the drive's status. */
  finish(): WrittenDriveLogs {
    const status = this.outcome.status;
    this.error.end(driveLogTail(status));
    this.verbose?.end(driveLogTail(status));
    return { summary: this.outcome.summary, status, errorLogFile: this.error.file, verboseLogFile: this.verbose?.file };
  }

  /** Removes the files (once uploaded), whether or not they were finished. */
  remove(): void {
    this.error.remove();
    this.verbose?.remove();
  }
}

class LogFile {
  private fd?: number;
  private pending: string[] = [];
  private pendingChars = 0;

  constructor(
    readonly file: string,
    head: string,
  ) {
    // A resumed run writes its logs afresh: the journal holds every blob finished before.
    this.fd = openSync(file, "w");
    this.write(head);
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= WRITE_CHARS) this.flush();
  }

  end(tail: string): void {
    this.write(tail);
    this.flush();
    this.close();
  }

  remove(): void {
    this.close();
    rmSync(this.file, { force: true });
  }

  private flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    writeSync(this.fd, this.pending.join(""));
    this.pending = [];
    this.pendingChars = 0;
  }

  private close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
