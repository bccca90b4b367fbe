/**
 * `npm run drive -- <command>`: the customer's drive tool, in the role of WAImportExport.
 * `prepare` copies files onto a drive folder and prints the Create Job `driveList` entry as its
 * last stdout line; `preview-export` counts the drives an export needs; `repair-export` and
 * `repair-import` mend what a job's copy log says went wrong (each prints a JSON line last). Progress updates one line in place on a terminal and prints plain lines (at
 * most one a second) in a pipe; errors are one line on stderr; the exit code says what happened.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import type { BlobServiceClient } from "@azure/storage-blob";
import { DriveLogFormatError } from "../shared/copy/copy-log";
import { resolveSelection } from "../shared/copy/export-selection";
import { readCopyLog, repairExport, repairImport, RepairItem } from "../shared/copy/repair";
import { BlobListFormatError, BlobSelection, blobPathPrefixProblem, parseExportBlobList } from "../shared/drive/export-blob-list";
import { parseDriveSize, planExport } from "../shared/drive/export-packing";
import { ManifestFormatError } from "../shared/drive/drive-manifest";
import { CustomerAccountSettingsError, customerAccountsFromSettings } from "./customer-accounts";
import { IMPORT_DISPOSITIONS, ImportDisposition } from "../shared/drive/drive-manifest";
import { DEFAULT_BLOCK_SIZE, prepareDrive, PrepareError, PrepareProgress, sourcesFromDataset, SourceSpec } from "../shared/drive/prepare-drive";

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  invalidInput: 3,
  driveUnusable: 4,
  /** A repair that could not mend everything (see its report). */
  notRepaired: 5,
  interrupted: 130,
} as const;

const USAGE = `Usage: npm run drive -- <command> [options]

Commands:
  prepare          Copy files onto a drive and write its manifest and key record (WAImportExport PrepImport)
  preview-export   How many drives of a size an export needs (PreviewExport)
  repair-export    Check a returned export drive against its manifest, download what is missing or corrupt (RepairExport)
  repair-import    Upload again, from your own copy, the blobs an import's copy log lists as failed (RepairImport)

Run 'npm run drive -- <command> --help' for a command's options.

Exit codes: 0 done, 2 bad usage, 3 invalid input (source, names, dataset, blob list, account),
4 drive not usable, 5 a repair left something unmended, 130 interrupted, 1 anything else.`;

const PREVIEW_USAGE = `Usage: npm run drive -- preview-export --account <name> (--blob-list <file> | --prefix <p> [--prefix <p>…]) --drive-size <size>

Lists the blobs an export job would take (the <BlobList> XML that blobListBlobPath points at, or
blob path prefixes such as / or /music/) and packs them, in order, onto drives of --drive-size
(bytes, or 500GB, 1.5TB, 64MiB), counting what each drive also holds: every file rounded up to 4 KiB
NTFS clusters plus a 1 KiB file record, its drive-manifest entry, the key record, and 1 MiB for the
file system. A blob whose name Windows cannot hold as a file (CON, a:b, a trailing dot or space, a
name segment over 255 characters) cannot be exported. The data-center agent fills drives by the
same rule.

Options:
  --account <name>       The storage account (reached as configured: CUSTOMER_BLOB_ENDPOINT, CUSTOMER_ACCOUNT_KEYS).
  --blob-list <file>     The export blob list XML.
  --prefix <p>           A blob path prefix (repeatable), instead of --blob-list.
  --drive-size <size>    The size of the drives you will send.
  -h, --help             This help.`;

const REPAIR_EXPORT_USAGE = `Usage: npm run drive -- repair-export --drive <driveDir> --copy-log <file or URL> --account <name>

Checks every file on a returned export drive against the drive manifest (present, its length,
each 4 MiB block's MD5), downloads again from the account what is missing or corrupt, and downloads
the blobs the copy log lists as failed. A blob that changed since the export is reported, not
written. The copy log is the drive's error or verbose log (a file, or Get Job's errorLogUri).`;

const REPAIR_IMPORT_USAGE = `Usage: npm run drive -- repair-import --source <dir> [--source <dir>…] --copy-log <file or URL> --account <name>

Uploads again the blobs an import's copy log lists as failed, from your own copy of the files: each
file is found below a --source folder by its drive path (\\container\\dir\\file, or a tail of it such
as dir\\file), checked against the block MD5s in the log, and uploaded with its MD5 as Content-MD5.`;

const PREPARE_USAGE = `Usage: npm run drive -- prepare --drive <driveDir> --source <dir> --destination <container>[/<virtual dir>] [options]
       npm run drive -- prepare --drive <driveDir> --dataset <dataset.csv> [options]

Copies the files onto the drive folder (the unlocked volume), writes the drive manifest
(DriveManifest.xml, format 2014-11-01) and the key record, and prints as its last line the JSON
driveList entry for Create Job: {"driveId","bitLockerKey","manifestFile","manifestHash"}.
Keep the bitLockerKey: the drive holds only a verifier of it.

Options:
  --drive <dir>          The drive folder; created if missing, refused unless empty.
  --source <path>        A folder (copied recursively) or a single file.
  --destination <dest>   The container, optionally with a virtual directory: photos or photos/2024.
  --dataset <csv>        Instead of --source/--destination: a WAImportExport dataset CSV
                         (BasePath,DstBlobPathOrPrefix,BlobType,Disposition,MetadataFile,PropertiesFile).
  --disposition <d>      What the import does when a blob exists: rename (default), no-overwrite, overwrite.
  --metadata <file>      A metadata file (<Metadata>) for the blobs of --source.
  --properties <file>    A properties file (<Properties>) for the blobs of --source.
  --drive-id <id>        The drive's id (its serial number); default: a random 8-hex-digit id.
  --bitlocker-key <key>  Use this 48-digit recovery key instead of a fresh one.
  --block-size <bytes>   Manifest block size, 1 to 4194304 (default ${DEFAULT_BLOCK_SIZE}).
  -h, --help             This help.`;

class UsageError extends Error {}
class InputError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    (command === undefined ? process.stderr : process.stdout).write(USAGE + "\n");
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    if (command === "prepare") return await prepare(rest);
    if (command === "preview-export") return await previewExport(rest);
    if (command === "repair-export" || command === "repair-import") return await repair(command, rest);
    throw new UsageError(`unknown command '${command}' (try --help)`);
  } catch (error) {
    if (error instanceof UsageError) return fail(EXIT.usage, error.message);
    if (error instanceof InputError || error instanceof BlobListFormatError || error instanceof DriveLogFormatError || error instanceof ManifestFormatError || error instanceof CustomerAccountSettingsError) {
      return fail(EXIT.invalidInput, error.message);
    }
    if (error instanceof PrepareError) {
      const code = error.kind === "invalid-input" ? EXIT.invalidInput : error.kind === "interrupted" ? EXIT.interrupted : EXIT.driveUnusable;
      return fail(code, error.message);
    }
    return fail(EXIT.unexpected, `unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const PREPARE_OPTIONS = {
  drive: { type: "string" },
  source: { type: "string" },
  destination: { type: "string" },
  dataset: { type: "string" },
  disposition: { type: "string" },
  metadata: { type: "string" },
  properties: { type: "string" },
  "drive-id": { type: "string" },
  "bitlocker-key": { type: "string" },
  "block-size": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

async function prepare(args: string[]): Promise<number> {
  const values = parseOptions(() => parseArgs({ args, options: PREPARE_OPTIONS, strict: true, allowPositionals: false }).values);
  if (values.help) {
    process.stdout.write(PREPARE_USAGE + "\n");
    return EXIT.ok;
  }
  if (!values.drive) throw new UsageError("--drive is required (try --help)");
  const fromDataset = values.dataset !== undefined;
  if (fromDataset && (values.source || values.destination || values.disposition || values.metadata || values.properties)) {
    throw new UsageError("--dataset replaces --source, --destination, --disposition, --metadata and --properties: the CSV gives them per row");
  }
  if (!fromDataset && (!values.source || !values.destination)) throw new UsageError("give --source and --destination, or --dataset (try --help)");
  const disposition = (values.disposition ?? "rename") as ImportDisposition;
  if (!IMPORT_DISPOSITIONS.includes(disposition)) throw new UsageError(`--disposition must be one of ${IMPORT_DISPOSITIONS.join(", ")}`);
  let blockSize: number | undefined;
  if (values["block-size"] !== undefined) {
    if (!/^\d+$/.test(values["block-size"])) throw new UsageError("--block-size must be a number of bytes");
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
  const progress = new ProgressLine(process.stdout);
  const started = Date.now();
  try {
    const result = await prepareDrive({
      drive: values.drive,
      sources,
      driveId: values["drive-id"],
      bitLockerKey: values["bitlocker-key"],
      blockSize,
      aborted: () => interrupted,
      onProgress: (update) => progress.update(update),
    });
    progress.finish();
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `Prepared drive ${result.entry.driveId}: ${result.files} file(s), ${formatBytes(result.bytes)} in ${result.blobLists} blob list(s), ${seconds.toFixed(1)} s\n` +
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

function accountClient(name: string | undefined): BlobServiceClient {
  if (!name) throw new UsageError("--account is required (try --help)");
  const client = customerAccountsFromSettings().client(name);
  if (!client) throw new InputError(`storage account '${name}' is not configured here (CUSTOMER_ACCOUNT_KEYS lists the accounts reached with a key)`);
  return client;
}

async function previewExport(args: string[]): Promise<number> {
  const options = { account: { type: "string" }, "blob-list": { type: "string" }, prefix: { type: "string", multiple: true }, "drive-size": { type: "string" }, help: { type: "boolean", short: "h" } } as const;
  const values = parseOptions(() => parseArgs({ args, options, strict: true, allowPositionals: false }).values);
  if (values.help) {
    process.stdout.write(PREVIEW_USAGE + "\n");
    return EXIT.ok;
  }
  if (!values["drive-size"]) throw new UsageError("--drive-size is required (try --help)");
  const driveBytes = parseDriveSize(values["drive-size"]);
  if (driveBytes === undefined) throw new UsageError("--drive-size must be a size: bytes, or a number with KB, MB, GB, TB, KiB, MiB, GiB or TiB");
  if ((values["blob-list"] === undefined) === (values.prefix === undefined)) throw new UsageError("give --blob-list or --prefix (not both)");
  let selection: BlobSelection;
  if (values["blob-list"] !== undefined) {
    const text = await readFile(values["blob-list"], "utf8").catch(() => {
      throw new InputError(`cannot read the blob list '${values["blob-list"]}'`);
    });
    selection = parseExportBlobList(text);
  } else {
    const problem = values.prefix!.map(blobPathPrefixProblem).find(Boolean);
    if (problem) throw new UsageError(`--prefix: ${problem}`);
    selection = { blobPath: [], blobPathPrefix: values.prefix! };
  }
  const resolved = await resolveSelection(accountClient(values.account), selection);
  const plan = planExport(resolved.blobs, driveBytes);
  const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
  const lines = [
    `Number of unique blob paths/prefixes:\t${resolved.unique}`,
    `Number of duplicate blob paths/prefixes:\t${resolved.duplicates}`,
    `Number of nonexistent blob paths/prefixes:\t${resolved.nonexistent.length}`,
    "",
    `Drive size:\t${gb(driveBytes)}`,
    `Number of blobs that can be exported:\t${plan.exportable.blobs}`,
    `Number of blobs that cannot be exported:\t${plan.tooLarge.blobs + plan.unnamable.blobs}`,
    ...(plan.unnamable.blobs > 0 ? [`\tof which with names Windows cannot hold as files:\t${plan.unnamable.blobs}`] : []),
    `Total size of blobs that can be exported:\t${gb(plan.exportable.bytes)}`,
    `Number of drives needed:\t${plan.drives.length}`,
    ...plan.drives.map((drive, index) => `\tDrive #${index + 1}:\tblobs = ${drive.blobs}, occupied space = ${gb(drive.occupiedBytes)}`),
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

async function repair(command: "repair-export" | "repair-import", args: string[]): Promise<number> {
  const options = { drive: { type: "string" }, source: { type: "string", multiple: true }, "copy-log": { type: "string" }, account: { type: "string" }, help: { type: "boolean", short: "h" } } as const;
  const values = parseOptions(() => parseArgs({ args, options, strict: true, allowPositionals: false }).values);
  if (values.help) {
    process.stdout.write((command === "repair-export" ? REPAIR_EXPORT_USAGE : REPAIR_IMPORT_USAGE) + "\n");
    return EXIT.ok;
  }
  if (command === "repair-export" ? !values.drive || values.source : !values.source || values.drive) {
    throw new UsageError(command === "repair-export" ? "repair-export takes --drive (not --source) (try --help)" : "repair-import takes --source (not --drive) (try --help)");
  }
  if (!values["copy-log"]) throw new UsageError("--copy-log is required (try --help)");
  const client = accountClient(values.account);
  const copyLog = await readCopyLog(values["copy-log"]).catch((error) => {
    if (error instanceof DriveLogFormatError) throw error;
    throw new InputError(`cannot read the copy log: ${error instanceof Error ? error.message : String(error)}`);
  });
  const onItem = (item: RepairItem) => process.stderr.write(`repaired ${item.blobPath} (${item.problem}${item.blocks !== undefined ? `, ${item.blocks} block(s)` : ""}, ${formatBytes(item.bytes)})\n`);
  const report =
    command === "repair-export"
      ? await repairExport({ drivePath: values.drive!, copyLog, client, onItem })
      : await repairImport({ sources: values.source!, copyLog, client, onItem });
  for (const item of report.failed) process.stderr.write(`NOT repaired ${item.blobPath}: ${item.reason}\n`);
  process.stderr.write(`${command}: ${report.checked} checked, ${report.repaired.length} repaired, ${report.failed.length} not repaired.\n`);
  process.stdout.write(JSON.stringify({ command, checked: report.checked, repaired: report.repaired, failed: report.failed }) + "\n");
  return report.failed.length > 0 ? EXIT.notRepaired : EXIT.ok;
}

/** AzCopy-style running line: rewritten in place on a terminal, plain lines at most once a second otherwise. */
class ProgressLine {
  private lastPrinted = 0;
  private pending: string | undefined;
  private onTerminalLine = false;
  private readonly started = Date.now();

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(progress: PrepareProgress): void {
    const now = Date.now();
    const done = progress.filesDone === progress.filesTotal && progress.currentFile === undefined;
    const elapsed = Math.max((now - this.started) / 1000, 0.001);
    const percent = progress.bytesTotal === 0 ? 100 : (100 * progress.bytesDone) / progress.bytesTotal;
    const line =
      `${progress.filesDone} of ${progress.filesTotal} files, ${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)} ` +
      `(${percent.toFixed(1)}%), ${formatBytes(progress.bytesDone / elapsed)}/s`;
    this.pending = line;
    const interval = this.out.isTTY ? 100 : 1000;
    if (!done && now - this.lastPrinted < interval) return;
    this.print(line);
  }

  finish(): void {
    if (this.pending !== undefined) this.print(this.pending);
    if (this.onTerminalLine) this.out.write("\n");
    this.onTerminalLine = false;
  }

  private print(line: string): void {
    this.lastPrinted = Date.now();
    this.pending = undefined;
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.onTerminalLine = true;
    } else {
      this.out.write(line + "\n");
    }
  }
}

/** Runs parseArgs, turning its complaints (unknown option, missing value) into usage errors. */
function parseOptions<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (try --help)`);
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
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function fail(code: number, message: string): number {
  process.stderr.write(`drive: ${message.replace(/\s*\n\s*/g, " ")}\n`);
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
