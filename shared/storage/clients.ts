/**
 * Builds the Table, Blob and Queue clients once per process, from a connection string (Azurite,
 * key-based accounts) or from service URIs with a token credential: the app's managed identity or
 * `DefaultAzureCredential`, unless the composition supplies another (`useStorageCredential`).
 * Every storage call goes through these clients' own pipelines, whatever the credential, and each
 * client carries the storage call policy (storage-pipeline.ts): one deadline per call, counting, and
 * the translation of failures into the service's errors.
 */
import { TableClient, TableServiceClient } from "@azure/data-tables";
import { BlobServiceClient, newPipeline as newBlobPipeline } from "@azure/storage-blob";
import { newPipeline as newQueuePipeline, QueueServiceClient } from "@azure/storage-queue";
import type { TokenCredential } from "@azure/core-auth";
import { createTracingClient } from "@azure/core-tracing";
import { Settings, StorageConnection } from "../config/settings";
import { CustomerAccounts } from "./customer-accounts";
import { storageCallPolicy, storageCallPolicyFactory } from "./storage-pipeline";

// Retries are bounded so a storage outage surfaces as a 503 within seconds instead of a hung
// request; the call's deadline (storage-pipeline.ts) bounds them all together.
const TABLE_RETRY = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 };
const STORAGE_RETRY = { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 1000 };

/** Plain HTTP only for a connection string (Azurite); service URIs with a credential stay on TLS. */
function tableOptions(settings: Settings) {
  return {
    retryOptions: TABLE_RETRY,
    allowInsecureConnection: settings.storage.kind === "connectionString",
    additionalPolicies: [{ policy: storageCallPolicy(settings.storageTimeoutMs), position: "perCall" as const }],
  };
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

/** The app's own identity (its managed identity in Azure): the credential of the identity-based storage connection. */
export function appIdentityCredential(settings: Settings): TokenCredential {
  if (settings.storage.kind !== "identity") throw new Error("the app's identity is the identity-based storage connection's; this configuration uses a connection string");
  return identityCredential(settings);
}

function identityCredential(settings: Settings): TokenCredential {
  const connection = settings.storage as IdentityConnection;
  if (credential?.connection !== connection) credential = { connection, value: credentialFactory(connection) };
  return credential.value;
}

export function createTableClient(settings: Settings, tableName: string): TableClient {
  const options = tableOptions(settings);
  return withoutIdleTracing(
    settings.storage.kind === "connectionString"
      ? TableClient.fromConnectionString(settings.storage.connectionString, tableName, options)
      : new TableClient(settings.storage.tableServiceUri, tableName, identityCredential(settings), options),
  );
}

export function createTableServiceClient(settings: Settings): TableServiceClient {
  const options = tableOptions(settings);
  return withoutIdleTracing(
    settings.storage.kind === "connectionString"
      ? TableServiceClient.fromConnectionString(settings.storage.connectionString, options)
      : new TableServiceClient(settings.storage.tableServiceUri, identityCredential(settings), options),
  );
}

/**
 * The SDK's tracing policy makes a span of each call for an OpenTelemetry instrumenter (registered
 * with core-tracing's `useInstrumenter`, as `@azure/monitor-opentelemetry` does). With none, its
 * spans record nothing and carry no context, yet it still sanitizes each call's URL into them: about
 * 30 µs of a point read's ~185 µs of CPU (docs/performance.md). So the table clients, Get Job's and
 * List's path, drop it when no instrumenter is there; one must be registered before the first
 * request, as OpenTelemetry's own set-up asks.
 */
function withoutIdleTracing<T extends { pipeline: { removePolicy(options: { name: string }): unknown } }>(client: T): T {
  if (!hasInstrumenter()) client.pipeline.removePolicy({ name: "tracingPolicy" });
  return client;
}

/** A W3C trace context: the default (no-op) instrumenter parses nothing; OpenTelemetry's, with its W3C propagator, reads it. */
const PROBE_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/** Asked without starting a span, so a real instrumenter gets no stray one. */
function hasInstrumenter(): boolean {
  const tracing = createTracingClient({ namespace: "Microsoft.Storage", packageName: "import-export-service" });
  return tracing.parseTraceparentHeader(PROBE_TRACEPARENT) !== undefined;
}

// The Blob and Queue libraries take extra policies only as factories in a `Pipeline` of their own
// (the libraries' documented way to customize one), built here from the account's URL and
// credential; for a connection string, as the libraries read it.
export function createBlobServiceClient(settings: Settings): BlobServiceClient {
  const url = settings.storage.kind === "connectionString" ? BlobServiceClient.fromConnectionString(settings.storage.connectionString).url : settings.storage.blobServiceUri;
  const pipeline = newBlobPipeline(accountCredential(settings), { retryOptions: STORAGE_RETRY });
  pipeline.factories.push(storageCallPolicyFactory(settings.storageTimeoutMs));
  return new BlobServiceClient(url, pipeline);
}

export function createQueueServiceClient(settings: Settings): QueueServiceClient {
  const url = settings.storage.kind === "connectionString" ? QueueServiceClient.fromConnectionString(settings.storage.connectionString).url : settings.storage.queueServiceUri;
  const pipeline = newQueuePipeline(accountCredential(settings), { retryOptions: STORAGE_RETRY });
  pipeline.factories.push(storageCallPolicyFactory(settings.storageTimeoutMs));
  return new QueueServiceClient(url, pipeline);
}

/** The account key of a key-based connection string (none for a SAS one: it rides on the URL). */
function accountCredential(settings: Settings) {
  if (settings.storage.kind === "identity") return identityCredential(settings);
  return BlobServiceClient.fromConnectionString(settings.storage.connectionString).credential;
}

/**
 * Customers' accounts (copy logs): keys from the settings, else the app's managed identity. Their
 * clients keep the SDK's own errors: the copy agent reads a blob's 409 and 412 itself.
 */
export function createCustomerAccounts(settings: Settings): CustomerAccounts {
  return new CustomerAccounts(settings.customerAccounts, {
    sasLifetimeMs: settings.logSasLifetimeMs,
    retryOptions: { ...STORAGE_RETRY, tryTimeoutInMs: settings.storageTimeoutMs },
    identity: () => identityCredential(settings),
  });
}
