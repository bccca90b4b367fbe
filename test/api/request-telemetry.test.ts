/**
 * Every HTTP invocation logs one structured record: operation, method, path, status, duration, the
 * subscription, resource group and job, the caller's tenant, and the request and correlation ids the
 * response carries. The correlation id is the caller's when it gives one, echoed; else a new one, as
 * ARM makes (not the request id: the bug this pins made them the same).
 */
import { randomUUID } from "node:crypto";
import { startLocalHost } from "../../devhost/local-host";
import { timerDefinitions } from "../../shared/service/app/timers";
import { DEV_TENANT } from "../../shared/service/auth/authenticator";
import { LogRecord } from "../../shared/telemetry/log";
import { call, importJobBody, newSubscriptionId, testEnvironment, TestService } from "../support/service";
import { uniqueStorageNames } from "../maintenance/helpers";
import { jobUrl } from "./helpers";

const RG = "Records-RG";
let service: TestService;
const lines: string[] = [];

/** The records written since `from` (the host writes JSON lines here). */
const recordsSince = (from: number): LogRecord[] => lines.slice(from).map((line) => JSON.parse(line) as LogRecord);
const requestRecords = (from: number) => recordsSince(from).filter((record) => record.event === "request");

beforeAll(async () => {
  testEnvironment(uniqueStorageNames());
  const host = await startLocalHost({ port: 0, timers: timerDefinitions(), log: (line) => lines.push(line), logFormat: "json" });
  service = { host, url: host.url, close: () => host.close() };
});
afterAll(() => service?.close());

test("one record per request, with the operation, the job it names, the caller's tenant and the ids it answered with", async () => {
  const sub = newSubscriptionId();
  const url = jobUrl(sub, RG, "recorded-job");
  const before = lines.length;
  const created = await call(service, "PUT", url, importJobBody(sub), { "x-ms-correlation-request-id": "corr-recorded-1" });
  const read = await call(service, "GET", url);
  expect([created.status, read.status]).toEqual([201, 200]);

  const [createRecord, getRecord, ...others] = requestRecords(before);
  expect(others).toEqual([]);
  expect(createRecord).toEqual(
    expect.objectContaining({
      level: "info",
      event: "request",
      operation: "Jobs_Create",
      method: "PUT",
      path: url.split("?")[0],
      status: 201,
      durationMs: expect.any(Number),
      subscriptionId: sub,
      resourceGroup: RG,
      job: "recorded-job",
      tenantId: DEV_TENANT,
      requestId: created.headers.get("x-ms-request-id"),
      correlationId: "corr-recorded-1",
      invocationId: expect.any(String),
    }),
  );
  expect(getRecord).toEqual(expect.objectContaining({ operation: "Jobs_Get", status: 200, job: "recorded-job", requestId: read.headers.get("x-ms-request-id"), correlationId: read.headers.get("x-ms-correlation-request-id") }));
  expect(created.headers.get("x-ms-correlation-request-id")).toBe("corr-recorded-1");
});

test("without a correlation id, a new one is made, echoed and logged: not the request id", async () => {
  const before = lines.length;
  const response = await call(service, "GET", jobUrl(newSubscriptionId(), RG, "nothing-here"));
  const requestId = response.headers.get("x-ms-request-id");
  const correlationId = response.headers.get("x-ms-correlation-request-id");
  expect(response.status).toBe(404);
  expect(correlationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(correlationId).not.toBe(requestId);
  expect(requestRecords(before)).toEqual([expect.objectContaining({ status: 404, level: "info", requestId, correlationId })]);
});

test("a correlation id that is no id (spaces, over 128 characters) is replaced by a new one, as a missing one is", async () => {
  for (const given of ["two words", "x".repeat(129), "\u00e9t\u00e9"]) {
    const response = await call(service, "GET", jobUrl(newSubscriptionId(), RG, "nothing-here"), undefined, { "x-ms-correlation-request-id": given });
    expect(response.headers.get("x-ms-correlation-request-id")).not.toBe(given);
    expect(response.headers.get("x-ms-correlation-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  }
  const kept = randomUUID();
  const response = await call(service, "GET", jobUrl(newSubscriptionId(), RG, "nothing-here"), undefined, { "x-ms-correlation-request-id": kept });
  expect(response.headers.get("x-ms-correlation-request-id")).toBe(kept);
});

test("a request no ARM operation takes (an unknown path, a portal page) still has its record", async () => {
  const before = lines.length;
  await call(service, "GET", "/no/such/path");
  await call(service, "GET", "/portal/no-such-page.js");
  expect(requestRecords(before)).toEqual([
    expect.objectContaining({ operation: "Unmatched", path: "/no/such/path", status: 404 }),
    expect.objectContaining({ operation: "Portal_Assets", path: "/portal/no-such-page.js", status: 404 }),
  ]);
});

test("a timer run through the admin endpoint logs its report as one record, and the host's own request record", async () => {
  const before = lines.length;
  const response = await call(service, "POST", "/admin/functions/MaintenanceSweep");
  expect(response.status).toBe(200);
  const records = recordsSince(before);
  expect(records).toContainEqual(expect.objectContaining({ event: "sweep", operation: "MaintenanceSweep", invocationId: expect.any(String), durationMs: response.body.report.sweep.durationMs }));
  expect(records).toContainEqual(expect.objectContaining({ event: "request", path: "/admin/functions/MaintenanceSweep", status: 200 }));
});
