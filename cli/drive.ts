/**
 * `npm run drive -- <command>`: the customer's drive tool, in the role of WAImportExport.
 * `prepare` copies files onto a drive folder and prints the Create Job `driveList` entry as its
 * last stdout line. Progress updates one line in place on a terminal and prints plain lines (at
 * most one a second) in a pipe; errors are one line on stderr; the exit code says what happened.
 */
import { parseArgs } from "node:util";
import { IMPORT_DISPOSITIONS, ImportDisposition } from "../shared/drive/drive-manifest";
import { DEFAULT_BLOCK_SIZE, prepareDrive, PrepareError, PrepareProgress, sourcesFromDataset, SourceSpec } from "../shared/drive/prepare-drive";

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  invalidInput: 3,
  driveUnusable: 4,
  interrupted: 130,
} as const;

const USAGE = `Usage: npm run drive -- <command> [options]

Commands:
  prepare   Copy files onto a drive and write its manifest and key record (WAImportExport PrepImport)

Run 'npm run drive -- <command> --help' for a command's options.

Exit codes: 0 done, 2 bad usage, 3 invalid input (source, names, dataset), 4 drive not usable,
130 interrupted, 1 anything else.`;

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

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    (command === undefined ? process.stderr : process.stdout).write(USAGE + "\n");
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  try {
    if (command === "prepare") return await prepare(rest);
    throw new UsageError(`unknown command '${command}' (try --help)`);
  } catch (error) {
    if (error instanceof UsageError) return fail(EXIT.usage, error.message);
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
