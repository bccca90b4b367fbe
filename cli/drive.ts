#!/usr/bin/env node
/**
 * `importexport-drive <command>` (`npm run drive -- ...` in a clone): the customer's drive tool, in
 * the role of WAImportExport. `prepare` copies files onto a drive folder and prints the Create Job
 * `driveList` entry as its last stdout line; `preview-export` counts the drives an export needs;
 * `repair-export` and `repair-import` mend what a job's copy log says went wrong (each prints a JSON
 * line last). Progress updates one line in place on a terminal and prints plain lines (at most one
 * a second) in a pipe; errors are one line on stderr; the exit code says what happened.
 */
import { readFile } from "node:fs/promises";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { CliSpec, CliValues, CliOption, parseOptions, reportUsageError, selectCommand, ToolSpec, toolUsage, usage, UsageError } from "./args";
import { CustomerAccountSettingsError, customerAccountsFromSettings } from "./customer-accounts";
import { formatBytes } from "../shared/domain/byte-count";
import { percentDone, ProgressLine, unreachableReason } from "./output";
import { DriveLog, DriveLogFormatError } from "../shared/formats/copy-log";
import { resolveSelection } from "../shared/storage/export-selection";
import { readCopyLog, repairExport, repairImport, RepairItem, RepairReport } from "../shared/drive-tool/repair";
import { BlobListFormatError, BlobSelection, blobPathPrefixProblem, parseExportBlobList } from "../shared/formats/export-blob-list";
import { parseDriveSize, planExport } from "../shared/formats/export-packing";
import { ManifestFormatError } from "../shared/formats/drive-manifest";
import { DrivePathError } from "../shared/drive-access/drive-fs";
import { IMPORT_DISPOSITIONS, ImportDisposition } from "../shared/formats/drive-manifest";
import { DEFAULT_BLOCK_SIZE, prepareDrive, PrepareError, PrepareProgress, sourcesFromDataset, SourceSpec } from "../shared/drive-tool/prepare-drive";
import { redact } from "../shared/telemetry/redact";

export const EXIT = {
  ok: 0,
  /** A storage account could not be reached, or anything unforeseen. */
  unexpected: 1,
  usage: 2,
  invalidInput: 3,
  driveUnusable: 4,
  /** A repair that could not mend everything (see its report). */
  notRepaired: 5,
  interrupted: 130,
} as const;

const EXIT_CODES = [
  "Exit codes: 0 done, 2 bad usage, 3 invalid input (source, names, dataset, blob list, account), 4 drive not usable,",
  "5 a repair left something unmended, 130 interrupted, 1 a storage account could not be reached, or anything else.",
];

const TOOL = {
  name: "importexport-drive",
  summary: "The customer's drive tool, in the role of WAImportExport: prepares import drives, counts export drives, and\nrepairs what a job's copy log says went wrong.",
  commands: {
    prepare: { summary: "Copy files onto a drive and write its manifest and key record (WAImportExport PrepImport)" },
    "preview-export": { summary: "How many drives of a size an export needs (PreviewExport)" },
    "repair-export": { summary: "Check a returned export drive against its manifest, download what is missing or corrupt (RepairExport)" },
    "repair-import": { summary: "Upload again, from your own copy, the blobs an import's copy log lists as failed (RepairImport)" },
  },
  notes: EXIT_CODES,
} satisfies ToolSpec;

const ACCOUNTS_NOTE = [
  "Storage accounts are reached as the service reaches them: CUSTOMER_BLOB_ENDPOINT (an URL with {account}) and",
  "CUSTOMER_ACCOUNT_KEYS ('account:key;...'); without keys, with your Azure sign-in. Each setting not in the",
  "environment comes from local.settings.json (or the sample), as npm start reads them.",
];

const ACCOUNT_OPTION = { type: "string", value: "<name>", description: "the storage account (reached as configured, see below)" } satisfies CliOption;
const COPY_LOG_OPTION = { type: "string", value: "<file or URL>", description: "the drive's error or verbose log: a file, or Get Job's errorLogUri / verboseLogUri" } satisfies CliOption;

const PREPARE_CLI = {
  command: `${TOOL.name} prepare`,
  synopsis: ["--drive <driveDir> --source <dir> --destination <container>[/<virtual dir>] [options]", "--drive <driveDir> --dataset <dataset.csv> [options]"],
  summary:
    "Copies the files onto the drive folder (the unlocked volume), writes the drive manifest (DriveManifest.xml,\n" +
    "format 2014-11-01) and the key record, and prints as its last line the JSON driveList entry for Create Job:\n" +
    '{"driveId","bitLockerKey","manifestFile","manifestHash"}. Keep the bitLockerKey: the drive holds only a verifier of it.',
  options: {
    drive: { type: "string", value: "<dir>", description: "the drive folder; created if missing, refused unless empty" },
    source: { type: "string", value: "<path>", description: "a folder (copied recursively; a symbolic link, FIFO, socket or device below it\nis skipped with a warning, never followed) or a single file" },
    destination: { type: "string", value: "<dest>", description: "the container, optionally with a virtual directory: photos or photos/2024" },
    dataset: { type: "string", value: "<csv>", description: "instead of --source/--destination: a WAImportExport dataset CSV\n(BasePath,DstBlobPathOrPrefix,BlobType,Disposition,MetadataFile,PropertiesFile)" },
    disposition: { type: "string", value: "<d>", description: "what the import does when a blob exists: rename (default), no-overwrite, overwrite" },
    metadata: { type: "string", value: "<file>", description: "a metadata file (<Metadata>) for the blobs of --source" },
    properties: { type: "string", value: "<file>", description: "a properties file (<Properties>) for the blobs of --source" },
    "drive-id": { type: "string", value: "<id>", description: "the drive's id (its serial number); default: a random 8-hex-digit id" },
    "bitlocker-key": { type: "string", value: "<key>", description: "use this 48-digit recovery key instead of a fresh one" },
    "block-size": { type: "string", value: "<bytes>", description: `manifest block size, 1 to 4194304 (default ${DEFAULT_BLOCK_SIZE})` },
  },
  notes: EXIT_CODES,
} satisfies CliSpec;

const PREVIEW_CLI = {
  command: `${TOOL.name} preview-export`,
  synopsis: ["--account <name> (--blob-list <file> | --prefix <p> [--prefix <p>...]) --drive-size <size>"],
  summary:
    "Lists the blobs an export job would take (the <BlobList> XML that blobListBlobPath points at, or blob path\n" +
    "prefixes such as / or /music/) and packs them, in order, onto drives of --drive-size, counting what each drive\n" +
    "also holds: every file rounded up to 4 KiB NTFS clusters plus a 1 KiB file record, its drive-manifest entry,\n" +
    "the key record, and 1 MiB for the file system. A blob whose name Windows cannot hold as a file (CON, a:b, a\n" +
    "trailing dot or space, a name segment over 255 characters) cannot be exported. The data-center agent fills\n" +
    "drives by the same rule.",
  options: {
    account: ACCOUNT_OPTION,
    "blob-list": { type: "string", value: "<file>", description: "the export blob list XML" },
    prefix: { type: "string", value: "<p>", multiple: true, description: "a blob path prefix (repeatable), instead of --blob-list" },
    "drive-size": { type: "string", value: "<size>", description: "the size of the drives you will send: bytes, or 500GB, 1.5TB, 64MiB" },
  },
  notes: [...ACCOUNTS_NOTE, "", ...EXIT_CODES],
} satisfies CliSpec;

const REPAIR_EXPORT_CLI = {
  command: `${TOOL.name} repair-export`,
  synopsis: ["--drive <driveDir> --copy-log <file or URL> --account <name>"],
  summary:
    "Checks every file on a returned export drive against the drive manifest (present, its length, each 4 MiB\n" +
    "block's MD5), downloads again from the account what is missing or corrupt, and downloads the blobs the copy\n" +
    "log lists as failed. A blob that changed since the export is reported, not written.",
  options: {
    drive: { type: "string", value: "<dir>", description: "the returned export drive (the unlocked volume)" },
    "copy-log": COPY_LOG_OPTION,
    account: ACCOUNT_OPTION,
  },
  notes: [...ACCOUNTS_NOTE, "", ...EXIT_CODES],
} satisfies CliSpec;

const REPAIR_IMPORT_CLI = {
  command: `${TOOL.name} repair-import`,
  synopsis: ["--source <dir> [--source <dir>...] --copy-log <file or URL> --account <name>"],
  summary:
    "Uploads again the blobs an import's copy log lists as failed, from your own copy of the files: each file is\n" +
    "found below a --source folder by its drive path (\\container\\dir\\file, or a tail of it such as dir\\file),\n" +
    "checked against the block MD5s in the log, and uploaded with its MD5 as Content-MD5.",
  options: {
    source: { type: "string", value: "<dir>", multiple: true, description: "a folder holding your copy of the files (repeatable)" },
    "copy-log": COPY_LOG_OPTION,
    account: ACCOUNT_OPTION,
  },
  notes: [...ACCOUNTS_NOTE, "", ...EXIT_CODES],
} satisfies CliSpec;

class InputError extends Error {}
/** A storage account or a copy log's host gave no answer at all: said in one line, exit 1. */
class UnreachableError extends Error {}

export async function main(argv: string[]): Promise<number> {
  try {
    const selected = selectCommand(argv, TOOL);
    if (selected.help) {
      process.stdout.write(toolUsage(TOOL) + "\n");
      return EXIT.ok;
    }
    switch (selected.command) {
      case "prepare":
        return await prepare(selected.args);
      case "preview-export":
        return await previewExport(selected.args);
      case "repair-export":
        return await repairExportCommand(selected.args);
      case "repair-import":
        return await repairImportCommand(selected.args);
    }
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(error);
    if (error instanceof InputError || error instanceof BlobListFormatError || error instanceof DriveLogFormatError || error instanceof ManifestFormatError || error instanceof CustomerAccountSettingsError) {
      return fail(EXIT.invalidInput, error.message);
    }
    if (error instanceof DrivePathError) return fail(EXIT.driveUnusable, `the drive's ${error.message}`);
    if (error instanceof PrepareError) {
      const code = error.kind === "invalid-input" ? EXIT.invalidInput : error.kind === "interrupted" ? EXIT.interrupted : EXIT.driveUnusable;
      return fail(code, error.message);
    }
    if (error instanceof UnreachableError) return fail(EXIT.unexpected, error.message);
    return fail(EXIT.unexpected, `unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The command's values; undefined when it was asked for its help (printed here). */
function parse<O extends Record<string, CliOption>>(args: string[], spec: CliSpec<O>): CliValues<O> | undefined {
  const parsed = parseOptions(args, spec);
  if (!parsed.help) return parsed.values;
  process.stdout.write(usage(spec) + "\n");
  return undefined;
}

async function prepare(args: string[]): Promise<number> {
  const values = parse(args, PREPARE_CLI);
  if (!values) return EXIT.ok;
  const usageError = (message: string) => new UsageError(PREPARE_CLI.command, message);
  if (!values.drive) throw usageError("--drive is required");
  const fromDataset = values.dataset !== undefined;
  if (fromDataset && (values.source || values.destination || values.disposition || values.metadata || values.properties)) {
    throw usageError("--dataset replaces --source, --destination, --disposition, --metadata and --properties: the CSV gives them per row");
  }
  if (!fromDataset && (!values.source || !values.destination)) throw usageError("give --source and --destination, or --dataset");
  const disposition = (values.disposition ?? "rename") as ImportDisposition;
  if (!IMPORT_DISPOSITIONS.includes(disposition)) throw usageError(`--disposition must be one of ${IMPORT_DISPOSITIONS.join(", ")}`);
  let blockSize: number | undefined;
  if (values["block-size"] !== undefined) {
    if (!/^\d+$/.test(values["block-size"])) throw usageError("--block-size must be a number of bytes");
    blockSize = Number(values["block-size"]);
  }

  const sources: SourceSpec[] = fromDataset
    ? await sourcesFromDataset(values.dataset!)
    : [{ path: values.source!, destination: values.destination!, disposition, metadataFile: values.metadata, propertiesFile: values.properties, origin: "--source" }];

  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const progress = new ProgressLine(process.stdout, { terminalMs: 100, pipeMs: 1000 });
  const started = Date.now();
  try {
    const result = await prepareDrive({
      drive: values.drive,
      sources,
      driveId: values["drive-id"],
      bitLockerKey: values["bitlocker-key"],
      blockSize,
      aborted: () => interrupted,
      onProgress: (update) => progress.update(() => prepareProgressLine(update, started), update.filesDone === update.filesTotal && update.currentFile === undefined),
      onWarning: (message) => progress.message(`${TOOL.name}: warning: ${message}`, process.stderr),
    });
    progress.finish();
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `Prepared drive ${result.entry.driveId}: ${result.files} file(s), ${formatBytes(result.bytes)} in ${result.blobLists} blob list(s), ${seconds.toFixed(1)} s` +
        `${result.skipped > 0 ? `; ${result.skipped} skipped (links or special files, see the warnings)` : ""}\n` +
        `Manifest: ${result.manifestPath}\n`,
    );
    process.stdout.write(JSON.stringify(result.entry) + "\n");
    return EXIT.ok;
  } finally {
    progress.finish();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `3 of 7 files, 1.2 GiB of 2.9 GiB (41.4%), 80.5 MiB/s` */
function prepareProgressLine(progress: PrepareProgress, started: number): string {
  const elapsed = Math.max((Date.now() - started) / 1000, 0.001);
  const percent = percentDone(progress.bytesDone, progress.bytesTotal, progress.filesDone === progress.filesTotal && progress.currentFile === undefined);
  return (
    `${progress.filesDone} of ${progress.filesTotal} files, ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)} ` +
    `(${percent.toFixed(1)}%), ${formatBytes(progress.bytesDone / elapsed)}/s`
  );
}

interface Account {
  name: string;
  client: BlobServiceClient;
}

function account(name: string | undefined, spec: CliSpec): Account {
  if (!name) throw new UsageError(spec.command, "--account is required");
  const client = customerAccountsFromSettings().client(name);
  if (!client) throw new InputError(`storage account '${name}' is not configured here (CUSTOMER_ACCOUNT_KEYS lists the accounts reached with a key)`);
  const url = new URL(client.url);
  // The SDK refuses to send a token over HTTP (rightly); said here, in the terms of the settings.
  if (url.protocol === "http:" && !(client.credential instanceof StorageSharedKeyCredential)) {
    throw new InputError(
      `storage account '${name}' has no key here (CUSTOMER_ACCOUNT_KEYS), and its endpoint ${url.origin}${url.pathname.replace(/\/$/, "")} ` +
        "is plain HTTP, where an Azure sign-in is never sent: give its key, or an https endpoint.",
    );
  }
  return { name, client };
}

/** Runs `work` against the account; no answer at all from it becomes one plain line naming it and what to check. */
async function reaching<T>(target: Account, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const reason = unreachableReason(error);
    if (!reason) throw error;
    const url = new URL(target.client.url);
    const local = /^(127\.0\.0\.1|localhost|\[::1\])$/i.test(url.hostname);
    throw new UnreachableError(
      `cannot reach storage account '${target.name}' at ${url.origin}${url.pathname.replace(/\/$/, "")} (${reason}): ` +
        `${local ? "is Azurite running (npm start)?" : "check the account's name and your network."} CUSTOMER_BLOB_ENDPOINT says where the accounts are.`,
    );
  }
}

async function previewExport(args: string[]): Promise<number> {
  const values = parse(args, PREVIEW_CLI);
  if (!values) return EXIT.ok;
  const usageError = (message: string) => new UsageError(PREVIEW_CLI.command, message);
  if (!values["drive-size"]) throw usageError("--drive-size is required");
  const driveBytes = parseDriveSize(values["drive-size"]);
  if (driveBytes === undefined) throw usageError("--drive-size must be a size: bytes, or a number with KB, MB, GB, TB, KiB, MiB, GiB or TiB");
  if ((values["blob-list"] === undefined) === (values.prefix === undefined)) throw usageError("give --blob-list or --prefix (not both)");
  let selection: BlobSelection;
  if (values["blob-list"] !== undefined) {
    const text = await readFile(values["blob-list"], "utf8").catch(() => {
      throw new InputError(`cannot read the blob list '${values["blob-list"]}'`);
    });
    selection = parseExportBlobList(text);
  } else {
    const problem = values.prefix!.map(blobPathPrefixProblem).find(Boolean);
    if (problem) throw usageError(`--prefix: ${problem}`);
    selection = { blobPath: [], blobPathPrefix: values.prefix! };
  }
  const target = account(values.account, PREVIEW_CLI);
  const resolved = await reaching(target, () => resolveSelection(target.client, selection));
  const plan = planExport(resolved.blobs, driveBytes);
  // formatBytes's decimal units are how drives are sold and how --drive-size takes them; the exact bytes are in the JSON line.
  const size = formatBytes;
  const lines = [
    `Number of unique blob paths/prefixes:\t${resolved.unique}`,
    `Number of duplicate blob paths/prefixes:\t${resolved.duplicates}`,
    `Number of nonexistent blob paths/prefixes:\t${resolved.nonexistent.length}`,
    "",
    `Drive size:\t${size(driveBytes)}`,
    `Number of blobs that can be exported:\t${plan.exportable.blobs}`,
    `Number of blobs that cannot be exported:\t${plan.tooLarge.blobs + plan.unnamable.blobs}`,
    ...(plan.unnamable.blobs > 0 ? [`\tof which with names Windows cannot hold as files:\t${plan.unnamable.blobs}`] : []),
    `Total size of blobs that can be exported:\t${size(plan.exportable.bytes)}`,
    `Number of drives needed:\t${plan.drives.length}`,
    ...plan.drives.map((drive, index) => `\tDrive #${index + 1}:\tblobs = ${drive.blobs}, occupied space = ${size(drive.occupiedBytes)}`),
  ];
  process.stdout.write(lines.join("\n") + "\n");
  process.stdout.write(
    JSON.stringify({
      driveBytes,
      drivesNeeded: plan.drives.length,
      blobs: plan.exportable.blobs,
      bytes: plan.exportable.bytes,
      blobsThatCannotBeExported: plan.tooLarge.blobs + plan.unnamable.blobs,
      blobsWithNamesADriveCannotHold: plan.unnamable.blobs,
      nonexistent: resolved.nonexistent,
      drives: plan.drives,
    }) + "\n",
  );
  return EXIT.ok;
}

async function repairExportCommand(args: string[]): Promise<number> {
  const values = parse(args, REPAIR_EXPORT_CLI);
  if (!values) return EXIT.ok;
  if (!values.drive) throw new UsageError(REPAIR_EXPORT_CLI.command, "--drive is required");
  const drivePath = values.drive;
  return repair(REPAIR_EXPORT_CLI, values, (options) => repairExport({ ...options, drivePath }));
}

async function repairImportCommand(args: string[]): Promise<number> {
  const values = parse(args, REPAIR_IMPORT_CLI);
  if (!values) return EXIT.ok;
  if (!values.source) throw new UsageError(REPAIR_IMPORT_CLI.command, "--source is required");
  const sources = values.source;
  return repair(REPAIR_IMPORT_CLI, values, (options) => repairImport({ ...options, sources }));
}

async function repair(
  spec: CliSpec,
  values: { "copy-log"?: string; account?: string },
  run: (options: { copyLog: DriveLog; client: BlobServiceClient; onItem: (item: RepairItem) => void }) => Promise<RepairReport>,
): Promise<number> {
  const copyLogArg = values["copy-log"];
  if (!copyLogArg) throw new UsageError(spec.command, "--copy-log is required");
  const target = account(values.account, spec);
  const copyLog = await readCopyLog(copyLogArg).catch((error) => {
    if (error instanceof DriveLogFormatError) throw error;
    const reason = unreachableReason(error);
    if (reason) throw new UnreachableError(`cannot reach ${new URL(copyLogArg).origin} for the copy log (${reason})`);
    throw new InputError(`cannot read the copy log: ${redact(error instanceof Error ? error.message : String(error))}`);
  });
  // One call before the drive or the account is touched: an account that gives no answer is said so
  // once, rather than as every blob's failure.
  const firstContainer = copyLog.blobs[0]?.blobPath.split("/")[0];
  if (firstContainer) await reaching(target, () => target.client.getContainerClient(firstContainer).exists());
  const onItem = (item: RepairItem) => process.stderr.write(`repaired ${item.blobPath} (${item.problem}${item.blocks !== undefined ? `, ${item.blocks} block(s)` : ""}, ${formatBytes(item.bytes)})\n`);
  const command = spec.command.slice(TOOL.name.length + 1);
  const report = await run({ copyLog, client: target.client, onItem });
  for (const item of report.failed) process.stderr.write(`NOT repaired ${item.blobPath}: ${item.reason}\n`);
  process.stderr.write(`${command}: ${report.checked} checked, ${report.repaired.length} repaired, ${report.failed.length} not repaired.\n`);
  process.stdout.write(JSON.stringify({ command, checked: report.checked, repaired: report.repaired, failed: report.failed }) + "\n");
  return report.failed.length > 0 ? EXIT.notRepaired : EXIT.ok;
}

function fail(code: number, message: string): number {
  process.stderr.write(`${TOOL.name}: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
