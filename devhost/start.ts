/**
 * `npm start`: starts Azurite (data under the git-ignored `.azurite/`), then the local host on
 * http://127.0.0.1:7071 (or HTTPS with `--https`), and prints the URL and an example request.
 * Ctrl-C stops both.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { projectRoot } from "../shared/storage/locations.file";
import { getServices, getSettings } from "../shared/app/services";
import { customerConnectionString, DEMOSTORE_ACCOUNT, isPortOpen, RunningAzurite, startAzurite } from "./azurite";
import { selfSignedCertificate } from "./certificate";
import { startLocalHost } from "./local-host";
import { timerDefinitions } from "../shared/app/timers";

const root = projectRoot();

/** Loads `local.settings.json` (or the sample) into the environment, as `func start` does; real env wins. */
export function loadLocalSettings(): string {
  const file = ["local.settings.json", "local.settings.sample.json"].map((name) => path.join(root, name)).find(existsSync);
  if (!file) return "(no local settings file)";
  const values = (JSON.parse(readFileSync(file, "utf8")).Values ?? {}) as Record<string, string>;
  for (const [name, value] of Object.entries(values)) process.env[name] ??= String(value);
  return path.basename(file);
}

/**
 * With `UseDevelopmentStorage=true`, starts Azurite on its usual ports with its data in `.azurite/`,
 * unless something already listens there (a running `npm start`, or an Azurite of your own).
 */
export async function startLocalAzuriteIfNeeded(log: (line: string) => void): Promise<RunningAzurite | undefined> {
  if (!/UseDevelopmentStorage=true/i.test(process.env.ImportExportStorage ?? "")) return undefined;
  const ports = { blob: 10000, queue: 10001, table: 10002 };
  if (await isPortOpen(ports.table)) {
    log("Azurite (or another storage emulator) is already listening on 10000-10002; using it.");
    return undefined;
  }
  const location = path.join(root, ".azurite");
  mkdirSync(location, { recursive: true });
  const azurite = await startAzurite({ ports, location });
  log(`Azurite started (blob 10000, queue 10001, table 10002), data in ${path.relative(process.cwd(), location) || "."}/`);
  return azurite;
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

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const settingsFile = loadLocalSettings();
  const useHttps = args.includes("--https") || process.env.LOCAL_HOST_HTTPS === "true";
  const port = Number(process.env.LOCAL_HOST_PORT ?? 7071);

  const azurite = await startLocalAzuriteIfNeeded((line) => console.log(line));

  getSettings(); // a bad setting stops start-up here, naming the setting
  await getServices(); // creates the table once, before the first request
  const tls = useHttps ? await developmentCertificate() : undefined;
  const timers = timerDefinitions();
  const host = await startLocalHost({ port, tls, timers, scheduleTimers: true, log: (line) => console.log(line) });

  const subscription = "00000000-0000-0000-0000-000000000001";
  console.log(`\nImport/Export service listening on ${host.url} (settings from ${settingsFile})`);
  if (tls) console.log(`Self-signed certificate: ${tls.certFile}  (trust it with NODE_EXTRA_CA_CERTS=${tls.certFile})`);
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
    `  curl ${tls ? `--cacert ${tls.certFile} ` : ""}-X PUT '${host.url}/subscriptions/${subscription}/resourceGroups/demo/providers/Microsoft.ImportExport/jobs/first-job?api-version=2021-01-01' \\\n` +
      `    -H 'Authorization: Bearer dev' -H 'content-type: application/json' \\\n` +
      `    -d '{"location":"westus","properties":{"jobType":"Import","storageAccountId":"/subscriptions/${subscription}/resourceGroups/demo/providers/Microsoft.Storage/storageAccounts/demostore","driveList":[{"driveId":"9CA995BB","bitLockerKey":"238810-662376-448998-450120-652806-203390-606320-483076","manifestFile":"\\\\DriveManifest.xml","manifestHash":"4228EC5D8E048CB9B515338C789314BE8D0B2FDBC7C7A0308E1C826242CDE74E"}]}}'`,
  );
  console.log(`  curl ${tls ? `--cacert ${tls.certFile} ` : ""}-H 'Authorization: Bearer dev' '${host.url}/subscriptions/${subscription}/resourceGroups/demo/providers/Microsoft.ImportExport/jobs/first-job?api-version=2021-01-01'`);
  for (const timer of timers) {
    console.log(`\nTimer ${timer.name}: '${timer.schedule}' (UTC). Run it now: curl -X POST -H 'Authorization: Bearer dev-operator' ${host.url}/admin/functions/${timer.name}  (or npm run sweep)`);
  }
  console.log("\nCtrl-C stops the service and Azurite.");

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping...");
    await host.close();
    await azurite?.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
