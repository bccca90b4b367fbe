/**
 * Two Table REST calls made below the SDK's typed methods, both sent through the table client's own
 * pipeline (its credential signs them, its retry policy and the storage call policy apply):
 *   - a point read for the hot path (Get Job): the typed `getEntity` spends more CPU serializing,
 *     deserializing and converting types than the rest of a Get does (see `npm run bench`); this
 *     asks for `odata=nometadata` and the selected columns, and parses the JSON once;
 *   - conditional deletes in one entity group transaction: the public `submitTransaction` deletes
 *     unconditionally (its "delete" action takes no ETag), which would let a sweep delete a job a
 *     customer changed a moment before. The wire format takes an `If-Match` per operation, so this
 *     writes the OData batch body itself ("Performing entity group transactions", Table REST API).
 *     This is the one storage call the SDK has no method for.
 */
import { randomUUID } from "node:crypto";
import { TableClient } from "@azure/data-tables";
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, HttpClient, PipelineRequest, PipelineResponse } from "@azure/core-rest-pipeline";
import { translateStorageError } from "./storage-errors";

export interface ConditionalDelete {
  partitionKey: string;
  rowKey: string;
  etag: string;
}

/** The most operations one entity group transaction may hold. */
export const MAX_TRANSACTION_OPERATIONS = 100;

const CRLF = "\r\n";

export interface EntityRead {
  etag: string;
  /** The selected properties, as JSON gives them (strings, numbers, booleans; no type conversion). */
  properties: Record<string, unknown>;
}

/** One HTTP client (one keep-alive agent) for these calls, made on first use. */
let httpClient: HttpClient | undefined;

/** Reads one entity's `select`ed properties; undefined when there is no such entity (or table). */
export async function readEntity(client: TableClient, partitionKey: string, rowKey: string, select: string[]): Promise<EntityRead | undefined> {
  const { accountUrl, sas } = endpointOf(client);
  const request = createPipelineRequest({
    url: `${accountUrl}${entityPath(client.tableName, partitionKey, rowKey)}?${selectQuery(select)}${sas ? `&${sas}` : ""}`,
    method: "GET",
    headers: createHttpHeaders(READ_HEADERS),
    allowInsecureConnection: accountUrl.startsWith("http:"),
  });
  const response = await send(client, request);
  if (response.status === 404) return undefined;
  if (response.status !== 200 || !response.etag) throw translateStorageError(failure(`Reading an entity failed with ${response.status}`, response.status));
  return { etag: response.etag, properties: (response.parsedBody ?? JSON.parse(response.body)) as Record<string, unknown> };
}

/**
 * Sends a request through the client's pipeline. The pipeline's deserialization policy (core-client)
 * has already parsed a JSON body into `parsedBody`, so a read does not parse it twice.
 */
async function send(client: TableClient, request: PipelineRequest): Promise<{ status: number; body: string; etag?: string; parsedBody?: unknown }> {
  const response: PipelineResponse & { parsedBody?: unknown } = await client.pipeline.sendRequest((httpClient ??= createDefaultHttpClient()), request);
  return { status: response.status, body: response.bodyAsText ?? "", etag: response.headers.get("etag"), parsedBody: response.parsedBody };
}

const READ_HEADERS = { accept: "application/json;odata=nometadata", "x-ms-version": "2019-02-02", DataServiceVersion: "3.0;" };

function entityPath(tableName: string, partitionKey: string, rowKey: string): string {
  return `/${tableName}(PartitionKey='${keyInUrl(partitionKey)}',RowKey='${keyInUrl(rowKey)}')`;
}

function selectQuery(select: string[]): string {
  return `$select=${select.map(encodeURIComponent).join(",")}`;
}

/**
 * Deletes all of `deletes` (one partition, at most 100) if every one still has its ETag, or none.
 * Returns false when one had changed or was gone (412/404): the caller settles them one by one.
 */
export async function deleteAllIfUnchanged(client: TableClient, deletes: ConditionalDelete[]): Promise<boolean> {
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
    allowInsecureConnection: accountUrl.startsWith("http:"),
  });
  const { status, body } = await send(client, request);
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
