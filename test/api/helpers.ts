/**
 * Shared helpers of the API tests: a `call` that checks the request id every response must carry,
 * ARM error-shape assertions, and direct access to the jobs table (the service's own storage) for the states the
 * customer API cannot reach.
 */
import { TableClient } from "@azure/data-tables";
import { getSettings } from "../../shared/service/app/composition";
import { createTableClient } from "../../shared/storage/clients";
import {
  API,
  ApiResponse,
  call,
  importJobBody,
  jobPath,
  TestService,
} from "../support/service";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `call`, asserting the response carries an `x-ms-request-id` (success and error alike). */
export async function api(
  service: TestService,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const response = await call(service, method, path, body, headers);
  expectRequestId(response);
  return response;
}

export function expectRequestId(response: { headers: Headers }): void {
  expect(response.headers.get("x-ms-request-id")).toMatch(UUID);
}

export interface ExpectedError {
  target?: string;
  message?: RegExp | string;
}

/** Asserts the status and the exact ARM error shape `{error: {code, message, target?, details?}}`. */
export function expectArmError(response: ApiResponse, status: number, code: string, expected: ExpectedError = {}): void {
  if (response.status !== status) {
    throw new Error(`expected ${status} ${code} but got ${response.status}: ${JSON.stringify(response.body)}`);
  }
  expectRequestId(response);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(typeof response.body).toBe("object");
  expect(Object.keys(response.body)).toEqual(["error"]);
  const error = response.body.error;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(error)) expect(["code", "message", "target", "details"]).toContain(key);
  if (error.target !== undefined) expect(typeof error.target).toBe("string");
  if (error.details !== undefined) {
    expect(Array.isArray(error.details)).toBe(true);
    for (const detail of error.details) {
      expect(typeof detail.code).toBe("string");
      expect(typeof detail.message).toBe("string");
      for (const key of Object.keys(detail)) expect(["code", "message", "target"]).toContain(key);
    }
  }
  if (expected.target !== undefined) expect(error.target).toBe(expected.target);
  if (expected.message !== undefined) expect(error.message).toMatch(expected.message);
}

/** `jobPath` with the api-version query. */
export function jobUrl(subscriptionId: string, resourceGroup: string, jobName: string, suffix = ""): string {
  return `${jobPath(subscriptionId, resourceGroup, jobName)}${suffix}?${API}`;
}

/** Creates an import job (or the given body) and returns the response, asserting 201. */
export async function createJob(
  service: TestService,
  subscriptionId: string,
  resourceGroup: string,
  jobName: string,
  body: unknown = importJobBody(subscriptionId),
): Promise<ApiResponse> {
  const response = await api(service, "PUT", jobUrl(subscriptionId, resourceGroup, jobName), body);
  if (response.status !== 201) throw new Error(`create ${jobName}: ${response.status} ${JSON.stringify(response.body)}`);
  return response;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- Direct table access (the store's layout: PartitionKey "<sub>:<rg>", RowKey "<job>", lower case). ----

export function jobsTable(): TableClient {
  // Built as the service builds its own, so it reaches the same storage in either mode.
  return createTableClient(getSettings(), "testjobs");
}

export interface StoredEntity {
  partitionKey: string;
  rowKey: string;
  State: string;
  Job: string;
  BitLockerKeys: string;
  etag: string;
  [column: string]: unknown;
}

function keysOf(subscriptionId: string, resourceGroup: string, jobName: string) {
  return { partitionKey: `${subscriptionId}:${resourceGroup}`.toLowerCase(), rowKey: jobName.toLowerCase() };
}

export async function readEntity(subscriptionId: string, resourceGroup: string, jobName: string): Promise<StoredEntity> {
  const { partitionKey, rowKey } = keysOf(subscriptionId, resourceGroup, jobName);
  return (await jobsTable().getEntity(partitionKey, rowKey)) as unknown as StoredEntity;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readStoredJob(subscriptionId: string, resourceGroup: string, jobName: string): Promise<any> {
  return JSON.parse((await readEntity(subscriptionId, resourceGroup, jobName)).Job);
}

export async function entityExists(subscriptionId: string, resourceGroup: string, jobName: string): Promise<boolean> {
  try {
    await readEntity(subscriptionId, resourceGroup, jobName);
    return true;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return false;
    throw error;
  }
}

/**
 * Puts a stored job into a state the customer API cannot reach (as an operator would): the `Job`
 * document's state and the `State` column, plus any other document fields given.
 */
export async function setStoredState(
  subscriptionId: string,
  resourceGroup: string,
  jobName: string,
  state: string,
  documentFields: Record<string, unknown> = {},
): Promise<void> {
  const entity = await readEntity(subscriptionId, resourceGroup, jobName);
  const job = JSON.parse(entity.Job);
  const previous = job.state;
  const updated = {
    ...job,
    state,
    stateBeforeFault: state === "Faulted" ? previous : undefined,
    stateChangedAt: new Date().toISOString(),
    creatingExpiresAt: state === "Creating" ? job.creatingExpiresAt : undefined,
    ...documentFields,
  };
  await jobsTable().updateEntity(
    { partitionKey: entity.partitionKey, rowKey: entity.rowKey, State: state, Job: JSON.stringify(updated) },
    "Merge",
    { etag: entity.etag },
  );
}
