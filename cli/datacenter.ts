/**
 * `npm run datacenter -- import|export`: the data-center copy agent. It runs where the drives are
 * plugged in, copies one import drive into the customer's storage account (or fills one export drive
 * from it), and talks to the service only through the operator API. AzCopy is the model for its output: a running line of blobs, bytes and
 * throughput, a closing summary, the log's address, and one JSON line at the end for scripts.
 */
import path from "node:path";
import { CustomerAccountSettingsError, customerAccountsFromSettings } from "./customer-accounts";
import { exportDrive, ExportResult } from "../shared/copy/export-drive";
import { CopyProgress, importDrive, ImportResult } from "../shared/copy/import-drive";
import { parseDriveSize } from "../shared/drive/export-packing";
import { OperatorApiError, OperatorClient } from "../shared/copy/operator-client";
import { agentIdentity, defaultStation, STATION } from "../shared/copy/agent-identity";
import { MAX_LEASE_MS, MIN_LEASE_MS } from "../shared/domain/drive-claims";
import { parseIsoDuration } from "../shared/domain/duration";
import { CustomerAccounts } from "../shared/storage/customer-accounts";
import { LOG_FORMATS, LogFormat, lineLogger, Logger, useProcessLogger } from "../shared/telemetry/log";
import { agentMetrics, AgentMetrics, CopyDirection } from "../shared/telemetry/metrics";
import { startApplicationInsights, stopApplicationInsights } from "../shared/telemetry/open-telemetry";

const EXIT = { completed: 0, failed: 1, usage: 2, completedMoreInfo: 3, faulted: 4, cancelled: 5, notCopied: 6, refused: 7 } as const;

const HELP = `Usage: npm run datacenter -- import --job <subscription>/<resourceGroup>/<jobName> --drive <driveId> --path <driveDir> [options]
       npm run datacenter -- export --job <subscription>/<resourceGroup>/<jobName> --drive <driveId> --path <driveDir> [--capacity <size>] [options]

import: see below. export: fills one drive of an export job with the job's blobs, in the list's
order, carrying on where the job's earlier drives stopped: each blob a file \\container\\name, a
drive manifest (DriveManifest.xml) with each block's MD5, a key record for the drive's new BitLocker
key (the customer reads it with List BitLocker Keys), copy logs in the account. The job's last drive
writes the blobs no drive held to the incomplete-blob list (Get Job's incompleteBlobListUri), in the
<BlobList> form a follow-up export job takes as its blobListBlobPath. Export drives are filled one
after another. --capacity <size> (bytes, or 500GB, 2TB, 64MiB) is the drive's size; default: the
folder's free space. Blobs that change or vanish during the copy are blob errors (CompletedMoreInfo).

Usage: npm run datacenter -- import --job <subscription>/<resourceGroup>/<jobName> --drive <driveId> --path <driveDir> [options]

Copies one import drive into the job's storage account: unlocks it (its key record against the
job's BitLocker key), checks its manifest against the job's manifestHash, copies every file as a
block blob (each block checked against the manifest's MD5), writes the copy logs to the account,
and reports every step through the operator API. Run it again after an interruption: it carries on
where it stopped.

Both commands first claim the drive (a lease renewed by the progress reports): a drive another
agent holds is refused before anything is written, naming that agent and when its claim expires
(exit 7). A run of this station that crashed is taken over at once; another station's claim must
expire, or an operator breaks it (DELETE /operator/.../drives/<driveId>/claim). Any failure during
the copy faults the drive with its error log linked.

Options:
  --job <sub>/<rg>/<job>     the import job
  --drive <driveId>          the drive (it must be 'Received', or 'Transferring' to resume)
  --path <dir>               where the unlocked drive is mounted
  --api <url>                the service (env IMPORTEXPORT_API_URL; default http://127.0.0.1:7071)
  --token <token>            an operator's bearer token (env IMPORTEXPORT_OPERATOR_TOKEN; default dev-operator)
  --parallelism <n>          blocks in flight at once, which bounds memory to n x 4 MiB (default 8)
  --state-dir <dir>          where the resume journal is kept (default .datacenter/)
  --progress-interval <ms>   how often progress is reported to the service (default 1000)
  --station <id>             this station's name in the agent's id '<station>/<run>' (env
                             IMPORTEXPORT_STATION_ID; default the host name); one per machine
  --lease <duration>         the claim's lease, ISO-8601, PT1S to P1D (default PT2M)
  --api-timeout <duration>   each call to the service, ISO-8601 (default PT30S); a call that times
                             out or finds the service down is tried again for about a minute
  --cap-mbps <n>             cap the upload at n megabits per second
  --log-format <text|json>   how the agent's log lines on stderr are written: for people (default),
                             or one JSON object a line for a machine to read
  -h, --help                 this text

Customer accounts are reached as the service reaches them: CUSTOMER_BLOB_ENDPOINT (an URL with
{account}) and CUSTOMER_ACCOUNT_KEYS ('account:key;...'); without keys, with the managed identity.
Locally they come from local.settings.json (or the sample), like npm start. With
APPLICATIONINSIGHTS_CONNECTION_STRING set, the run's spans and figures (bytes and files per second,
failures by code) go to Application Insights as 'import-export-agent'.

Exit codes: 0 copied without errors (Completed); 3 copied with blob errors or warnings
(CompletedMoreInfo, see the error log); 4 drive error, the drive is Faulted; 5 stopped because the
job was cancelled; 6 nothing copied (the drive is not in a state to copy); 7 refused: another agent
holds the drive (or took it over during the copy); 2 bad usage; 1 failure (the service could not
be reached).`;

interface ImportArgs {
  job: { subscriptionId: string; resourceGroup: string; jobName: string };
  driveId: string;
  drivePath: string;
  api: string;
  token: string;
  parallelism: number;
  stateDir: string;
  progressIntervalMs: number;
  capBytesPerSecond?: number;
  capacityBytes?: number;
  station: string;
  leaseDuration: string;
  apiTimeoutMs: number;
  logFormat: LogFormat;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): { command?: string; help: boolean; values: Map<string, string> } {
  const values = new Map<string, string>();
  let command: string | undefined;
  let help = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (arg === "-h" || arg === "--help") help = true;
    else if (arg.startsWith("--")) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
      const value = inline ?? argv[++index];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      values.set(name, value);
    } else if (!command) command = arg;
    else throw new UsageError(`unexpected argument '${arg}'`);
  }
  return { command, help, values };
}

function importArgs(values: Map<string, string>, command: string): ImportArgs {
  const known = ["job", "drive", "path", "api", "token", "parallelism", "state-dir", "progress-interval", "cap-mbps", "station", "lease", "api-timeout", "log-format", ...(command === "export" ? ["capacity"] : [])];
  const unknown = [...values.keys()].find((name) => !known.includes(name));
  if (unknown) throw new UsageError(`unknown option --${unknown}`);
  const required = (name: string) => {
    const value = values.get(name);
    if (!value) throw new UsageError(`--${name} is required`);
    return value;
  };
  const jobParts = required("job").split("/");
  if (jobParts.length !== 3 || jobParts.some((part) => !part)) throw new UsageError("--job must be <subscription>/<resourceGroup>/<jobName>");
  const number = (name: string, fallback: number, min: number, max: number) => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}`);
    return value;
  };
  const capMbps = values.has("cap-mbps") ? number("cap-mbps", 0, 0.001, 100_000) : undefined;
  const capacity = values.get("capacity");
  const capacityBytes = capacity === undefined ? undefined : parseDriveSize(capacity);
  if (capacity !== undefined && capacityBytes === undefined) throw new UsageError("--capacity must be a size: bytes, or a number with KB, MB, GB, TB, KiB, MiB, GiB or TiB");
  const station = values.get("station") ?? process.env.IMPORTEXPORT_STATION_ID ?? defaultStation();
  if (!STATION.test(station)) throw new UsageError("--station must be 1-64 letters, digits, '.', '-' or '_'");
  const duration = (name: string, fallback: string, min: number, max: number) => {
    const text = values.get(name) ?? fallback;
    const ms = parseIsoDuration(text);
    if (ms === undefined || ms < min || ms > max) throw new UsageError(`--${name} must be an ISO-8601 duration from ${min / 1000} s to ${max / 1000} s, such as ${fallback}`);
    return { text, ms };
  };
  return {
    job: { subscriptionId: jobParts[0], resourceGroup: jobParts[1], jobName: jobParts[2] },
    driveId: required("drive"),
    drivePath: path.resolve(required("path")),
    api: values.get("api") ?? process.env.IMPORTEXPORT_API_URL ?? "http://127.0.0.1:7071",
    token: values.get("token") ?? process.env.IMPORTEXPORT_OPERATOR_TOKEN ?? "dev-operator",
    parallelism: Math.floor(number("parallelism", 8, 1, 64)),
    stateDir: path.resolve(values.get("state-dir") ?? ".datacenter"),
    progressIntervalMs: number("progress-interval", 1000, 50, 60_000),
    capBytesPerSecond: capMbps !== undefined ? (capMbps * 1_000_000) / 8 : undefined,
    capacityBytes,
    station,
    leaseDuration: duration("lease", "PT2M", MIN_LEASE_MS, MAX_LEASE_MS).text,
    apiTimeoutMs: duration("api-timeout", "PT30S", 100, 600_000).ms,
    logFormat: logFormatOf(values.get("log-format")),
  };
}

function logFormatOf(text: string | undefined): LogFormat {
  if (text === undefined) return "text";
  if (!(LOG_FORMATS as readonly string[]).includes(text)) throw new UsageError(`--log-format must be ${LOG_FORMATS.join(" or ")}`);
  return text as LogFormat;
}

function customerAccounts(): CustomerAccounts {
  try {
    return customerAccountsFromSettings();
  } catch (error) {
    if (error instanceof CustomerAccountSettingsError) throw new UsageError(error.message);
    throw error;
  }
}

function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function progressLine(progress: CopyProgress): string {
  const percent = progress.totalBytes > 0 ? (progress.bytesDone * 100) / progress.totalBytes : 100;
  const rate = progress.elapsedMs > 0 ? (progress.bytesDone * 1000) / progress.elapsedMs : 0;
  return `${percent.toFixed(1)} %, ${progress.blobsDone} of ${progress.blobCount} blobs, ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.totalBytes)}, ${formatBytes(rate)}/s`;
}

/** In place on a terminal; a plain line every few seconds in a pipe. */
function progressPrinter(): { update(progress: CopyProgress): void; done(): void } {
  const tty = process.stderr.isTTY;
  let last = 0;
  let shown = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - last < (tty ? 200 : 5000)) return;
      last = now;
      shown = true;
      if (tty) process.stderr.write(`\r${progressLine(progress)}\x1b[K`);
      else process.stderr.write(`${progressLine(progress)}\n`);
    },
    done() {
      if (tty && shown) process.stderr.write("\n");
    },
  };
}

function exitCodeOf(result: ImportResult | ExportResult): number {
  switch (result.outcome) {
    case "Completed":
      return EXIT.completed;
    case "CompletedMoreInfo":
      return EXIT.completedMoreInfo;
    case "Cancelled":
      return EXIT.cancelled;
    case "Faulted":
      return EXIT.faulted;
    case "NotCopied":
      return EXIT.notCopied;
    case "Refused":
      return EXIT.refused;
  }
}

function summaryLine(result: ImportResult | ExportResult): string {
  switch (result.outcome) {
    case "Faulted":
      return result.driveStatus ? `Drive error (${result.driveStatus}): ${result.reason} The drive is Faulted for operators to resolve.` : `Stopped: ${result.reason}`;
    case "NotCopied":
      return `Nothing copied: ${result.reason}`;
    case "Refused":
      return `Refused: ${result.claim ? `drive claimed by agent '${result.claim.agentId}' until ${result.claim.expiresAt}. ` : ""}${result.reason}`;
    default: {
      const issues = Object.entries(result.summary.issuesByKind).map(([kind, count]) => `${count} ${kind}`);
      const seconds = result.durationMs / 1000;
      return (
        `${result.outcome}: ${result.summary.blobsCopied} blob${result.summary.blobsCopied === 1 ? "" : "s"} copied, ${formatBytes(result.bytesCopied)} in ${seconds.toFixed(1)} s` +
        `${seconds > 0 ? ` (${formatBytes(result.bytesCopied / seconds)}/s)` : ""}` +
        `${issues.length ? `; with errors or warnings: ${issues.join(", ")}` : ""}.` +
        `${"exportNext" in result ? `\nBlobs ${result.exportStart + 1} to ${result.exportNext} of the job's ${result.listLength}; ${result.blobsLeft} left${result.incompleteBlobListUri ? " (in the incomplete-blob list)" : result.blobsLeft > 0 ? " for the job's next drive" : ""}.` : ""}` +
        `${result.errorLogUri ? `\nError log: ${result.errorLogUri}` : ""}${result.verboseLogUri ? `\nVerbose log: ${result.verboseLogUri}` : ""}` +
        `${"incompleteBlobListUri" in result && result.incompleteBlobListUri ? `\nIncomplete-blob list: ${result.incompleteBlobListUri}` : ""}`
      );
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  if (parsed.help || !parsed.command) {
    (parsed.help ? process.stdout : process.stderr).write(`${HELP}\n`);
    return parsed.help ? EXIT.completed : EXIT.usage;
  }
  if (parsed.command !== "import" && parsed.command !== "export") {
    process.stderr.write(`unknown command '${parsed.command}'\n\n${HELP}\n`);
    return EXIT.usage;
  }
  let args: ImportArgs;
  let accounts: CustomerAccounts;
  try {
    args = importArgs(parsed.values, parsed.command);
    accounts = customerAccounts();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\nRun with --help for the options.\n`);
    return EXIT.usage;
  }
  const log = lineLogger((line) => process.stderr.write(`${line}\n`), args.logFormat);
  useProcessLogger(log);
  const direction: CopyDirection = parsed.command;
  const jobPath = `${args.job.subscriptionId}/${args.job.resourceGroup}/${args.job.jobName}`;
  // Before any client is built, so the storage calls are spans too.
  startApplicationInsights("import-export-agent");
  const metrics = agentMetrics(direction);
  const printer = progressPrinter();
  const agent = agentIdentity(args.station);
  const runLog = log.with({ job: jobPath, driveId: args.driveId, agentId: agent.agentId });
  try {
    const copy = parsed.command === "export" ? exportDrive : importDrive;
    const result = await copy({
      job: args.job,
      driveId: args.driveId,
      drivePath: args.drivePath,
      operator: new OperatorClient(args.api, args.token, { agentId: agent.agentId, timeoutMs: args.apiTimeoutMs, log: runLog }),
      claim: { agent, leaseDuration: args.leaseDuration },
      accounts,
      stateDir: args.stateDir,
      parallelism: args.parallelism,
      progressIntervalMs: args.progressIntervalMs,
      capBytesPerSecond: args.capBytesPerSecond,
      capacityBytes: args.capacityBytes,
      log: runLog,
      onProgress: (progress) => printer.update(progress),
    });
    printer.done();
    recordCopy(runLog, metrics, direction, result);
    process.stderr.write(`${summaryLine(result)}\n`);
    process.stdout.write(`${JSON.stringify({ job: jobPath, driveId: args.driveId, ...result })}\n`);
    return exitCodeOf(result);
  } catch (error) {
    printer.done();
    const message = error instanceof OperatorApiError ? `the operator API refused: ${error.message}` : error instanceof Error ? error.message : String(error);
    metrics.failed(error instanceof OperatorApiError ? error.code : "Failed");
    runLog.error(`Copy failed: ${message}`, { event: "copy", direction, outcome: "Failed", error });
    process.stderr.write(`Copy failed: ${message}\n`);
    process.stdout.write(`${JSON.stringify({ job: jobPath, driveId: args.driveId, outcome: "Failed", error: message })}\n`);
    return EXIT.failed;
  } finally {
    // The last spans and figures go out before the process ends.
    await stopApplicationInsights().catch((error) => log.warn("Sending the last telemetry failed", { error }));
  }
}

/**
 * The run's one record (its outcome, what it copied, how fast, what went wrong by code) and its
 * figures. Log URIs are written without their SAS: the record names the blob, the JSON line on
 * stdout gives the link.
 */
function recordCopy(log: Logger, metrics: AgentMetrics, direction: CopyDirection, result: ImportResult | ExportResult): void {
  const seconds = result.durationMs / 1000;
  if (result.outcome === "Faulted") metrics.failed(result.driveStatus ?? "Faulted");
  const copied = "summary" in result ? result : undefined;
  const figures = copied && {
    bytesCopied: copied.bytesCopied,
    totalBytes: copied.totalBytes,
    blobsCopied: copied.summary.blobsCopied,
    bytesPerSecond: seconds > 0 ? Math.round(copied.bytesCopied / seconds) : undefined,
    filesPerSecond: seconds > 0 ? Math.round((copied.summary.blobsCopied / seconds) * 100) / 100 : undefined,
    issuesByKind: copied.summary.issuesByKind,
    errorLog: withoutQuery(copied.errorLogUri),
    verboseLog: withoutQuery(copied.verboseLogUri),
  };
  if (copied) {
    metrics.copied(copied.bytesCopied, copied.summary.blobsCopied);
    // Dispositions that did what the customer asked (a rename, a skip) are warnings, not failures.
    for (const [code, count] of Object.entries(copied.summary.issuesByKind)) if (!DISPOSITION_WARNINGS.includes(code)) metrics.failed(code, count);
    if (seconds > 0 && copied.bytesCopied > 0) metrics.finished(figures!.bytesPerSecond!, figures!.filesPerSecond!);
  }
  const level = result.outcome === "Completed" ? "info" : result.outcome === "Faulted" ? "error" : "warn";
  log[level](`${direction} ${summaryLine(result).split("\n")[0]}`, {
    event: "copy",
    direction,
    outcome: result.outcome,
    driveStatus: "driveStatus" in result ? result.driveStatus : undefined,
    reason: "reason" in result ? result.reason : undefined,
    durationMs: result.durationMs,
    ...figures,
  });
}

const DISPOSITION_WARNINGS = ["Renamed", "Skipped"];

function withoutQuery(uri: string | undefined): string | undefined {
  return uri?.split("?")[0];
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
