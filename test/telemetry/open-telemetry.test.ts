/**
 * With OpenTelemetry on, the service's own instrumentation, read back from in-memory exporters: one
 * request is one server span (a child of the caller's trace, as the Functions host hands it over)
 * with the job's attributes and its storage calls as children; a sweep records its figures; a queue
 * that refuses a message is counted and logged with its cause. The SDK is set up here as a host
 * would (its providers registered globally, the Azure SDK's spans bridged as
 * `@azure/monitor-opentelemetry` bridges them); `useOpenTelemetry` turns the product's side on.
 */
import { randomBytes } from "node:crypto";
import * as coreTracing from "@azure/core-tracing";
import { AzureSdkInstrumentation } from "@azure/opentelemetry-instrumentation-azure-sdk";
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { AggregationTemporality, DataPoint, Histogram, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { startLocalHost } from "../../devhost/local-host";
import { getServices } from "../../shared/service/app/composition";
import { timerDefinitions } from "../../shared/service/app/timers";
import { DEV_TENANT } from "../../shared/service/auth/authenticator";
import { createQueueServiceClient, createTableClient } from "../../shared/storage/clients";
import { LogRecord } from "../../shared/telemetry/log";
import { useOpenTelemetry } from "../../shared/telemetry/open-telemetry";
import { jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { call, DELIVERY_PACKAGE, importJobBody, newSubscriptionId, RETURN_ADDRESS, TestClock, testEnvironment, TestService } from "../support/service";

const spans = new InMemorySpanExporter();
const figures = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: figures, exportIntervalMillis: 3_600_000 });
const clock = new TestClock(new Date(Math.floor(Date.now() / 1000) * 1000));
const lines: string[] = [];
let service: TestService;

beforeAll(async () => {
  // As a host sets OpenTelemetry up, before anything builds a storage client.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  // As the distro's eager bridge does: core-tracing is loaded already (jest's own copy, this file's).
  for (const module of new AzureSdkInstrumentation({ enabled: false }).getModuleDefinitions()) {
    if (module.name === "@azure/core-tracing") module.patch?.(coreTracing);
  }
  useOpenTelemetry();

  testEnvironment({ ...uniqueStorageNames(), CREATING_JOB_LIFETIME: "PT1H" }, clock);
  const host = await startLocalHost({ port: 0, timers: timerDefinitions(), log: (line) => lines.push(line), logFormat: "json" });
  service = { host, url: host.url, close: () => host.close() };
});
afterAll(async () => {
  await service?.close();
  await reader.shutdown();
});

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const serverSpans = () => spans.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
const childrenOf = (parent: ReadableSpan) => spans.getFinishedSpans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

/** Every point of the metric `name` exported so far (the reader is read first). */
async function points(name: string): Promise<DataPoint<number | Histogram>[]> {
  await reader.forceFlush();
  const exported = figures.getMetrics().at(-1);
  return exported?.scopeMetrics.flatMap((scope) => scope.metrics).filter((metric) => metric.descriptor.name === name).flatMap((metric) => metric.dataPoints as DataPoint<number | Histogram>[]) ?? [];
}
const sum = async (name: string, attributes: Record<string, string> = {}) =>
  (await points(name)).filter((point) => Object.entries(attributes).every(([key, value]) => point.attributes[key] === value)).reduce((total, point) => total + (point.value as number), 0);

test("one request is one server span, a child of the caller's trace, with the job's attributes and its storage calls as its children", async () => {
  const sub = newSubscriptionId();
  const url = jobUrl(sub, "Traced-RG", "traced-job");
  expect((await call(service, "PUT", url, importJobBody(sub))).status).toBe(201);
  spans.reset();

  const [traceId, parentId] = [hex(16), hex(8)];
  const response = await call(service, "GET", url, undefined, { traceparent: `00-${traceId}-${parentId}-01`, "x-ms-correlation-request-id": "corr-traced" });
  expect(response.status).toBe(200);

  const [server, ...otherServers] = serverSpans();
  expect(otherServers).toEqual([]);
  expect(server.name).toBe("GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ImportExport/jobs/{jobName}");
  expect(server.spanContext().traceId).toBe(traceId);
  expect(server.parentSpanContext?.spanId).toBe(parentId);
  expect(server.attributes).toEqual(
    expect.objectContaining({
      "http.request.method": "GET",
      "http.response.status_code": 200,
      "importexport.operation": "Jobs_Get",
      "importexport.subscription_id": sub,
      "importexport.resource_group": "Traced-RG",
      "importexport.job": "traced-job",
      "importexport.tenant_id": DEV_TENANT,
      "importexport.request_id": response.headers.get("x-ms-request-id"),
      "importexport.correlation_id": "corr-traced",
    }),
  );
  // The storage calls the request made: the SDK's own spans, under the request's.
  const storage = childrenOf(server);
  expect(storage.length).toBeGreaterThanOrEqual(1);
  expect(storage.every((span) => span.kind === SpanKind.CLIENT && span.spanContext().traceId === traceId)).toBe(true);
  expect(storage).toContainEqual(expect.objectContaining({ name: "HTTP GET", attributes: expect.objectContaining({ "http.status_code": 200 }) }));
  // Nothing the request did is a span of its own outside it.
  expect(spans.getFinishedSpans().filter((span) => span !== server && !storage.includes(span))).toEqual([]);
});

test("a 4xx is the caller's: not a failed span; a 500 is, its storage calls under it and its cause in the error record", async () => {
  spans.reset();
  const bad = await call(service, "GET", "/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ImportExport/jobs/x?api-version=2021-01-01");
  expect(bad.status).toBe(400);
  const [refused] = serverSpans();
  expect(refused.attributes["http.response.status_code"]).toBe(400);
  expect(refused.status.code).toBe(SpanStatusCode.UNSET);

  // A stored job that can't be read: a 500.
  const sub = newSubscriptionId();
  const url = jobUrl(sub, "Broken-RG", "broken-job");
  expect((await call(service, "PUT", url, importJobBody(sub))).status).toBe(201);
  const { settings } = await getServices();
  await createTableClient(settings, settings.jobsTableName).updateEntity({ partitionKey: `${sub}:broken-rg`, rowKey: "broken-job", Job: "{not json" }, "Merge");
  spans.reset();
  const failed = await call(service, "GET", url);
  expect(failed.status).toBe(500);
  const [server] = serverSpans();
  expect(server.status.code).toBe(SpanStatusCode.ERROR);
  expect(server.attributes["http.response.status_code"]).toBe(500);
  expect(childrenOf(server).length).toBeGreaterThanOrEqual(1);
  expect(lines.map((line) => JSON.parse(line) as LogRecord)).toContainEqual(
    expect.objectContaining({ level: "error", message: `Request ${failed.headers.get("x-ms-request-id")} failed`, operation: "Jobs_Get", job: "broken-job", error: expect.objectContaining({ name: "SyntaxError", stack: expect.any(String) }) }),
  );
});

test("jobs created and state changes are counted, by state", async () => {
  const before = { created: await sum("importexport.jobs.created"), creating: await sum("importexport.state_changes", { subject: "job", state: "Creating" }) };
  const sub = newSubscriptionId();
  for (const name of ["counted-1", "counted-2"]) expect((await call(service, "PUT", jobUrl(sub, "Counted-RG", name), importJobBody(sub))).status).toBe(201);
  expect(await sum("importexport.jobs.created")).toBe(before.created + 2);
  expect(await sum("importexport.state_changes", { subject: "job", state: "Creating" })).toBe(before.creating + 2);
});

test("a sweep is a span with its storage calls, and emits its figures: duration, entries read, jobs deleted, notices sent", async () => {
  // A job left in Creating past its lifetime: the sweep deletes it.
  const sub = newSubscriptionId();
  expect((await call(service, "PUT", jobUrl(sub, "Swept-RG", "expired"), importJobBody(sub))).status).toBe(201);
  clock.advance(2 * 3_600_000);
  const before = { runs: (await points("importexport.sweep.duration")).reduce((n, point) => n + (point.value as Histogram).count, 0), deleted: await sum("importexport.sweep.jobs_deleted"), read: await sum("importexport.sweep.entries_read"), notices: await sum("importexport.sweep.notices_sent") };
  spans.reset();

  const response = await call(service, "POST", "/admin/functions/MaintenanceSweep");
  expect(response.status).toBe(200);
  const { sweep } = response.body.report;
  expect(sweep.jobsDeleted).toBeGreaterThanOrEqual(1);

  const [run] = serverSpans().filter((span) => span.name === "MaintenanceSweep");
  expect(run.attributes["importexport.operation"]).toBe("MaintenanceSweep");
  expect(childrenOf(run).length).toBeGreaterThan(2);
  const durations = await points("importexport.sweep.duration");
  expect(durations.reduce((n, point) => n + (point.value as Histogram).count, 0)).toBe(before.runs + 1);
  expect(await sum("importexport.sweep.jobs_deleted")).toBe(before.deleted + sweep.jobsDeleted);
  expect(await sum("importexport.sweep.entries_read")).toBe(before.read + sweep.entitiesRead);
  expect(await sum("importexport.sweep.notices_sent")).toBe(before.notices + sweep.noticesSent);
});

test("a queue that refuses a job's messages is counted, and logged with its cause; the messages wait in the outbox", async () => {
  const sub = newSubscriptionId();
  const url = jobUrl(sub, "Queue-RG", "unnoticed");
  expect((await call(service, "PUT", url, importJobBody(sub, { properties: { returnAddress: RETURN_ADDRESS } }))).status).toBe(201);
  const before = await sum("importexport.queue.publish_failures", { source: "request" });
  const { settings } = await getServices();
  await createQueueServiceClient(settings).getQueueClient(settings.notificationsQueueName).delete();
  const from = lines.length;
  try {
    const update = await call(service, "PATCH", url, { properties: { state: "Shipping", deliveryPackage: DELIVERY_PACKAGE } });
    expect(update.status).toBe(200);
  } finally {
    await createQueueServiceClient(settings).getQueueClient(settings.notificationsQueueName).createIfNotExists();
  }
  expect(await sum("importexport.queue.publish_failures", { source: "request" })).toBeGreaterThan(before);
  const records = lines.slice(from).map((line) => JSON.parse(line) as LogRecord);
  expect(records).toContainEqual(
    expect.objectContaining({ level: "warn", job: "unnoticed", operation: "Jobs_Update", requestId: expect.any(String), message: expect.stringMatching(/refused \d+ message\(s\).*outbox/), error: expect.objectContaining({ code: "QueueNotFound" }) }),
  );
});
