#!/usr/bin/env node
/**
 * `importexport-datacenter import|export` (`npm run datacenter -- ...` in a clone): the data-center
 * copy agent. It runs where the drives are plugged in, copies one import drive into the customer's
 * storage account (or fills one export drive from it), and talks to the service only through the
 * operator API. AzCopy is the model for its output: a running line of blobs, bytes and throughput,
 * a closing summary, the log's address, and one JSON line at the end for scripts.
 */
import path from "node:path";
import { CliOption, CliSpec, CliValues, LOG_FORMAT_OPTION, logFormatOf, parseOptions, reportUsageError, selectCommand, ToolSpec, toolUsage, usage, UsageError } from "./args";
import { CustomerAccountSettingsError, customerAccountsFromSettings } from "./customer-accounts";
import { percentDone, ProgressLine, unreachableReason } from "./output";
import { exportDrive, ExportResult } from "../shared/datacenter-agent/export-drive";
import { CopyProgress, importDrive, ImportResult } from "../shared/datacenter-agent/import-drive";
import { parseDriveSize } from "../shared/formats/export-packing";
import { OperatorApiError, OperatorClient, OperatorUnreachableError } from "../shared/datacenter-agent/operator-client";
import { agentIdentity, defaultStation, STATION } from "../shared/datacenter-agent/agent-identity";
import { MAX_LEASE_MS, MIN_LEASE_MS } from "../shared/domain/drive-claims";
import { parseIsoDuration } from "../shared/domain/duration";
import { formatBytes } from "../shared/domain/byte-count";
import { CustomerAccounts } from "../shared/storage/customer-accounts";
import { LogFormat, lineLogger, Logger, useProcessLogger } from "../shared/telemetry/log";
import { agentMetrics, AgentMetrics, CopyDirection } from "../shared/telemetry/metrics";
import { startApplicationInsights, stopApplicationInsights } from "../shared/telemetry/open-telemetry";
import { redact } from "../shared/telemetry/redact";

const EXIT = { completed: 0, failed: 1, usage: 2, completedMoreInfo: 3, faulted: 4, cancelled: 5, notCopied: 6, refused: 7 } as const;

const TOOL = {
  name: "importexport-datacenter",
  summary:
    "The data-center copy agent: copies one drive of an import job into the customer's storage account, or fills one\n" +
    "drive of an export job from it, talking to the service only through the operator API.",
  commands: {
    import: { summary: "Copy one import drive into the job's storage account (resumable)" },
    export: { summary: "Fill one export drive with the job's blobs, where the job's earlier drives stopped" },
  },
  notes: [
    "Exit codes: 0 Completed; 3 CompletedMoreInfo (blob errors or warnings, see the error log); 4 drive error (Faulted);",
    "5 stopped by a cancellation; 6 nothing copied (the drive is not in a state to copy); 7 refused (another agent holds",
    "the drive); 2 bad usage; 1 the service could not be reached, or another failure.",
  ],
} satisfies ToolSpec;

const COPY_OPTIONS = {
  job: { type: "string", value: "<sub>/<rg>/<job>", description: "the job: its subscription, resource group and name" },
  drive: { type: "string", value: "<driveId>", description: "the drive (it must be 'Received', or 'Transferring' to resume)" },
  path: { type: "string", value: "<dir>", description: "where the unlocked drive is mounted" },
  api: { type: "string", value: "<url>", description: "the service (env IMPORTEXPORT_API_URL; default http://127.0.0.1:7071)" },
  token: { type: "string", value: "<token>", description: "an operator's bearer token (env IMPORTEXPORT_OPERATOR_TOKEN; default dev-operator)" },
  parallelism: { type: "string", value: "<n>", description: "blocks in flight at once, which bounds memory to n x 4 MiB (default 8)" },
  "state-dir": { type: "string", value: "<dir>", description: "where the resume journal is kept (default .datacenter/)" },
  "progress-interval": { type: "string", value: "<ms>", description: "how often progress is reported to the service (default 1000)" },
  station: { type: "string", value: "<id>", description: "this station's name in the agent's id '<station>/<run>' (env\nIMPORTEXPORT_STATION_ID; default the host name); one per machine" },
  lease: { type: "string", value: "<duration>", description: "the claim's lease, ISO-8601, PT1S to P1D (default PT2M)" },
  "api-timeout": { type: "string", value: "<duration>", description: "each call to the service, ISO-8601 (default PT30S); a call that times\nout or finds the service down is tried again for about a minute" },
  "cap-mbps": { type: "string", value: "<n>", description: "cap the transfer at n megabits per second" },
  "log-format": LOG_FORMAT_OPTION,
} satisfies Record<string, CliOption>;

/** What both commands' help says after the options. */
const COPY_NOTES = [
  "The drive is claimed first (a lease renewed by the progress reports): a drive another agent holds is refused",
  "before anything is written, naming that agent and when its claim expires (exit 7). A run of this station that",
  "crashed is taken over at once; another station's claim must expire, or an operator breaks it",
  "(DELETE /operator/.../drives/<driveId>/claim). Any failure during the copy faults the drive with its error log linked.",
  "",
  "Customer accounts are reached as the service reaches them: CUSTOMER_BLOB_ENDPOINT (an URL with {account}) and",
  "CUSTOMER_ACCOUNT_KEYS ('account:key;...'); without keys, with the managed identity. Each setting not in the",
  "environment comes from local.settings.json (or the sample), as npm start reads them. With",
  "APPLICATIONINSIGHTS_CONNECTION_STRING set, the run's spans and figures (bytes and files per second, failures by",
  "code) go to Application Insights as 'import-export-agent'.",
  "",
  ...TOOL.notes,
];

const IMPORT_CLI = {
  command: `${TOOL.name} import`,
  synopsis: ["--job <subscription>/<resourceGroup>/<jobName> --drive <driveId> --path <driveDir> [options]"],
  summary:
    "Copies one import drive into the job's storage account: unlocks it (its key record against the job's BitLocker\n" +
    "key), checks its manifest against the job's manifestHash, copies every file as a block blob (each block checked\n" +
    "against the manifest's MD5), writes the copy logs to the account, and reports every step through the operator\n" +
    "API. Run it again after an interruption: it carries on where it stopped.",
  options: COPY_OPTIONS,
  notes: COPY_NOTES,
} satisfies CliSpec;

const EXPORT_CLI = {
  command: `${TOOL.name} export`,
  synopsis: ["--job <subscription>/<resourceGroup>/<jobName> --drive <driveId> --path <driveDir> [--capacity <size>] [options]"],
  summary:
    "Fills one drive of an export job with the job's blobs, in the list's order, carrying on where the job's earlier\n" +
    "drives stopped: each blob a file \\container\\name, a drive manifest (DriveManifest.xml) with each block's MD5,\n" +
    "a key record for the drive's new BitLocker key (the customer reads it with List BitLocker Keys), copy logs in\n" +
    "the account. The job's last drive writes the blobs no drive held to the incomplete-blob list (Get Job's\n" +
    "incompleteBlobListUri), in the <BlobList> form a follow-up export job takes as its blobListBlobPath. Export\n" +
    "drives are filled one after another. Blobs that change or vanish during the copy are blob errors (CompletedMoreInfo).",
  options: {
    ...COPY_OPTIONS,
    capacity: { type: "string", value: "<size>", description: "the drive's size: bytes, or 500GB, 2TB, 64MiB (default: the folder's free space)" },
  },
  notes: COPY_NOTES,
} satisfies CliSpec;

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

function copyArgs(values: CliValues<typeof EXPORT_CLI.options>, spec: CliSpec): ImportArgs {
  const usageError = (message: string) => new UsageError(spec.command, message);
  const required = (name: "job" | "drive" | "path") => {
    const value = values[name];
    if (!value) throw usageError(`--${name} is required`);
    return value;
  };
  const jobParts = required("job").split("/");
  if (jobParts.length !== 3 || jobParts.some((part) => !part)) throw usageError("--job must be <subscription>/<resourceGroup>/<jobName>");
  const number = (name: "parallelism" | "progress-interval" | "cap-mbps", fallback: number, min: number, max: number) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) throw usageError(`--${name} must be a number from ${min} to ${max}`);
    return value;
  };
  const capMbps = values["cap-mbps"] !== undefined ? number("cap-mbps", 0, 0.001, 100_000) : undefined;
  const capacity = values.capacity;
  const capacityBytes = capacity === undefined ? undefined : parseDriveSize(capacity);
  if (capacity !== undefined && capacityBytes === undefined) throw usageError("--capacity must be a size: bytes, or a number with KB, MB, GB, TB, KiB, MiB, GiB or TiB");
  const station = values.station ?? process.env.IMPORTEXPORT_STATION_ID ?? defaultStation();
  if (!STATION.test(station)) throw usageError("--station must be 1-64 letters, digits, '.', '-' or '_'");
  const duration = (name: "lease" | "api-timeout", fallback: string, min: number, max: number) => {
    const text = values[name] ?? fallback;
    const ms = parseIsoDuration(text);
    if (ms === undefined || ms < min || ms > max) throw usageError(`--${name} must be an ISO-8601 duration from ${min / 1000} s to ${max / 1000} s, such as ${fallback}`);
    return { text, ms };
  };
  return {
    job: { subscriptionId: jobParts[0], resourceGroup: jobParts[1], jobName: jobParts[2] },
    driveId: required("drive"),
    drivePath: path.resolve(required("path")),
    api: values.api ?? process.env.IMPORTEXPORT_API_URL ?? "http://127.0.0.1:7071",
    token: values.token ?? process.env.IMPORTEXPORT_OPERATOR_TOKEN ?? "dev-operator",
    parallelism: Math.floor(number("parallelism", 8, 1, 64)),
    stateDir: path.resolve(values["state-dir"] ?? ".datacenter"),
    progressIntervalMs: number("progress-interval", 1000, 50, 60_000),
    capBytesPerSecond: capMbps !== undefined ? (capMbps * 1_000_000) / 8 : undefined,
    capacityBytes,
    station,
    leaseDuration: duration("lease", "PT2M", MIN_LEASE_MS, MAX_LEASE_MS).text,
    apiTimeoutMs: duration("api-timeout", "PT30S", 100, 600_000).ms,
    logFormat: logFormatOf(values["log-format"], spec),
  };
}

function customerAccounts(spec: CliSpec): CustomerAccounts {
  try {
    return customerAccountsFromSettings();
  } catch (error) {
    if (error instanceof CustomerAccountSettingsError) throw new UsageError(spec.command, error.message);
    throw error;
  }
}

/** `42.0 %, 3 of 7 blobs, 1.2 GiB of 2.9 GiB, 80.5 MiB/s` */
export function copyProgressLine(progress: CopyProgress): string {
  const percent = percentDone(progress.bytesDone, progress.totalBytes, progress.blobsDone >= progress.blobCount);
  const rate = progress.elapsedMs > 0 ? (progress.bytesDone * 1000) / progress.elapsedMs : 0;
  return `${percent.toFixed(1)} %, ${progress.blobsDone} of ${progress.blobCount} blobs, ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.totalBytes)}, ${formatBytes(rate)}/s`;
}

/** The service gave no answer at all: which, why, and what to check. */
function serviceUnreachable(api: string, error: unknown): string {
  return `cannot reach the service at ${api} (${unreachableReason(error) ?? "no answer"}): is npm start running? (--api or IMPORTEXPORT_API_URL names another)`;
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
  let args: ImportArgs;
  let accounts: CustomerAccounts;
  let command: "import" | "export";
  try {
    const selected = selectCommand(argv, TOOL);
    if (selected.help) {
      process.stdout.write(`${toolUsage(TOOL)}\n`);
      return EXIT.completed;
    }
    command = selected.command;
    const spec = command === "export" ? EXPORT_CLI : IMPORT_CLI;
    const parsed = parseOptions(selected.args, spec);
    if (parsed.help) {
      process.stdout.write(`${usage(spec)}\n`);
      return EXIT.completed;
    }
    args = copyArgs(parsed.values, spec);
    accounts = customerAccounts(spec);
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(error);
    throw error;
  }
  const progress = new ProgressLine(process.stderr, { terminalMs: 200, pipeMs: 5000 });
  // Log records share stderr with the progress line: each goes on a line of its own.
  const log = lineLogger((line) => progress.message(line), args.logFormat);
  useProcessLogger(log);
  const direction: CopyDirection = command;
  const jobPath = `${args.job.subscriptionId}/${args.job.resourceGroup}/${args.job.jobName}`;
  // Before any client is built, so the storage calls are spans too.
  startApplicationInsights("import-export-agent");
  const metrics = agentMetrics(direction);
  const agent = agentIdentity(args.station);
  const runLog = log.with({ job: jobPath, driveId: args.driveId, agentId: agent.agentId });
  let warnedUnreachable = false;
  try {
    const copy = command === "export" ? exportDrive : importDrive;
    const onUnreachable = (error: unknown) => {
      if (warnedUnreachable) return;
      warnedUnreachable = true;
      progress.message(`${TOOL.name}: ${serviceUnreachable(args.api, error)}; trying again for about a minute`);
    };
    const result = await copy({
      job: args.job,
      driveId: args.driveId,
      drivePath: args.drivePath,
      operator: new OperatorClient(args.api, args.token, { agentId: agent.agentId, timeoutMs: args.apiTimeoutMs, log: runLog, onUnreachable }),
      claim: { agent, leaseDuration: args.leaseDuration },
      accounts,
      stateDir: args.stateDir,
      parallelism: args.parallelism,
      progressIntervalMs: args.progressIntervalMs,
      capBytesPerSecond: args.capBytesPerSecond,
      capacityBytes: args.capacityBytes,
      log: runLog,
      onProgress: (update) => progress.update(() => copyProgressLine(update)),
    });
    progress.finish();
    recordCopy(runLog, metrics, direction, result);
    // The log links carry a read SAS: shown without its signature (Get Job gives the working link).
    process.stderr.write(`${redact(summaryLine(result))}\n`);
    process.stdout.write(`${redact(JSON.stringify({ job: jobPath, driveId: args.driveId, ...result }))}\n`);
    return exitCodeOf(result);
  } catch (error) {
    progress.finish();
    const message =
      error instanceof OperatorUnreachableError
        ? serviceUnreachable(args.api, error)
        : error instanceof OperatorApiError
          ? `the operator API refused: ${error.message}`
          : error instanceof Error
            ? error.message
            : String(error);
    metrics.failed(error instanceof OperatorApiError ? error.code : error instanceof OperatorUnreachableError ? "ServiceUnreachable" : "Failed");
    runLog.error(`Copy failed: ${message}`, { event: "copy", direction, outcome: "Failed", error });
    process.stderr.write(`Copy failed: ${redact(message)}\n`);
    process.stdout.write(`${redact(JSON.stringify({ job: jobPath, driveId: args.driveId, outcome: "Failed", error: message }))}\n`);
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
