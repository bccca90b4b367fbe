/**
 * OpenTelemetry, on only when the deployment asks for it. With `APPLICATIONINSIGHTS_CONNECTION_STRING`
 * set, `startApplicationInsights` (called by each process's entry before anything else is loaded)
 * configures `@azure/monitor-opentelemetry`: the spans of invocation.ts, the storage calls as their
 * children (the Azure SDK's own spans; clients.ts keeps its tracing policy exactly when an instrumenter
 * is registered), and the figures of metrics.ts, all exported to Application Insights.
 *
 * Without it nothing here loads: the OpenTelemetry API and the distro are required only once on, so
 * neither the cold start nor a request pays for telemetry it does not send.
 */
import type * as OpenTelemetryApi from "@opentelemetry/api";
import type { TokenCredential } from "@azure/core-auth";

export type OpenTelemetry = typeof OpenTelemetryApi;

let api: OpenTelemetry | undefined;
let started: { shutdown(): Promise<void> } | undefined;

/** The OpenTelemetry API once telemetry is on (`useOpenTelemetry`), else undefined: instrument nothing. */
export function openTelemetry(): OpenTelemetry | undefined {
  return api;
}

/**
 * Instruments the code against the OpenTelemetry API from now on: spans and metrics go to whatever
 * providers are registered globally (Azure Monitor's, below, or another SDK's set up by the host).
 */
export function useOpenTelemetry(): OpenTelemetry {
  // Loaded only here: see the header.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  api ??= require("@opentelemetry/api") as OpenTelemetry;
  return api;
}

/**
 * Who the telemetry is from, as Application Insights' `cloud_RoleName`: in a function app its site
 * name, as the Functions host names its own telemetry, so the two are one role; else this.
 */
export type TelemetryRole = "import-export-service" | "import-export-agent";

/**
 * Starts exporting to Application Insights when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set; a
 * no-op otherwise. Call it before the first storage client is built. With
 * `APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD[;ClientId=…]` (the template's: the
 * component accepts no key) telemetry is sent with the managed identity, which the template grants
 * Monitoring Metrics Publisher. Returns whether it started.
 */
export function startApplicationInsights(role: TelemetryRole, env: Record<string, string | undefined> = process.env): boolean {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString || started) return Boolean(started);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const monitor = require("@azure/monitor-opentelemetry") as typeof import("@azure/monitor-opentelemetry");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { resourceFromAttributes } = require("@opentelemetry/resources") as typeof import("@opentelemetry/resources");
  monitor.useAzureMonitor({
    azureMonitorExporterOptions: { connectionString, credential: entraCredential(env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING) },
    resource: resourceFromAttributes({ "service.name": env.WEBSITE_SITE_NAME || role }),
    instrumentationOptions: {
      // The storage calls are the Azure SDK's spans. The HTTP instrumentation would add a second span
      // under each, and the worker serves no HTTP itself (the Functions host does).
      azureSdk: { enabled: true },
      http: { enabled: false },
      mongoDb: { enabled: false },
      mySql: { enabled: false },
      postgreSql: { enabled: false },
      redis: { enabled: false },
      redis4: { enabled: false },
    },
  });
  started = { shutdown: () => monitor.shutdownAzureMonitor() };
  useOpenTelemetry();
  return true;
}

/**
 * Sends what is still buffered and stops: for a process that ends (a command-line tool), so its last
 * spans and figures are not lost with it.
 */
export async function stopApplicationInsights(): Promise<void> {
  const running = started;
  started = undefined;
  await running?.shutdown();
}

/** The managed identity (a user-assigned one with `ClientId`) when the authentication string asks for Entra ID. */
function entraCredential(authentication: string | undefined): TokenCredential | undefined {
  const pairs = new Map<string, string>();
  for (const pair of (authentication ?? "").split(";")) {
    const [name, value = ""] = pair.split("=").map((part) => part.trim());
    if (name) pairs.set(name.toLowerCase(), value);
  }
  if (pairs.get("authorization")?.toUpperCase() !== "AAD") return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  const clientId = pairs.get("clientid");
  return clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential();
}
