/**
 * Run as a process of its own by test/telemetry/application-insights.test.ts, as the app runs: the
 * entry's telemetry step first, then the local host serving a Create, a Get and a sweep; then what
 * telemetry buffered is sent, and it prints the answers and the OpenTelemetry packages it loaded.
 */
import "../../functions/telemetry";
import { writeSync } from "node:fs";
import { startLocalHost } from "../../devhost/local-host";
import { timerDefinitions } from "../../shared/service/app/timers";
import { stopApplicationInsights } from "../../shared/telemetry/open-telemetry";
import { importJobBody } from "./service";

async function main(): Promise<void> {
  const [subscriptionId, jobPath] = process.argv.slice(2);
  const host = await startLocalHost({ port: 0, timers: timerDefinitions() });
  const json = { authorization: "Bearer dev", "content-type": "application/json" };
  const created = await fetch(`${host.url}${jobPath}`, { method: "PUT", headers: json, body: JSON.stringify(importJobBody(subscriptionId)) });
  const read = await fetch(`${host.url}${jobPath}`, { headers: json });
  const swept = await fetch(`${host.url}/admin/functions/MaintenanceSweep`, { method: "POST", headers: { authorization: "Bearer dev-operator" } });
  await host.close();
  await stopApplicationInsights();
  // The packages, not every file: with telemetry on they are hundreds.
  const loaded = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules[\\/]((?:@opentelemetry|@azure)[\\/][^\\/]+)[\\/]/.exec(file);
    if (match && /opentelemetry/.test(match[1])) loaded.add(match[1].replace("\\", "/"));
  }
  // Written at once: the process ends right after, and a pipe is written asynchronously.
  writeSync(1, `${JSON.stringify({ statuses: [created.status, read.status, swept.status], requestId: read.headers.get("x-ms-request-id"), loaded: [...loaded].sort() })}\n`);
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
