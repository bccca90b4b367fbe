/**
 * The production wiring end to end, in a process of its own as the app runs (the entry's telemetry
 * step first). Without APPLICATIONINSIGHTS_CONNECTION_STRING, serving requests and a sweep loads no
 * OpenTelemetry at all. With one, `@azure/monitor-opentelemetry` exports to the ingestion endpoint
 * the connection string names: here this test's own, over HTTPS as the exporter insists, which keeps
 * every envelope it is sent. They are read back as Application Insights would store them: the
 * request with the job's properties, its storage calls as dependencies under it (and no duplicate
 * HTTP-level ones), the sweep, and the service's metrics.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import path from "node:path";
import { buildSync } from "esbuild";
import { jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { CliRun, runCli } from "../support/cli";
import { Ingestion, metricPoints, startIngestion } from "../support/ingestion";
import { newSubscriptionId } from "../support/service";

let ingestion: Ingestion;
let entry: string;

beforeAll(async () => {
  const folder = path.join(__dirname, "..", "..", "test-results", "cli");
  mkdirSync(folder, { recursive: true });
  entry = path.join(mkdtempSync(path.join(folder, "telemetry-")), "entry.js");
  buildSync({ entryPoints: [path.join(__dirname, "..", "support", "telemetry-entry.ts")], outfile: entry, bundle: true, platform: "node", target: "node20", format: "cjs", packages: "external", logLevel: "error" });
  ingestion = await startIngestion();
});
afterAll(() => ingestion?.close());

async function runApp(sub: string, telemetry: Record<string, string>): Promise<CliRun & { result: { statuses: number[]; requestId: string; loaded: string[] } }> {
  const run = await runCli(entry, [sub, jobUrl(sub, "Insights-RG", "exported-job")], {
    env: { ImportExportStorage: process.env.TEST_STORAGE_CONNECTION_STRING!, AUTH_MODE: "dev", ...uniqueStorageNames(), APPLICATIONINSIGHTS_CONNECTION_STRING: "", ...telemetry },
    timeoutMs: 120_000,
  });
  return { ...run, result: JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "null") };
}

test("without a connection string, a process that serves requests and a sweep loads no OpenTelemetry package", async () => {
  const run = await runApp(newSubscriptionId(), {});
  expect(run.result).toEqual({ statuses: [201, 200, 200], requestId: expect.any(String), loaded: [] });
});

test("with one, the request reaches Application Insights with the job's properties, its storage calls as dependencies under it, and the service's metrics", async () => {
  const sub = newSubscriptionId();
  const run = await runApp(sub, ingestion.environment);
  const { envelopes } = ingestion;
  expect(run.result.statuses).toEqual([201, 200, 200]);
  expect(run.result.loaded).toEqual(expect.arrayContaining(["@azure/monitor-opentelemetry", "@opentelemetry/api"]));

  const requests = envelopes.filter((envelope) => envelope.data.baseType === "RequestData");
  const get = requests.find((envelope) => envelope.data.baseData.properties?.["importexport.request_id"] === run.result.requestId);
  expect(get?.data.baseData).toEqual(
    expect.objectContaining({
      name: "GET /subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ImportExport/jobs/{jobName}",
      responseCode: "200",
      success: true,
      properties: expect.objectContaining({ "importexport.operation": "Jobs_Get", "importexport.subscription_id": sub, "importexport.job": "exported-job" }),
    }),
  );
  expect(get!.tags["ai.cloud.role"]).toBe("import-export-service");
  const dependencies = envelopes.filter((envelope) => envelope.data.baseType === "RemoteDependencyData" && envelope.tags["ai.operation.parentId"] === get!.data.baseData.id);
  expect(dependencies.length).toBeGreaterThanOrEqual(1);
  expect(dependencies.every((dependency) => dependency.tags["ai.operation.id"] === get!.tags["ai.operation.id"])).toBe(true);
  // Each storage call's HTTP span is the SDK's own: the HTTP instrumentation adds none under it.
  const httpSpans = new Set(envelopes.filter((envelope) => envelope.data.baseType === "RemoteDependencyData" && /^[A-Z]+ \//.test(String(envelope.data.baseData.name))).map((envelope) => envelope.data.baseData.id));
  expect(httpSpans.size).toBeGreaterThanOrEqual(1);
  expect(envelopes.filter((envelope) => envelope.data.baseType === "RemoteDependencyData" && httpSpans.has(envelope.tags["ai.operation.parentId"]))).toEqual([]);

  expect(requests.map((envelope) => envelope.data.baseData.name)).toContain("MaintenanceSweep");
  expect(metricPoints(envelopes, "importexport.jobs.created").length).toBeGreaterThanOrEqual(1);
  expect(metricPoints(envelopes, "importexport.state_changes")).toContainEqual(expect.objectContaining({ properties: expect.objectContaining({ subject: "job", state: "Creating" }) }));
  for (const name of ["importexport.sweep.duration", "importexport.sweep.entries_read", "importexport.sweep.jobs_deleted", "importexport.sweep.notices_sent"]) {
    expect([name, metricPoints(envelopes, name).length > 0]).toEqual([name, true]);
  }
});
