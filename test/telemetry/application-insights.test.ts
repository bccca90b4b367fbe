/**
 * The production wiring end to end, in a process of its own as the app runs (the entry's telemetry
 * step first). Without APPLICATIONINSIGHTS_CONNECTION_STRING, serving requests and a sweep loads no
 * OpenTelemetry at all. With one, `@azure/monitor-opentelemetry` exports to the ingestion endpoint
 * the connection string names: here this test's own, over HTTPS as the exporter insists, which keeps
 * every envelope it is sent. They are read back as Application Insights would store them: the
 * request with the job's properties, its storage calls as dependencies under it (and no duplicate
 * HTTP-level ones), the sweep, and the service's metrics.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:https";
import { AddressInfo } from "node:net";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { buildSync } from "esbuild";
import { selfSignedCertificate } from "../../devhost/certificate";
import { jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { CliRun, runCli } from "../support/cli";
import { newSubscriptionId } from "../support/service";

interface Envelope {
  name: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> & { id?: string; properties?: Record<string, string>; metrics?: { name: string; value: number }[] } };
}

const envelopes: Envelope[] = [];
let ingestion: Server;
let folder: string;
let entry: string;
let certFile: string;

beforeAll(async () => {
  folder = path.join(__dirname, "..", "..", "test-results", "cli");
  mkdirSync(folder, { recursive: true });
  folder = mkdtempSync(path.join(folder, "telemetry-"));
  entry = path.join(folder, "entry.js");
  buildSync({ entryPoints: [path.join(__dirname, "..", "support", "telemetry-entry.ts")], outfile: entry, bundle: true, platform: "node", target: "node20", format: "cjs", packages: "external", logLevel: "error" });

  // An ingestion endpoint that keeps what it is sent and accepts it all, as Application Insights answers.
  const certificate = await selfSignedCertificate(1);
  certFile = path.join(folder, "cert.pem");
  writeFileSync(certFile, certificate.cert);
  ingestion = createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      const text = (request.headers["content-encoding"] === "gzip" ? gunzipSync(body) : body).toString("utf8").trim();
      let count = 0;
      if (request.url?.includes("/track") && text) {
        const sent = (text.startsWith("[") ? JSON.parse(text) : text.split("\n").map((line) => JSON.parse(line))) as Envelope[];
        envelopes.push(...sent);
        count = sent.length;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ itemsReceived: count, itemsAccepted: count, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => ingestion.listen(0, "127.0.0.1", resolve));
});
afterAll(() => new Promise((resolve) => ingestion?.close(resolve)));

async function runApp(sub: string, connectionString: string): Promise<CliRun & { result: { statuses: number[]; requestId: string; loaded: string[] } }> {
  const run = await runCli(entry, [sub, jobUrl(sub, "Insights-RG", "exported-job")], {
    env: {
      ImportExportStorage: process.env.TEST_STORAGE_CONNECTION_STRING!,
      AUTH_MODE: "dev",
      ...uniqueStorageNames(),
      APPLICATIONINSIGHTS_CONNECTION_STRING: connectionString,
      NODE_EXTRA_CA_CERTS: certFile,
      // Every trace kept (the default keeps about 5 a second), and no Statsbeat to Microsoft's endpoints.
      OTEL_TRACES_SAMPLER: "always_on",
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED: "true",
    },
    timeoutMs: 120_000,
  });
  return { ...run, result: JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "null") };
}

test("without a connection string, a process that serves requests and a sweep loads no OpenTelemetry package", async () => {
  const run = await runApp(newSubscriptionId(), "");
  expect(run.result).toEqual({ statuses: [201, 200, 200], requestId: expect.any(String), loaded: [] });
});

test("with one, the request reaches Application Insights with the job's properties, its storage calls as dependencies under it, and the service's metrics", async () => {
  const endpoint = `https://127.0.0.1:${(ingestion.address() as AddressInfo).port}/`;
  const sub = newSubscriptionId();
  const run = await runApp(sub, `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${endpoint};LiveEndpoint=${endpoint}`);
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
  const metricNames = envelopes.filter((envelope) => envelope.data.baseType === "MetricData").flatMap((envelope) => envelope.data.baseData.metrics!.map((metric) => metric.name));
  expect(metricNames).toEqual(expect.arrayContaining(["importexport.jobs.created", "importexport.state_changes", "importexport.sweep.duration", "importexport.sweep.entries_read"]));
});
