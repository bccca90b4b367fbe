/**
 * What the copy agent's drives share, import or export: progress reported to the service about
 * once a second (hearing its stop signal, and renewing the agent's claim on the drive), the budget
 * of blocks in flight that bounds memory, and the optional bandwidth cap.
 */
import { parseIsoDuration } from "../domain/duration";
import { OperatorApiError } from "./operator-client";
import type { JobRef, OperatorClient } from "./operator-client";

/** What the progress reporter needs of a copy request. */
export interface CopyPacing {
  job: JobRef;
  operator: OperatorClient;
  progressIntervalMs: number;
  /** The claim's lease: progress renews it, so some is sent every third of it even while no bytes move. */
  claim: { leaseDuration: string };
}

/**
 * Sends `TransferProgress` at most once per interval while bytes move (and every third of the
 * claim's lease regardless, to renew it), and keeps the service's answers for the copy to act on:
 * its stop signal (a cancelled job: nothing more is started) and its refusal (the claim is gone,
 * the drive or the job was faulted), which also halts the blobs in flight.
 */
export class ProgressReporter {
  /** The copy starts nothing more: the job was cancelled, or the service refused the copy. */
  stopRequested = false;
  /** The service refused the copy's progress: the blob in flight stops too, and the copy is halted with this. */
  halted?: OperatorApiError;
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private lastSent = -1;
  private lastSentAt = Date.now();
  private readonly renewEveryMs: number;

  constructor(
    private readonly request: CopyPacing,
    private readonly driveId: string,
    private readonly totalBytes: number,
    private readonly bytesDone: () => number,
  ) {
    this.renewEveryMs = (parseIsoDuration(request.claim.leaseDuration) ?? 120_000) / 3;
  }

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
    if (bytes === this.lastSent && Date.now() - this.lastSentAt < this.renewEveryMs) return;
    this.lastSent = bytes;
    this.lastSentAt = Date.now();
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
      if (job.operator?.stopTransfer) this.stopRequested = true;
    } catch (error) {
      // Refused: the copy may not go on (a 409: the claim, the drive's or the job's state; a 404: the job is gone).
      if (error instanceof OperatorApiError && (error.status === 409 || error.status === 404)) {
        this.halted ??= error;
        this.stopRequested = true;
      }
      // Otherwise a lost progress report is made good by the next one, or by the finish.
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

