/**
 * What the copy agent's drives share, import or export: progress reported to the service about
 * once a second (hearing its stop signal), the budget of blocks in flight that bounds memory, and
 * the optional bandwidth cap.
 */
import type { JobRef, OperatorClient } from "./operator-client";

/** What the progress reporter needs of a copy request. */
export interface CopyPacing {
  job: JobRef;
  operator: OperatorClient;
  progressIntervalMs: number;
}

/** Sends `TransferProgress` at most once per interval while bytes move, and hears the service's stop signal. */
export class ProgressReporter {
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private lastSent = -1;

  constructor(
    private readonly request: CopyPacing,
    private readonly driveId: string,
    private readonly totalBytes: number,
    private readonly bytesDone: () => number,
    private readonly onStop: () => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.sending) this.sending = this.send().finally(() => (this.sending = undefined));
    }, this.request.progressIntervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sending;
  }

  private async send(): Promise<void> {
    const bytes = this.bytesDone();
    if (bytes === this.lastSent) return;
    this.lastSent = bytes;
    // 100 % is the finish's to report: a drive whose last blob is in flight is not done.
    const percentComplete = this.totalBytes > 0 ? Math.min(99, Math.floor((bytes * 100) / this.totalBytes)) : 0;
    try {
      const job = await this.request.operator.event(this.request.job, {
        type: "TransferProgress",
        driveId: this.driveId,
        bytesSucceeded: bytes,
        totalBytes: Math.max(this.totalBytes, 1),
        percentComplete,
      });
      if (job.operator?.stopTransfer) this.onStop();
    } catch {
      // A lost progress report is made good by the next one, or by the finish.
    }
  }
}

/** Counts blocks in flight: each holds one block's buffer, so this bounds the agent's memory. */
export class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private available: number) {}

  async acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.available++;
  }
}

/** A simple bandwidth cap: bytes may go once the time their share of the rate needs has passed. */
export class Throttle {
  private readonly started = Date.now();
  private sent = 0;
  constructor(private readonly bytesPerSecond: number) {}

  async take(bytes: number): Promise<void> {
    this.sent += bytes;
    const due = this.started + (this.sent / this.bytesPerSecond) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

