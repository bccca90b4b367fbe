/**
 * Builds the Table, Blob and Queue clients once per process, from a connection string (Azurite,
 * key-based accounts) or from service URIs with a token credential: the app's managed identity or
 * `DefaultAzureCredential`, unless the composition supplies another (`useStorageCredential`).
 */
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";
import { QueueServiceClient } from "@azure/storage-queue";
import type { TokenCredential } from "@azure/core-auth";
import { Settings, StorageConnection } from "../config/settings";
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

type IdentityConnection = Extract<StorageConnection, { kind: "identity" }>;

/** Makes the credential the service URIs are used with. */
export type StorageCredentialFactory = (connection: IdentityConnection) => TokenCredential;

/** As the Functions host reads `__credential`/`__clientId`: a managed identity, else DefaultAzureCredential. */
const azureIdentityCredential: StorageCredentialFactory = (connection) => {
  // Loaded lazily: the identity library is only needed, and only paid for, in identity mode.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  if (connection.credential === "managedidentity") {
    return connection.clientId ? new identity.ManagedIdentityCredential({ clientId: connection.clientId }) : new identity.ManagedIdentityCredential();
  }
  return new identity.DefaultAzureCredential();
};

let credentialFactory: StorageCredentialFactory = azureIdentityCredential;
let credential: { connection: IdentityConnection; value: TokenCredential } | undefined;

/**
 * Where the process is composed (a host other than Azure's, the tests' token-issuing Azurite), the
 * credential the service URIs are used with; the factory is called once per connection.
 */
export function useStorageCredential(factory: StorageCredentialFactory): void {
  credentialFactory = factory;
  credential = undefined;
}

function identityCredential(settings: Settings): TokenCredential {
  const connection = settings.storage as IdentityConnection;
  if (credential?.connection !== connection) credential = { connection, value: credentialFactory(connection) };
  return credential.value;
}

export function createTableClient(settings: Settings, tableName: string): TableClient {
  const options = tableOptions(settings);
  if (settings.storage.kind === "connectionString") {
    return TableClient.fromConnectionString(settings.storage.connectionString, tableName, options);
  }
  return new TableClient(settings.storage.tableServiceUri, tableName, identityCredential(settings), options);
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
  return new TableServiceClient(settings.storage.tableServiceUri, identityCredential(settings), options);
}

export function createBlobServiceClient(settings: Settings): BlobServiceClient {
  const retry = storageRetry(settings);
  if (settings.storage.kind === "connectionString") {
    return BlobServiceClient.fromConnectionString(settings.storage.connectionString, { retryOptions: retry });
  }
  return new BlobServiceClient(settings.storage.blobServiceUri, identityCredential(settings), { retryOptions: retry });
}

export function createQueueServiceClient(settings: Settings): QueueServiceClient {
  const retry = storageRetry(settings);
  if (settings.storage.kind === "connectionString") {
    return QueueServiceClient.fromConnectionString(settings.storage.connectionString, { retryOptions: retry });
  }
  return new QueueServiceClient(settings.storage.queueServiceUri, identityCredential(settings), { retryOptions: retry });
}

/** Customers' accounts (copy logs): keys from the settings, else the app's managed identity. */
export function createCustomerAccounts(settings: Settings): CustomerAccounts {
  return new CustomerAccounts(settings.customerAccounts, {
    sasLifetimeMs: settings.logSasLifetimeMs,
    timeoutMs: settings.storageTimeoutMs,
    retryOptions: storageRetry(settings),
    identity: () => identityCredential(settings),
  });
}
