/**
 * The copy agent's only way to the service: the operator API over HTTP, with the operator's token.
 * Reads the job, fetches one drive's BitLocker key, claims the drive, and records the transfer
 * events; a refused request comes back as an `OperatorApiError` carrying the API's own code and
 * message.
 *
 * A slow or restarting service is not a failed copy: each call has its own timeout, and a call that
 * timed out, found no service or got a 408, 429 or 5xx answer is tried again with backoff. Every call
 * the agent makes may be repeated: reads, the claim (the holder claiming again renews it), progress
 * (it sets values), and the other events, which carry an event id the service applies once. Every
 * event carries the agent's id: the service refuses events from an agent not holding the drive.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../telemetry/log";

export interface JobRef {
  subscriptionId: string;
  resourceGroup: string;
  jobName: string;
}

/** What the agent reads of a job: the Get Job shape plus the operator section. */
export interface OperatorJob {
  name: string;
  properties: {
    storageAccountId: string;
    state: string;
    cancelRequested: boolean;
    logLevel?: "Error" | "Verbose";
    diagnosticsPath?: string;
    backupDriveManifest?: boolean;
    jobType?: "Import" | "Export";
    export?: { blobListBlobPath?: string; blobList?: { blobPath?: string[]; blobPathPrefix?: string[] } };
    incompleteBlobListUri?: string;
    driveList?: { driveId: string; state: string; manifestFile?: string; manifestHash?: string; bytesSucceeded?: number; errorLogUri?: string; verboseLogUri?: string }[];
  };
  operator: { stopTransfer?: boolean; exportRanges?: ExportRangeView[]; creationId?: string; driveClaims?: DriveClaimView[] };
}

/** A drive's claim, as the operator API shows it. */
export interface DriveClaimView {
  driveId: string;
  agentId: string;
  claimedAt?: string;
  expiresAt: string;
}

export interface OperatorClientOptions {
  /** The agent's identity, carried by its events (see agent-identity.ts). */
  agentId?: string;
  /** Per call; default 30 s. */
  timeoutMs?: number;
  /** Tries per call; default 8 (about a minute of backoff: a restart of the service). */
  attempts?: number;
  /** The first wait before trying again, doubling up to 10 s; default 500 ms. */
  backoffMs?: number;
  /** Where a call that is tried again is logged, with why (one that got no answer goes to `onUnreachable` instead, when given). */
  log?: Logger;
  /** Told when a call got no answer at all (no connection, no answer in time) and will be tried again: the agent says so at once. */
  onUnreachable?: (error: unknown) => void;
}

const RETRIED_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const MAX_BACKOFF_MS = 10_000;

/** Where each drive of an export job started in the job's blob list, and where the next carries on. */
export interface ExportRangeView {
  driveId: string;
  start: number;
  next?: number;
  tooLarge?: string[];
}

export class OperatorApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "OperatorApiError";
  }
}

/** The service did not answer (no connection, or no answer in time), however often it was tried; `cause` says why. */
export class OperatorUnreachableError extends Error {
  constructor(
    /** The service's URL, as the agent was given it. */
    readonly baseUrl: string,
    method: string,
    path: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error && cause.name === "TimeoutError" ? "no answer in time" : cause instanceof Error ? (((cause as { cause?: Error }).cause?.message ?? cause.message) as string) : String(cause);
    super(`the operator API did not answer ${method} ${path.split("/").slice(0, 2).join("/")}/…: ${reason}`, { cause });
    this.name = "OperatorUnreachableError";
  }
}

export class OperatorClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly options: OperatorClientOptions = {},
  ) {}

  getJob(job: JobRef): Promise<OperatorJob> {
    return this.send("GET", this.jobPath(job));
  }

  async driveKey(job: JobRef, driveId: string): Promise<string> {
    const body = await this.send<{ bitLockerKey: string }>("POST", `${this.jobPath(job)}/drives/${encodeURIComponent(driveId)}/bitLockerKey`);
    return body.bitLockerKey;
  }

  /** The linked access check asked again for the job's own tenant: whether the agent may touch the job's account. */
  linkedAccess(job: JobRef): Promise<{ storageAccountId: string; granted: boolean; reason?: string }> {
    return this.send("GET", `${this.jobPath(job)}/linkedAccess`);
  }

  /** Claims the drive for this agent for `leaseDuration` (ISO-8601); `replaces` names a gone holder to take over from. */
  claim(job: JobRef, driveId: string, leaseDuration: string, replaces?: string): Promise<DriveClaimView> {
    return this.send("POST", `${this.jobPath(job)}/drives/${encodeURIComponent(driveId)}/claim`, { agentId: this.options.agentId, leaseDuration, replaces });
  }

  /** Lets the drive's claim go (the agent claimed it, then found nothing to copy). */
  async releaseClaim(job: JobRef, driveId: string): Promise<void> {
    await this.send("DELETE", `${this.jobPath(job)}/drives/${encodeURIComponent(driveId)}/claim`);
  }

  /**
   * Records one event, as this agent; answers the job after it (with `operator.stopTransfer` when the
   * copy should stop). A progress report is tried once: the next one makes good a lost one.
   */
  event(job: JobRef, event: Record<string, unknown>): Promise<OperatorJob> {
    const progress = event.type === "TransferProgress";
    const body = { ...event, agentId: this.options.agentId, ...(progress ? {} : { eventId: randomUUID() }) };
    return this.send("POST", `${this.jobPath(job)}/events`, body, progress ? 1 : undefined);
  }

  private jobPath(job: JobRef): string {
    return `/operator/subscriptions/${encodeURIComponent(job.subscriptionId)}/resourceGroups/${encodeURIComponent(job.resourceGroup)}/jobs/${encodeURIComponent(job.jobName)}`;
  }

  private async send<T>(method: string, path: string, body?: unknown, attempts = this.options.attempts ?? 8): Promise<T> {
    let wait = this.options.backoffMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce<T>(method, path, body);
      } catch (error) {
        const retried = error instanceof OperatorApiError ? RETRIED_STATUSES.has(error.status) : true;
        if (!retried || attempt >= attempts) throw error instanceof OperatorApiError ? error : new OperatorUnreachableError(this.baseUrl, method, path, error);
        const retryAfter = error instanceof OperatorApiError ? error.retryAfterMs : undefined;
        const delayMs = Math.min(retryAfter ?? wait, MAX_BACKOFF_MS);
        // Each retry said once: no answer at all to the caller's hook when it has one (it says so in its own words), else logged with its cause.
        if (!(error instanceof OperatorApiError) && this.options.onUnreachable) this.options.onUnreachable(error);
        else this.options.log?.warn(`${method} ${path} failed (attempt ${attempt} of ${attempts}); trying again in ${delayMs} ms`, { method, path, attempt, delayMs, error });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        wait = Math.min(wait * 2, MAX_BACKOFF_MS);
      }
    }
  }

  private async sendOnce<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, "")}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined; // not the service's JSON (a proxy's page): the status and the text below say what came
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const retryAfter = Number(response.headers.get("retry-after"));
      throw new OperatorApiError(response.status, error?.code ?? "RequestFailed", error?.message ?? (text.slice(0, 300) || response.statusText), Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    return parsed as T;
  }
}
