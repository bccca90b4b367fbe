/**
 * What the tools print, printed one way (byte counts through shared/domain/byte-count): the running progress line
 * (rewritten in place on a terminal, plain lines in a pipe, as AzCopy does), and the reason a
 * storage account or the service could not be reached, in words.
 */

/**
 * The percent a progress line shows, to one decimal: 100 only once every item is done. The last
 * item's bytes are all read before it is finished (committed, renamed into place), and "100 %, 0 of
 * 1" is not done.
 */
export function percentDone(bytesDone: number, bytesTotal: number, allDone: boolean): number {
  if (allDone) return 100;
  return bytesTotal > 0 ? Math.min(99.9, Math.floor((bytesDone * 1000) / bytesTotal) / 10) : 0;
}

/**
 * A running line: on a terminal rewritten in place at most every `terminalIntervalMs`; in a pipe a
 * plain line at most every `pipeIntervalMs`. A final update, and `finish`, always print the latest
 * line, so the last line shown is where the work ended, never a stale one from the interval before.
 */
export class ProgressLine {
  private lastPrinted = 0;
  /** The latest line, made only when printed: updates come per blob, lines at most every interval. */
  private pending: (() => string) | undefined;
  private onTerminalLine = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly intervals: { terminalMs: number; pipeMs: number },
  ) {}

  update(line: () => string, final = false): void {
    this.pending = line;
    const interval = this.out.isTTY ? this.intervals.terminalMs : this.intervals.pipeMs;
    if (final || Date.now() - this.lastPrinted >= interval) this.print(this.pending());
  }

  /** A line of its own (a warning, a notice) while the progress line may be on the terminal. */
  message(line: string, stream: NodeJS.WriteStream = this.out): void {
    if (this.onTerminalLine) this.out.write("\r\x1b[K");
    this.onTerminalLine = false;
    stream.write(`${line}\n`);
  }

  /** Prints the latest line if it was held back, and ends the line on a terminal. */
  finish(): void {
    if (this.pending !== undefined) this.print(this.pending());
    if (this.onTerminalLine) this.out.write("\n");
    this.onTerminalLine = false;
  }

  private print(line: string): void {
    this.lastPrinted = Date.now();
    this.pending = undefined;
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.onTerminalLine = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  UND_ERR_SOCKET: "connection reset",
  ETIMEDOUT: "no answer in time",
  UND_ERR_CONNECT_TIMEOUT: "no answer in time",
  EHOSTUNREACH: "network unreachable",
  ENETUNREACH: "network unreachable",
};

/**
 * Why a call got no answer at all (`connection refused`, `host not found`, `no answer in time`...),
 * looking through the causes the HTTP clients wrap it in; undefined for anything else (an answer
 * that refused, a bug), which is not about reaching anyone.
 */
export function unreachableReason(error: unknown, depth = 0): string | undefined {
  // Duck-typed: an AbortSignal's DOMException need not be an Error of this realm.
  if (typeof error !== "object" || error === null || depth > 5) return undefined;
  const { code, name, cause, errors } = error as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === "string" && Object.hasOwn(UNREACHABLE, code)) return UNREACHABLE[code];
  if (name === "TimeoutError") return "no answer in time";
  const inner = [cause, ...(Array.isArray(errors) ? errors : [])];
  for (const cause of inner) {
    const reason = unreachableReason(cause, depth + 1);
    if (reason) return reason;
  }
  return undefined;
}
