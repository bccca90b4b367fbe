/**
 * Two Table REST calls made below the SDK's typed methods:
 *   - a point read for the hot path (Get Job): the typed `getEntity` spends more CPU serializing,
 *     deserializing and converting types than the rest of a Get does (see `npm run bench`); this
 *     asks for `odata=nometadata` and parses the JSON once, through the client's own pipeline (its
 *     credential signs, its retry policy applies) or, on a key-based account, straight over
 *     node:http, signed with the key;
 *   - conditional deletes in one entity group transaction: the public `submitTransaction` deletes
 *     unconditionally (its "delete" action takes no ETag), which would let a sweep delete a job a
 *     customer changed a moment before. The wire format takes an `If-Match` per operation, so this
 *     writes the OData batch body itself ("Performing entity group transactions", Table REST API).
 */
import { createHmac, randomUUID } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { TableClient } from "@azure/data-tables";
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, HttpClient, PipelineRequest } from "@azure/core-rest-pipeline";
import { translateStorageError } from "./storage-errors";

export interface ConditionalDelete {
  partitionKey: string;
  rowKey: string;
  etag: string;
}

/** The most operations one entity group transaction may hold. */
export const MAX_TRANSACTION_OPERATIONS = 100;

const CRLF = "\r\n";
let httpClient: HttpClient | undefined;

export interface EntityRead {
  etag: string;
  /** The selected properties, as JSON gives them (strings, numbers, booleans; no type conversion). */
  properties: Record<string, unknown>;
}

/** Point reads of one table's entities: the `select`ed properties, undefined when there is none. */
export interface EntityReader {
  read(partitionKey: string, rowKey: string, select: string[]): Promise<EntityRead | undefined>;
}

/** The account key a shared-key reader signs with. */
export interface SharedKey {
  accountName: string;
  accountKey: string;
}

/** Reads through the client's own pipeline: works with every credential (key, SAS, managed identity). */
export function pipelineReader(client: TableClient, timeoutMs: number): EntityReader {
  return { read: (partitionKey, rowKey, select) => readEntity(client, partitionKey, rowKey, select, timeoutMs) };
}

/** Reads one entity's `select`ed properties through the client's pipeline. */
export async function readEntity(client: TableClient, partitionKey: string, rowKey: string, select: string[], timeoutMs: number): Promise<EntityRead | undefined> {
  const { accountUrl, sas } = endpointOf(client);
  const request = createPipelineRequest({
    url: `${accountUrl}${entityPath(client.tableName, partitionKey, rowKey)}?${selectQuery(select)}${sas ? `&${sas}` : ""}`,
    method: "GET",
    headers: createHttpHeaders(READ_HEADERS),
    abortSignal: AbortSignal.timeout(timeoutMs),
    allowInsecureConnection: accountUrl.startsWith("http:"),
  });
  return entityReadOf(await sendThroughPipeline(client, request));
}

/** Sends a request through the client's own pipeline; a failure to get an answer is translated. */
async function sendThroughPipeline(client: TableClient, request: PipelineRequest): Promise<{ status: number; body: string; etag?: string }> {
  try {
    const response = await client.pipeline.sendRequest((httpClient ??= createDefaultHttpClient()), request);
    return { status: response.status, body: response.bodyAsText ?? "", etag: response.headers.get("etag") };
  } catch (error) {
    throw translateStorageError(error);
  }
}

/**
 * Reads with node:http on a keep-alive agent, signed here with the account key (SharedKeyLite, as the
 * SDK signs table requests), retrying a dropped connection or a 5xx as the client's retry policy
 * would. Get Job's hot path on key-based accounts (Azurite among them): the SDK's HTTP layer costs
 * about as much CPU again as everything else a Get does (see `npm run bench`).
 */
export function sharedKeyReader(client: TableClient, key: SharedKey, timeoutMs: number): EntityReader {
  const { accountUrl } = endpointOf(client);
  const base = new URL(accountUrl);
  const transport = base.protocol === "https:" ? https : http;
  const agent = new transport.Agent({ keepAlive: true });
  const secret = Buffer.from(key.accountKey, "base64");
  const basePath = base.pathname.replace(/\/+$/, "");

  const once = (path: string, query: string, signal: AbortSignal) =>
    new Promise<{ status: number; body: string; etag?: string }>((resolve, reject) => {
      const date = new Date().toUTCString();
      const signature = createHmac("sha256", secret).update(`${date}\n/${key.accountName}${path}`, "utf8").digest("base64");
      const headers = { ...READ_HEADERS, "x-ms-date": date, authorization: `SharedKeyLite ${key.accountName}:${signature}` };
      const request = transport.request({ hostname: base.hostname, port: base.port, path: `${path}?${query}`, method: "GET", headers, agent, signal }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), etag: response.headers.etag }));
        response.on("error", reject);
      });
      request.on("error", reject);
      request.end();
    });

  return {
    async read(partitionKey, rowKey, select) {
      const path = `${basePath}${entityPath(client.tableName, partitionKey, rowKey)}`;
      const signal = AbortSignal.timeout(timeoutMs);
      for (let attempt = 0; ; attempt++) {
        let response: { status: number; body: string; etag?: string } | undefined;
        let failed: unknown;
        try {
          response = await once(path, selectQuery(select), signal);
        } catch (error) {
          if (signal.aborted) throw translateStorageError(signal.reason ?? error);
          // Never answered (refused, reset): shaped as the SDK's RestError without a status.
          failed = failure(error instanceof Error ? error.message : String(error), undefined);
        }
        const transient = failed !== undefined || (response !== undefined && RETRIED_STATUSES.has(response.status));
        if (transient && attempt < READ_RETRIES) {
          await delay(READ_RETRY_DELAY_MS * 2 ** attempt, signal);
          continue;
        }
        if (failed !== undefined) throw translateStorageError(failed);
        return entityReadOf(response!);
      }
    },
  };
}

const READ_HEADERS = { accept: "application/json;odata=nometadata", "x-ms-version": "2019-02-02", DataServiceVersion: "3.0;" };
/** As the table clients' retry options (shared/storage/clients.ts): two retries, from 200 ms. */
const READ_RETRIES = 2;
const READ_RETRY_DELAY_MS = 200;
const RETRIED_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function entityPath(tableName: string, partitionKey: string, rowKey: string): string {
  return `/${tableName}(PartitionKey='${keyInUrl(partitionKey)}',RowKey='${keyInUrl(rowKey)}')`;
}

function selectQuery(select: string[]): string {
  return `$select=${select.map(encodeURIComponent).join(",")}`;
}

function entityReadOf(response: { status: number; body: string; etag?: string }): EntityRead | undefined {
  if (response.status === 404) return undefined;
  if (response.status !== 200 || !response.etag) throw translateStorageError(failure(`Reading an entity failed with ${response.status}`, response.status));
  return { etag: response.etag, properties: JSON.parse(response.body) as Record<string, unknown> };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(translateStorageError(signal.reason));
    }, { once: true });
  });
}

/**
 * Sent through the client's own pipeline (its credential signs it, its retry policy applies).
 * Deletes all of `deletes` (one partition, at most 100) if every one still has its ETag, or none.
 * Returns false when one had changed or was gone (412/404): the caller settles them one by one.
 */
export async function deleteAllIfUnchanged(client: TableClient, deletes: ConditionalDelete[], timeoutMs: number): Promise<boolean> {
  if (deletes.length === 0) return true;
  if (deletes.length > MAX_TRANSACTION_OPERATIONS || deletes.some((item) => item.partitionKey !== deletes[0].partitionKey)) {
    throw new Error(`A transaction takes at most ${MAX_TRANSACTION_OPERATIONS} operations of one partition`);
  }
  const batch = `batch_${randomUUID()}`;
  const changeset = `changeset_${randomUUID()}`;
  const { accountUrl, sas } = endpointOf(client);
  const lines = [`--${batch}`, `Content-Type: multipart/mixed; boundary=${changeset}`, ""];
  for (const item of deletes) {
    lines.push(
      `--${changeset}`,
      "Content-Type: application/http",
      "Content-Transfer-Encoding: binary",
      "",
      `DELETE ${accountUrl}${entityPath(client.tableName, item.partitionKey, item.rowKey)} HTTP/1.1`,
      "Accept: application/json;odata=minimalmetadata",
      "DataServiceVersion: 3.0;",
      `If-Match: ${item.etag}`,
      "",
    );
  }
  lines.push(`--${changeset}--`, `--${batch}--`, "");

  const request = createPipelineRequest({
    url: `${accountUrl}/$batch${sas ? `?${sas}` : ""}`,
    method: "POST",
    body: lines.join(CRLF),
    headers: createHttpHeaders({
      accept: "application/json",
      "x-ms-version": "2019-02-02",
      DataServiceVersion: "3.0;",
      MaxDataServiceVersion: "3.0;NetFx",
      "Content-Type": `multipart/mixed; boundary=${batch}`,
    }),
    abortSignal: AbortSignal.timeout(timeoutMs),
    allowInsecureConnection: accountUrl.startsWith("http:"),
  });
  const { status, body } = await sendThroughPipeline(client, request);
  if (status !== 202) throw translateStorageError(failure(`Entity group transaction failed with ${status}`, status));
  // A changeset either succeeds whole (a 204 per operation) or fails at one operation, whose status
  // is then the only one in the response.
  const statuses = [...body.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
  if (statuses.length === deletes.length && statuses.every((code) => code === 204)) return true;
  const failed = statuses.find((code) => code !== 204);
  if (failed === 412 || failed === 404) return false;
  throw translateStorageError(failure(`Entity group transaction failed: ${firstLine(body, failed)}`, failed));
}

/** The account URL, and the SAS a SAS connection string puts on it (it goes after the path). */
function endpointOf(client: TableClient): { accountUrl: string; sas?: string } {
  const [base, sas] = client.url.split("?");
  return { accountUrl: base.replace(/\/+$/, ""), sas: sas || undefined };
}

/** An error shaped as the SDK's `RestError`, so `translateStorageError` maps it the same way. */
function failure(message: string, statusCode: number | undefined): Error {
  return Object.assign(new Error(message), { statusCode, name: "RestError" });
}

/** OData key literal inside a URL: quotes doubled, then percent-encoded. */
function keyInUrl(key: string): string {
  return encodeURIComponent(key.replace(/'/g, "''"));
}

function firstLine(body: string, status: number | undefined): string {
  return body.split(/\r?\n/).find((line) => line.includes(`HTTP/1.1 ${status}`)) ?? `status ${status}`;
}
