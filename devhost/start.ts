/**
 * `npm start`: starts Azurite (data under the git-ignored `.azurite/`), then the local host on
 * http://127.0.0.1:7071 (or HTTPS with `--https`), and prints the URL and an example request.
 * Ctrl-C stops both.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../shared/config/project-root";
import { loadLocalSettings } from "../shared/config/local-settings";
import { getServices, getSettings } from "../shared/service/app/composition";
import { customerConnectionString, DEMOSTORE_ACCOUNT, DEMOSTORE_SUBSCRIPTION, isPortOpen, localAzuritePorts, RunningAzurite, startAzurite } from "./azurite";
import { CliSpec, exitOnUsageError, LOG_FORMAT_OPTION, logFormatOf, parseCommandLine } from "../cli/args";
import { selfSignedCertificate } from "./certificate";
import { LocalHost, startLocalHost } from "./local-host";
import { resolveAppSettings } from "./timer-schedule";
import { timerDefinitions } from "../shared/service/app/timers";
import { lineLogger, useProcessLogger } from "../shared/telemetry/log";
import { startApplicationInsights } from "../shared/telemetry/open-telemetry";

const root = projectRoot();

/** `NAME=value` for the banner; a setting that can hold a key or a connection string shows no value. */
export function describeSetting(name: string): string {
  return /storage|key|secret|password|connection/i.test(name) ? `${name}=(set)` : `${name}=${process.env[name]}`;
}

/**
 * When the storage is a local Azurite (`UseDevelopmentStorage=true`, or Azurite's account on
 * 127.0.0.1 ports of your choice), starts it with its data in `.azurite/` (or `AZURITE_LOCATION`),
 * unless something already listens there (a running `npm start`, or an Azurite of your own).
 */
export async function startLocalAzuriteIfNeeded(log: (line: string) => void): Promise<RunningAzurite | undefined> {
  const ports = localAzuritePorts(process.env.ImportExportStorage ?? "");
  if (!ports) return undefined;
  const portList = `blob ${ports.blob}, queue ${ports.queue}, table ${ports.table}`;
  if (await isPortOpen(ports.table)) {
    log(`Azurite (or another storage emulator) is already listening (${portList}); using it.`);
    return undefined;
  }
  const location = path.resolve(root, process.env.AZURITE_LOCATION || ".azurite");
  mkdirSync(location, { recursive: true });
  const azurite = await startAzurite({ ports, location });
  log(`Azurite started (${portList}), data in ${path.relative(process.cwd(), location) || "."}/`);
  return azurite;
}

/**
 * For the command-line tools: starts Azurite when the settings use development storage (as above);
 * when they name storage on this machine that nothing listens on, stops with that plainly, rather
 * than letting every call time out into "temporarily unavailable".
 */
export async function ensureLocalStorage(log: (line: string) => void): Promise<RunningAzurite | undefined> {
  const azurite = await startLocalAzuriteIfNeeded(log);
  if (azurite) return azurite;
  for (const endpoint of localEndpoints(process.env.ImportExportStorage ?? "")) {
    if (!(await isPortOpen(Number(endpoint.port), endpoint.hostname.replace(/^\[|\]$/g, "")))) {
      throw new Error(
        `Azurite isn't running: nothing listens on ${endpoint.host}, where ImportExportStorage points. ` +
          "Start it with npm start (in another terminal), or use ImportExportStorage=UseDevelopmentStorage=true and this command starts it.",
      );
    }
  }
  return undefined;
}

/**
 * For the command-line tools: the Azurite they started runs in its own process group (see
 * devhost/azurite.ts), so a Ctrl-C reaches only the tool, which must stop it, once, before leaving.
 */
export function stopOnInterrupt(azurite: RunningAzurite | undefined): void {
  if (!azurite) return;
  const interrupted = async () => {
    await azurite.stop();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
}

/** The loopback endpoints a connection string names (`TableEndpoint=http://127.0.0.1:10002/...`). */
function localEndpoints(connectionString: string): URL[] {
  const endpoints: URL[] = [];
  for (const match of connectionString.matchAll(/(?:Blob|Queue|Table)Endpoint=([^;]+)/gi)) {
    try {
      const url = new URL(match[1]);
      if (/^(127\.0\.0\.1|localhost|\[::1\])$/i.test(url.hostname) && url.port) endpoints.push(url);
    } catch {
      // A malformed endpoint is the settings' to report, at start-up.
    }
  }
  return endpoints;
}

async function developmentCertificate(): Promise<{ key: string; cert: string; certFile: string }> {
  const folder = path.join(root, ".devcerts");
  const keyFile = path.join(folder, "key.pem");
  const certFile = path.join(folder, "cert.pem");
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    mkdirSync(folder, { recursive: true });
    const generated = await selfSignedCertificate(825);
    writeFileSync(keyFile, generated.key, { mode: 0o600 });
    writeFileSync(certFile, generated.cert);
  }
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8"), certFile };
}

export const START_CLI = {
  command: "npm start --",
  summary:
    "Serves the app (its route table, portal and timers) on http://127.0.0.1:7071 with the settings of local.settings.json,\n" +
    "else local.settings.sample.json; starts Azurite (data in .azurite/) unless one is listening. Ctrl-C stops both.",
  options: {
    https: { type: "boolean", description: "serve HTTPS with a self-signed certificate kept in .devcerts/ (the Azure SDK needs it)" },
    "log-format": LOG_FORMAT_OPTION,
  },
  notes: [
    "Environment:",
    "  LOCAL_HOST_PORT=N       listen on another port (default 7071)",
    "  LOCAL_HOST_HTTPS=true   the same as --https",
    "  any setting (see docs/settings.md) overrides local.settings.json, e.g. CREATING_JOB_LIFETIME=PT2M",
    "  APPLICATIONINSIGHTS_CONNECTION_STRING=...  also send traces and metrics to Application Insights",
  ],
} satisfies CliSpec;

async function main(): Promise<void> {
  const args = parseCommandLine(process.argv.slice(2), START_CLI);
  const logFormat = exitOnUsageError(() => logFormatOf(args["log-format"], START_CLI));
  const settingsFile = loadLocalSettings();
  // Before any storage client is built: the storage calls are spans only if tracing is on first.
  const telemetry = startApplicationInsights("import-export-service");
  const writeLine = (line: string) => console.log(line);
  useProcessLogger(lineLogger(writeLine, logFormat));
  const useHttps = args.https === true || process.env.LOCAL_HOST_HTTPS === "true";
  const port = Number(process.env.LOCAL_HOST_PORT ?? 7071);

  const azurite = await ensureLocalStorage((line) => console.log(line));
  // Azurite runs in its own process group (devhost/azurite.ts): Ctrl-C reaches only this process,
  // which stops the host, then Azurite once, and waits until Azurite has saved its data.
  let host: LocalHost | undefined = undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping...");
    await host?.close();
    await azurite?.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  // Azurite gone under a running host (killed, out of memory, its disk full) would leave every
  // request a silent 503. Said plainly and stopped, rather than restarted: what killed it would
  // likely kill it again, and the reason is in its output, shown here.
  azurite?.process.once("exit", (code, signal) => {
    if (stopping) return;
    stopping = true;
    const said = azurite.stderr().trim().split("\n").slice(-3).join(" ").trim();
    console.error(`Azurite stopped unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})${said ? `: ${said}` : ""}.`);
    console.error("The service cannot reach its storage without it, so it stops too: run npm start again (the data is kept).");
    void (host?.close() ?? Promise.resolve()).finally(() => process.exit(1));
  });

  getSettings(); // a bad setting stops start-up here, naming the setting
  await getServices(); // creates the table once, before the first request
  const tls = useHttps ? await developmentCertificate() : undefined;
  const timers = timerDefinitions();
  host = await startLocalHost({ port, tls, timers, scheduleTimers: true, log: writeLine, logFormat });

  const subscription = DEMOSTORE_SUBSCRIPTION;
  const curl = `curl ${tls ? `--cacert ${tls.certFile} ` : ""}`;
  console.log(`\nImport/Export service listening on ${host.url} (settings from ${settingsFile.file})`);
  if (settingsFile.overriddenByEnvironment.length > 0) {
    console.log(`Set by the environment, overriding ${settingsFile.file}: ${settingsFile.overriddenByEnvironment.map(describeSetting).join(", ")}`);
  }
  if (tls) console.log(`Self-signed certificate: ${tls.certFile}  (trust it with NODE_EXTRA_CA_CERTS=${tls.certFile})`);
  if (telemetry) console.log("Traces and metrics go to Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING).");
  console.log(`Portal: ${host.url}/portal/  (your jobs; the operator console is ${host.url}/portal/operator)`);
  if (azurite) {
    console.log(`\nCustomer storage account '${DEMOSTORE_ACCOUNT}' (imports land here; open it with any storage tool):`);
    console.log(`  ${customerConnectionString(azurite.ports.blob)}`);
  }
  const settings = getSettings();
  if (settings.auth.mode === "dev") {
    console.log("\nAuth is in dev mode (AUTH_MODE=dev). Ready tokens:");
    console.log("  customer:  Authorization: Bearer dev");
    console.log("  operator:  Authorization: Bearer dev-operator");
    console.log("  (or any JWT with a 'tid' claim, unsigned, e.g. to act as another tenant)");
  }
  console.log("\nTry:");
  console.log(
    `  ${curl}-X PUT '${host.url}/subscriptions/${subscription}/resourceGroups/demo/providers/Microsoft.ImportExport/jobs/first-job?api-version=2021-01-01' \\\n` +
      `    -H 'Authorization: Bearer dev' -H 'content-type: application/json' \\\n` +
      `    -d '{"location":"westus","properties":{"jobType":"Import","storageAccountId":"/subscriptions/${subscription}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/demostore","driveList":[{"driveId":"9CA995BB","bitLockerKey":"238810-662376-448998-450120-652806-203390-606320-483076","manifestFile":"\\\\DriveManifest.xml","manifestHash":"4228EC5D8E048CB9B515338C789314BE8D0B2FDBC7C7A0308E1C826242CDE74E"}]}}'`,
  );
  console.log(`  ${curl}-H 'Authorization: Bearer dev' '${host.url}/subscriptions/${subscription}/resourceGroups/demo/providers/Microsoft.ImportExport/jobs/first-job?api-version=2021-01-01'`);
  for (const timer of timers) {
    console.log(`\nTimer ${timer.name}: '${resolveAppSettings(timer.schedule)}' (UTC). Run it now: ${curl}-X POST -H 'Authorization: Bearer dev-operator' ${host.url}/admin/functions/${timer.name}  (or npm run sweep)`);
  }
  console.log("\nCtrl-C stops the service and Azurite.");

}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
