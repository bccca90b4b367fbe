/**
 * Builds the Table, Blob and Queue clients once per process, from a connection string (Azurite,
 * key-based accounts) or from service URIs with `DefaultAzureCredential` (managed identity).
 */
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { QueueServiceClient } from "@azure/storage-queue";
import type { TokenCredential } from "@azure/core-auth";
import { Settings } from "../config/settings";
import { EntityReader, pipelineReader, sharedKeyReader } from "./table-rest";
import { CustomerAccounts } from "./customer-accounts";

// Retries are bounded so a storage outage surfaces as a 503 within seconds instead of a hung
// request. Table calls also carry a timeout signal each (see the stores); the Blob and Queue
// libraries take a per-try timeout instead.
const TABLE_RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 };

function storageRetry(settings: Settings) {
  return { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: settings.storageTimeoutMs };
}

/** Plain HTTP only for a connection string (Azurite); service URIs with a credential stay on TLS. */
function tableOptions(settings: Settings) {
  return { retryOptions: TABLE_RETRY, allowInsecureConnection: settings.storage.kind === "connectionString" };
}

let credential: TokenCredential | undefined;
function identityCredential(): TokenCredential {
  // Loaded lazily: the identity library is only needed, and only paid for, in identity mode.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  credential ??= new (require("@azure/identity").DefaultAzureCredential)();
  return credential!;
}

export function createTableClient(settings: Settings, tableName: string): TableClient {
  const options = tableOptions(settings);
  if (settings.storage.kind === "connectionString") {
    return TableClient.fromConnectionString(settings.storage.connectionString, tableName, options);
  }
  return new TableClient(settings.storage.tableServiceUri, tableName, identityCredential(), options);
}

/**
 * How a table's hot point reads go: signed with the account key over node:http when the connection
 * string carries one (Azurite, key-based accounts), else through the client's pipeline (a SAS, the
 * `UseDevelopmentStorage` shorthand, a managed identity).
 */
export function createEntityReader(settings: Settings, client: TableClient): EntityReader {
  if (settings.storage.kind === "connectionString") {
    const fields = new Map(
      settings.storage.connectionString
        .split(";")
        .filter((pair) => pair.includes("="))
        .map((pair) => [pair.slice(0, pair.indexOf("=")).trim().toLowerCase(), pair.slice(pair.indexOf("=") + 1).trim()]),
    );
    const [accountName, accountKey] = [fields.get("accountname"), fields.get("accountkey")];
    if (accountName && accountKey) return sharedKeyReader(client, { accountName, accountKey }, settings.storageTimeoutMs);
  }
  return pipelineReader(client, settings.storageTimeoutMs);
}

export function createTableServiceClient(settings: Settings): TableServiceClient {
  const options = tableOptions(settings);
  if (settings.storage.kind === "connectionString") {
    return TableServiceClient.fromConnectionString(settings.storage.connectionString, options);
  }
  return new TableServiceClient(settings.storage.tableServiceUri, identityCredential(), options);
}

export function createBlobServiceClient(settings: Settings): BlobServiceClient {
  const retry = storageRetry(settings);
  if (settings.storage.kind === "connectionString") {
    return BlobServiceClient.fromConnectionString(settings.storage.connectionString, { retryOptions: retry });
  }
  return new BlobServiceClient(settings.storage.blobServiceUri, identityCredential(), { retryOptions: retry });
}

export function createQueueServiceClient(settings: Settings): QueueServiceClient {
  const retry = storageRetry(settings);
  if (settings.storage.kind === "connectionString") {
    return QueueServiceClient.fromConnectionString(settings.storage.connectionString, { retryOptions: retry });
  }
  return new QueueServiceClient(settings.storage.queueServiceUri, identityCredential(), { retryOptions: retry });
}

/** Customers' accounts (copy logs): keys from the settings, else the app's managed identity. */
export function createCustomerAccounts(settings: Settings): CustomerAccounts {
  return new CustomerAccounts(settings.customerAccounts, {
    sasLifetimeMs: settings.logSasLifetimeMs,
    timeoutMs: settings.storageTimeoutMs,
    retryOptions: storageRetry(settings),
    identity: identityCredential,
  });
}
