/**
 * Test harness: the real local host over the real route table, against the run's Azurite, with a
 * small fetch helper. Each suite gets unique subscription ids, so suites never share data.
 */
import { randomUUID } from "node:crypto";
import type { RunningAzurite } from "../../devhost/azurite";
import { startLocalHost, LocalHost } from "../../devhost/local-host";
import { getServices, resetServices } from "../../shared/app/services";
import { useStorageCredential } from "../../shared/storage/clients";
import { timerDefinitions } from "../../shared/app/timers";
import { DEV_TENANT, DEV_TOKENS } from "../../shared/auth/authenticator";
import { DEMOSTORE_SUBSCRIPTION } from "../../devhost/azurite";
import { Clock } from "../../shared/domain/clock";
import { BITLOCKER_KEY, MANIFEST_HASH } from "./fixtures";
import { azuriteTokenCredential, identityMode, identityStorageSettings, runIdentityStorage } from "./identity";

export const API = "api-version=2021-01-01";

export interface TestService {
  host: LocalHost;
  url: string;
  close(): Promise<void>;
}

/**
 * Settings every suite runs with; a suite may add its own (short durations, small limits). Storage
 * is the run's Azurite in the current mode: its connection string, or in identity mode its service
 * URIs over HTTPS with a token credential and no account key.
 */
export function testEnvironment(overrides: Record<string, string> = {}, clock?: Clock): void {
  Object.assign(process.env, {
    ...runStorageSettings(),
    JOBS_TABLE_NAME: "testjobs",
    AUTH_MODE: "dev",
    // Suites drive one subscription far past a customer's rate, many on a test clock that never moves
    // (so a bucket never refills): throttling is lifted here, and its own suites set its limits.
    THROTTLE_READ_BUCKET: "1000000",
    THROTTLE_WRITE_BUCKET: "1000000",
    THROTTLE_CONCURRENT_LISTS: "10000",
    ...overrides,
  });
  if (identityMode()) {
    // A connection string would win over the service URIs: none may be left from another suite.
    delete process.env.ImportExportStorage;
    useStorageCredential(() => azuriteTokenCredential);
  }
  resetServices(clock);
}

/** The storage settings of the run's Azurite, in the current mode. */
function runStorageSettings(): Record<string, string> {
  if (identityMode()) return identityStorageSettings(runIdentityStorage());
  const connectionString = process.env.TEST_STORAGE_CONNECTION_STRING;
  if (!connectionString) throw new Error("TEST_STORAGE_CONNECTION_STRING is not set: run the tests through jest's global setup");
  return { ImportExportStorage: connectionString };
}

/** The storage settings for a suite's own Azurite (see azuriteModeOptions), in the current mode. */
export function storageSettingsFor(azurite: RunningAzurite): Record<string, string> {
  return identityMode() ? identityStorageSettings(azurite.serviceUris) : { ImportExportStorage: azurite.connectionString };
}

/** A clock tests move by hand, so two weeks pass in a line. */
export class TestClock implements Clock {
  constructor(private current = new Date()) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
  set(time: Date): void {
    this.current = new Date(time);
  }
}

export async function startTestService(
  overrides: Record<string, string> = {},
  tls?: { key: string; cert: string },
  clock?: Clock,
): Promise<TestService> {
  testEnvironment(overrides, clock);
  const host = await startLocalHost({ port: 0, tls, timers: timerDefinitions() });
  const service = { host, url: host.url, close: () => host.close() };
  await registerDemostoreSubscription();
  return service;
}

/**
 * demostore's subscription (the account registry's entry for it) registered to the dev tenant, as
 * ARM's lifecycle notification would register it: the copy suites' jobs, in subscriptions of their
 * own, link demostore, which the linked access check grants only to that subscription's tenant.
 */
async function registerDemostoreSubscription(): Promise<void> {
  const { subscriptions } = await getServices();
  await subscriptions.notify(DEMOSTORE_SUBSCRIPTION, { state: "Registered", tenantId: DEV_TENANT });
}

export function newSubscriptionId(): string {
  return randomUUID();
}

// Responses are checked field by field in the tests, so their bodies are loosely typed here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  service: TestService,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse<T>> {
  // Dev-mode tokens by default: an operator's for the operator and admin surfaces, else a customer's.
  const authorization = /^\/(operator|admin)\//i.test(path) ? `Bearer ${DEV_TOKENS.operator}` : `Bearer ${DEV_TOKENS.customer}`;
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

export { BITLOCKER_KEY, MANIFEST_HASH };

export function driveSpec(driveId: string, overrides: Record<string, unknown> = {}) {
  return { driveId, bitLockerKey: BITLOCKER_KEY, manifestFile: "\\DriveManifest.xml", manifestHash: MANIFEST_HASH, ...overrides };
}

export function storageAccountId(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/storage-rg/providers/Microsoft.Storage/storageAccounts/teststore`;
}

export function importJobBody(subscriptionId: string, overrides: { properties?: Record<string, unknown>; [key: string]: unknown } = {}) {
  const { properties, ...rest } = overrides;
  return {
    location: "West US",
    ...rest,
    properties: {
      jobType: "Import",
      storageAccountId: storageAccountId(subscriptionId),
      driveList: [driveSpec("DRIVE01"), driveSpec("DRIVE02")],
      ...properties,
    },
  };
}

export function exportJobBody(subscriptionId: string, properties: Record<string, unknown> = {}) {
  return {
    location: "westus",
    properties: {
      jobType: "Export",
      storageAccountId: storageAccountId(subscriptionId),
      export: { blobList: { blobPathPrefix: ["/container/photos/"] } },
      ...properties,
    },
  };
}

export const RETURN_ADDRESS = {
  recipientName: "Test Person",
  streetAddress1: "1 Main Street",
  city: "Redmond",
  stateOrProvince: "WA",
  postalCode: "98007",
  countryOrRegion: "USA",
  phone: "4250000000",
  email: "test@contoso.com",
};

export const DELIVERY_PACKAGE = { carrierName: "FedEx", trackingNumber: "123456789012", driveCount: 2, shipDate: "2026-11-20" };

export function jobPath(subscriptionId: string, resourceGroup: string, jobName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ImportExport/jobs/${jobName}`;
}

/** An unsigned JWT with these claims: dev mode takes its claims as given (another tenant, a user name). */
export function devToken(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
}
