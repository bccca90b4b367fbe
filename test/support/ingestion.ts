/**
 * An Application Insights ingestion endpoint of the test's own: HTTPS (the exporter insists), with a
 * self-signed certificate a child process trusts through NODE_EXTRA_CA_CERTS, keeping every envelope
 * it is sent and accepting all of them, as the real one answers.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import { AddressInfo } from "node:net";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { selfSignedCertificate } from "../../devhost/certificate";

export interface Envelope {
  name: string;
  tags: Record<string, string>;
  data: {
    baseType: string;
    baseData: Record<string, unknown> & { id?: string; name?: string; properties?: Record<string, string>; metrics?: { name: string; value: number; count?: number }[] };
  };
}

export interface Ingestion {
  envelopes: Envelope[];
  /** The environment a process needs to send here: the connection string, the certificate's trust, every trace kept, no Statsbeat. */
  environment: Record<string, string>;
  close(): Promise<void>;
}

export async function startIngestion(): Promise<Ingestion> {
  const folder = path.join(__dirname, "..", "..", "test-results", "ingestion");
  mkdirSync(folder, { recursive: true });
  const certificate = await selfSignedCertificate(1);
  const certFile = path.join(mkdtempSync(path.join(folder, "cert-")), "cert.pem");
  writeFileSync(certFile, certificate.cert);
  const envelopes: Envelope[] = [];
  const server = createServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    envelopes,
    environment: {
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=${endpoint};LiveEndpoint=${endpoint}`,
      NODE_EXTRA_CA_CERTS: certFile,
      // Every trace kept (the default keeps about 5 a second), and no Statsbeat to Microsoft's endpoints.
      OTEL_TRACES_SAMPLER: "always_on",
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED: "true",
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The metric points sent under `name`, with their properties (the instrument's attributes). */
export function metricPoints(envelopes: Envelope[], name: string): { value: number; count?: number; properties: Record<string, string> }[] {
  return envelopes
    .filter((envelope) => envelope.data.baseType === "MetricData")
    .flatMap((envelope) => envelope.data.baseData.metrics!.filter((metric) => metric.name === name).map((metric) => ({ value: metric.value, count: metric.count, properties: envelope.data.baseData.properties ?? {} })));
}
