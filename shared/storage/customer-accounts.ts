/**
 * Clients of customers' storage accounts, built once per account and reused: with the account's key
 * where one is configured (Azurite's accounts locally), else with the managed identity. Both the copy
 * agent (which writes the imported blobs and the copy logs) and the service (which signs read-only
 * URLs of those logs for Get Job) reach the accounts through here.
 */
import { BlobServiceClient, RestError, StoragePipelineOptions, StorageSharedKeyCredential } from "@azure/storage-blob";
import type { TokenCredential } from "@azure/core-auth";
import { CustomerAccountSettings, customerBlobEndpoint, storageAccountName } from "../config/customer-accounts";
import { copyLogLocation, CopyLogKind } from "../formats/copy-log-names";
import type { Job } from "../domain/job";
import { BlobUrlSigner, LogBlobStore } from "./log-blobs.store";
import { currentLogger } from "../telemetry/log";

/** Signs a read-only URL of one of a drive's copy logs in the customer's account. */
export type CopyLogSigner = (job: Pick<Job, "key" | "diagnosticsPath" | "storageAccountId" | "creationId">, driveId: string, kind: CopyLogKind) => string | undefined;

/** The service's own log blobs, and (as `copyLog`) the copy agent's logs in customers' accounts. */
export type LogUrlSigner = BlobUrlSigner & { copyLog?: CopyLogSigner };

/**
 * What one probe of a customer's account says: `reachable` (the service may read its container),
 * `notFound` (no such account: its host does not resolve, or the endpoint serves no such account),
 * `refused` (the account exists but refuses the service's credential: no role granted, a firewall),
 * `unknown` (no answer in time, a server error: nothing can be concluded).
 */
export type AccountReach =
  | { kind: "reachable" | "unconfigured" }
  | { kind: "notFound" | "refused" | "unknown"; status?: number; code?: string };

export interface CustomerAccountOptions {
  sasLifetimeMs: number;
  retryOptions?: StoragePipelineOptions["retryOptions"];
  /** The managed identity, for accounts without a configured key. */
  identity?: () => TokenCredential;
}

export class CustomerAccounts {
  private readonly clients = new Map<string, BlobServiceClient>();
  private readonly logStores = new Map<string, LogBlobStore>();

  constructor(
    private readonly settings: CustomerAccountSettings,
    private readonly options: CustomerAccountOptions,
  ) {}

  /**
   * Whether the account can be reached at all from this configuration: with keys configured only the
   * listed accounts can (locally: the accounts Azurite serves); otherwise every account, with the
   * identity (whether the customer granted it a role shows on the first request).
   */
  knows(accountName: string): boolean {
    return Object.keys(this.settings.keys).length > 0 ? accountName in this.settings.keys : !!this.options.identity;
  }

  /**
   * One Get Container Properties of `containerName` (the job's diagnostics container, where the copy
   * agent writes first) with the service's own credential, in one try within `timeoutMs`: a retry
   * would turn a DNS failure (Azure's answer for an account that does not exist) into a timeout.
   * `unconfigured`: this configuration reaches no such account at all (see `knows`).
   */
  async probe(accountName: string, containerName: string, timeoutMs: number): Promise<AccountReach> {
    if (!this.knows(accountName)) return { kind: "unconfigured" };
    const key = this.settings.keys[accountName];
    const credential = key ? new StorageSharedKeyCredential(accountName, key) : this.options.identity!();
    const client = new BlobServiceClient(customerBlobEndpoint(this.settings, accountName), credential, { retryOptions: { maxTries: 1, tryTimeoutInMs: timeoutMs } });
    try {
      await client.getContainerClient(containerName).getProperties({ abortSignal: AbortSignal.timeout(timeoutMs) });
      return { kind: "reachable" };
    } catch (error) {
      return reachOf(error);
    }
  }

  client(accountName: string): BlobServiceClient | undefined {
    if (!this.knows(accountName)) return undefined;
    let client = this.clients.get(accountName);
    if (!client) {
      const url = customerBlobEndpoint(this.settings, accountName);
      const key = this.settings.keys[accountName];
      const credential = key ? new StorageSharedKeyCredential(accountName, key) : this.options.identity!();
      client = new BlobServiceClient(url, credential, { retryOptions: this.options.retryOptions });
      this.clients.set(accountName, client);
    }
    return client;
  }

  /** The account's copy-log container as a log store: writes the logs, signs read-only URLs of them. */
  logStore(accountName: string, containerName: string): LogBlobStore | undefined {
    const client = this.client(accountName);
    if (!client) return undefined;
    const id = `${accountName}/${containerName}`;
    let store = this.logStores.get(id);
    if (!store) {
      store = new LogBlobStore(client, containerName, this.options.sasLifetimeMs);
      this.logStores.set(id, store);
    }
    return store;
  }

  /**
   * A signer of copy-log URLs for these jobs' accounts. Signing is local (account key, or a
   * user-delegation key fetched once per account), so it is prepared here, before the responses.
   */
  async copyLogSigner(jobs: Pick<Job, "key" | "diagnosticsPath" | "storageAccountId" | "creationId" | "drives" | "exportIncomplete">[], now: Date): Promise<CopyLogSigner> {
    const signers = new Map<string, BlobUrlSigner>();
    // Only jobs with logs in their customer's account need a signer: preparing one can cost a
    // request (a user-delegation key), or a failing credential chain, that a plain Get must not pay.
    for (const job of jobs.filter(hasCustomerAccountLogs)) {
      const account = storageAccountName(job.storageAccountId);
      if (!account) continue;
      const { container } = copyLogLocation(job, "", "error");
      const id = `${account}/${container}`;
      if (signers.has(id)) continue;
      const store = this.logStore(account, container);
      // An account the service cannot sign for (no role granted yet) just gets no log links; the log says why.
      const signer =
        store &&
        (await store.signer(now).catch((error) => {
          currentLogger().warn(`No copy log links for storage account '${account}': the service can't sign for it`, { account, error });
          return undefined;
        }));
      if (signer) signers.set(id, signer);
    }
    return (job, driveId, kind) => {
      const account = storageAccountName(job.storageAccountId);
      const location = copyLogLocation(job, driveId, kind);
      return account ? signers.get(`${account}/${location.container}`)?.(location.blobName) : undefined;
    };
  }
}

function reachOf(error: unknown): AccountReach {
  if (!(error instanceof RestError)) return { kind: "unknown" };
  const { statusCode: status, code } = error;
  // The account answered: the container is simply not made yet.
  if (status === 404 && code === "ContainerNotFound") return { kind: "reachable" };
  // No such host (Azure), or an endpoint that serves no such account (Azurite: ResourceNotFound).
  if (code === "ENOTFOUND" || status === 404) return { kind: "notFound", status, code };
  if (status === 401 || status === 403) return { kind: "refused", status, code };
  return { kind: "unknown", status, code };
}

/** Whether the copy agent left logs in the job's customer account: a drive's copy log, an export's incomplete list. */
function hasCustomerAccountLogs(job: Pick<Job, "drives" | "exportIncomplete">): boolean {
  return job.exportIncomplete !== undefined || job.drives.some((drive) => drive.copyLog !== undefined);
}
