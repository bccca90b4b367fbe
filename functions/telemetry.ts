/**
 * The entry's first import: with APPLICATIONINSIGHTS_CONNECTION_STRING set, OpenTelemetry starts here,
 * before any other module of the app loads, so every storage client is built with tracing on and
 * every instrument on the registered meter provider. Without it this loads nothing more.
 */
if (process.env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim()) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require("../shared/telemetry/open-telemetry") as typeof import("../shared/telemetry/open-telemetry")).startApplicationInsights("import-export-service");
}

export {};
