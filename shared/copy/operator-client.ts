/**
 * The copy agent's only way to the service: the operator API over HTTP, with the operator's token.
 * Reads the job, fetches one drive's BitLocker key, and records the transfer events; a refused
 * request comes back as an `OperatorApiError` carrying the API's own code and message.
 */

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
  operator: { stopTransfer?: boolean; exportRanges?: ExportRangeView[] };
}

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
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "OperatorApiError";
  }
}

export class OperatorClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
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

  /** Records one event; answers the job after it (with `operator.stopTransfer` when the copy should stop). */
  event(job: JobRef, event: Record<string, unknown>): Promise<OperatorJob> {
    return this.send("POST", `${this.jobPath(job)}/events`, event);
  }

  private jobPath(job: JobRef): string {
    return `/operator/subscriptions/${encodeURIComponent(job.subscriptionId)}/resourceGroups/${encodeURIComponent(job.resourceGroup)}/jobs/${encodeURIComponent(job.jobName)}`;
  }

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl.replace(/\/+$/, "")}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new OperatorApiError(response.status, error?.code ?? "RequestFailed", error?.message ?? (text.slice(0, 300) || response.statusText));
    }
    return parsed as T;
  }
}
