/**
 * Drive preparation, the role of WAImportExport `PrepImport`: copies the source files onto a drive
 * (a folder standing for the unlocked volume), writes the drive manifest and the key record, and
 * returns the `driveList` entry Create Job takes.
 *
 * Everything is checked before the drive is touched (sources exist, every blob name is valid, the
 * metadata and properties files parse, the drive is empty). The copy then goes into a staging
 * folder on the drive and is moved into place at the end, manifest last; any failure or
 * interruption removes what this run wrote, so a drive is either fully prepared or left as it was.
 * Files are copied one block at a time through one buffer: memory is one block, whatever the sizes.
 * A drive of a million files is planned and copied without holding them: the plan walks the sources
 * to check and count, keeping a 16-byte hash per blob name (to find two files for one blob); the
 * copy walks them again and writes each file's manifest entry as it is copied. A folder's listing is
 * held while it is walked, so memory follows the largest folder, not the drive.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants as fsConstants, promises as fs } from "node:fs";
import * as path from "node:path";
import { BlobNameError, blobPathFor, Destination, parseBlobPath, parseDestination } from "../formats/blob-names";
import { DatasetError, DatasetRow, parseDatasetCsv } from "../formats/dataset-csv";
import {
  BLOB_LIST_TAIL,
  blobListHead,
  blockIdFor,
  driveFilePath,
  HashedFilePath,
  ImportDisposition,
  MANIFEST_FILE,
  MANIFEST_TAIL,
  manifestBlobXml,
  manifestHead,
  ManifestBlock,
  MAX_BLOCK_LENGTH,
  MAX_BLOCKS_PER_BLOB,
  md5Hex,
} from "../formats/drive-manifest";
import { createKeyRecord, generateRecoveryPassword, KEY_RECORD_FILE, recoveryPasswordProblem, serializeKeyRecord } from "../formats/key-record";
import { readFileWithin } from "../drive-access/bounded-read";
import { BlobFileFormatError, MAX_BLOB_FILE_BYTES, parseMetadataFile, parsePropertiesFile } from "../formats/metadata-properties";

export const DEFAULT_BLOCK_SIZE = MAX_BLOCK_LENGTH;
/** Where the tool keeps the metadata and properties files on the drive; no container can be named so. */
const TOOL_FOLDER = "_ImportExport";
const STAGING_PREFIX = ".prepare-";
/** What Create Job accepts as a drive id (shared/service/api/schemas.ts). */
const DRIVE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const CLIENT_CREATOR = "import-export-service drive tool (PrepImport)";

/** One source: a folder copied below a virtual directory, or a file copied to a blob path. */
export interface SourceSpec {
  path: string;
  /** `container[/dir]` for a folder; for a file, a blob path (`container/name`) or, ending in '/', a folder to put it in. */
  destination: string;
  disposition: ImportDisposition;
  metadataFile?: string;
  propertiesFile?: string;
  /** Where the source came from, for messages ("dataset CSV line 3", "--source"). */
  origin: string;
}

export interface PrepareOptions {
  drive: string;
  sources: SourceSpec[];
  driveId?: string;
  bitLockerKey?: string;
  blockSize?: number;
  /** Checked between blocks: when it returns true, the run stops and cleans up. */
  aborted?: () => boolean;
  onProgress?: (progress: PrepareProgress) => void;
  /** Something left out, one line each: a link or special file below a source folder. */
  onWarning?: (message: string) => void;
}

export interface PrepareProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  currentFile?: string;
}

/** The `driveList` entry for Create Job. */
export interface DriveListEntry {
  driveId: string;
  bitLockerKey: string;
  manifestFile: string;
  manifestHash: string;
}

export interface PrepareResult {
  entry: DriveListEntry;
  manifestPath: string;
  files: number;
  bytes: number;
  blobLists: number;
  /** Entries below the source folders left out (links, special files), each with its warning. */
  skipped: number;
}

export type PrepareErrorKind = "invalid-input" | "drive-unusable" | "interrupted";

export class PrepareError extends Error {
  constructor(
    readonly kind: PrepareErrorKind,
    message: string,
  ) {
    super(message);
    this.name = "PrepareError";
  }
}

/** Reads a dataset CSV into sources; relative paths are taken from the CSV's folder. */
export async function sourcesFromDataset(csvPath: string): Promise<SourceSpec[]> {
  let text: string;
  try {
    text = await fs.readFile(csvPath, "utf8");
  } catch (error) {
    throw new PrepareError("invalid-input", `cannot read dataset CSV '${csvPath}': ${reason(error)}`);
  }
  let rows: DatasetRow[];
  try {
    rows = parseDatasetCsv(text, path.dirname(path.resolve(csvPath)));
  } catch (error) {
    if (error instanceof DatasetError) throw new PrepareError("invalid-input", error.message);
    throw error;
  }
  return rows.map((row) => ({
    path: row.basePath,
    destination: row.destination,
    disposition: row.disposition,
    metadataFile: row.metadataFile,
    propertiesFile: row.propertiesFile,
    origin: `dataset CSV line ${row.line}`,
  }));
}

interface PlannedFile {
  source: string;
  size: number;
  blobPath: string;
  /** Path segments below the drive's root. */
  driveSegments: string[];
}

/** A source, checked: its files are walked again to copy them, never held. */
interface PlannedList {
  source: SourceSpec;
  disposition: ImportDisposition;
  files: number;
  bytes: number;
  metadata?: { source: string; bytes: Buffer };
  properties?: { source: string; bytes: Buffer };
}

export async function prepareDrive(options: PrepareOptions): Promise<PrepareResult> {
  const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > MAX_BLOCK_LENGTH) {
    throw new PrepareError("invalid-input", `block size must be 1 to ${MAX_BLOCK_LENGTH} bytes (the manifest format's limit)`);
  }
  const driveId = options.driveId ?? randomBytes(4).toString("hex").toUpperCase();
  if (!DRIVE_ID.test(driveId)) throw new PrepareError("invalid-input", `drive id '${driveId}' must be 1-64 letters, digits, '-' or '_'`);
  const bitLockerKey = options.bitLockerKey ?? generateRecoveryPassword();
  const keyProblem = recoveryPasswordProblem(bitLockerKey);
  if (keyProblem) throw new PrepareError("invalid-input", keyProblem);
  if (options.sources.length === 0) throw new PrepareError("invalid-input", "nothing to copy: give --source and --destination, or --dataset");

  const drive = path.resolve(options.drive);
  let skipped = 0;
  const lists = await plan(options.sources, drive, blockSize, (message) => {
    skipped++;
    options.onWarning?.(message);
  });
  const filesTotal = lists.reduce((sum, list) => sum + list.files, 0);
  const bytesTotal = lists.reduce((sum, list) => sum + list.bytes, 0);
  if (filesTotal === 0) throw new PrepareError("invalid-input", "the sources hold no files to copy");

  const createdDrive = await checkDriveIsEmpty(drive);
  const staging = path.join(drive, STAGING_PREFIX + randomBytes(6).toString("hex"));
  const moved: string[] = [];
  try {
    await fs.mkdir(staging);
    const progress: PrepareProgress = { filesDone: 0, filesTotal, bytesDone: 0, bytesTotal };
    const buffer = Buffer.allocUnsafe(blockSize);
    const manifest = await ManifestFile.create(path.join(staging, MANIFEST_FILE));
    try {
      await manifest.write(manifestHead({ driveId, clientCreator: CLIENT_CREATOR }));
      // The same walk as the plan's; what changed since is checked again (names, two files for one blob).
      const blobPaths = new BlobPathSet();
      for (const [index, list] of lists.entries()) {
        await manifest.write(
          blobListHead({
            metadataPath: list.metadata && (await copyToolFile(staging, `metadata-${index + 1}.xml`, list.metadata.bytes)),
            propertiesPath: list.properties && (await copyToolFile(staging, `properties-${index + 1}.xml`, list.properties.bytes)),
          }),
        );
        for await (const file of plannedFiles(list.source, blockSize, blobPaths)) {
          progress.currentFile = file.source;
          options.onProgress?.({ ...progress });
          const { length, blocks } = await copyFile(file, staging, buffer, options.aborted, (bytes) => {
            progress.bytesDone += bytes;
            options.onProgress?.({ ...progress });
          });
          await manifest.write(manifestBlobXml({ blobPath: file.blobPath, filePath: driveFilePath(file.driveSegments), length, importDisposition: list.disposition, blockList: blocks }));
          progress.filesDone++;
        }
        await manifest.write(BLOB_LIST_TAIL);
      }
      await manifest.write(MANIFEST_TAIL);
      delete progress.currentFile;
      options.onProgress?.({ ...progress });
      await writeDurably(path.join(staging, KEY_RECORD_FILE), serializeKeyRecord(createKeyRecord(driveId, bitLockerKey)));
      await manifest.finish();
    } finally {
      await manifest.close();
    }
    checkAborted(options.aborted);

    // Into place: the data first, the manifest last, so a drive with a manifest is a whole drive.
    const entries = (await fs.readdir(staging)).filter((name) => name !== MANIFEST_FILE).sort();
    for (const name of [...entries, MANIFEST_FILE]) {
      await fs.rename(path.join(staging, name), path.join(drive, name));
      moved.push(name);
    }
    await fs.rmdir(staging);
    return {
      entry: { driveId, bitLockerKey, manifestFile: driveFilePath([MANIFEST_FILE]), manifestHash: manifest.md5 },
      manifestPath: path.join(drive, MANIFEST_FILE),
      files: progress.filesDone,
      bytes: progress.bytesDone,
      blobLists: lists.length,
      skipped,
    };
  } catch (error) {
    await removeQuietly(staging);
    for (const name of moved) await removeQuietly(path.join(drive, name));
    // Already failing: what cannot be removed is at worst an empty folder; the failure that matters is the one below.
    if (createdDrive) await fs.rmdir(drive).catch(() => undefined);
    if (error instanceof PrepareError) throw error;
    throw new PrepareError("drive-unusable", `writing to the drive failed: ${reason(error)}`);
  }
}

/** The manifest written as the files are copied, in large writes, hashed on the way. */
class ManifestFile {
  private readonly hash = createHash("md5");
  private pending: string[] = [];
  private pendingChars = 0;
  md5 = "";

  private constructor(private readonly handle: fs.FileHandle) {}

  static async create(file: string): Promise<ManifestFile> {
    // Created new in the staging folder this run made: O_EXCL refuses a link at the name, never follows it.
    return new ManifestFile(await fs.open(file, "wx"));
  }

  async write(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= 256 * 1024) await this.flush();
  }

  /** Everything written and on the disk (the drive travels: a cached write is not a written one). */
  async finish(): Promise<void> {
    await this.flush();
    await this.handle.sync();
    this.md5 = this.hash.digest("hex").toUpperCase();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async flush(): Promise<void> {
    const bytes = Buffer.from(this.pending.join(""), "utf8");
    this.pending = [];
    this.pendingChars = 0;
    this.hash.update(bytes);
    await this.handle.write(bytes);
  }
}

/**
 * The blob paths met so far, as 16-byte hashes: a million of them in tens of MB, not the paths.
 * Two paths with one MD5 are taken for one (as likely as no matter).
 */
class BlobPathSet {
  private readonly hashes = new Set<string>();

  /** Adds the path; false when it was there already. */
  add(blobPath: string): boolean {
    const key = createHash("md5").update(blobPath).digest("base64");
    if (this.hashes.has(key)) return false;
    this.hashes.add(key);
    return true;
  }
}

// ---- Planning: everything checked before the drive is touched ---------------------------------

async function plan(sources: SourceSpec[], drive: string, blockSize: number, warn: (message: string) => void): Promise<PlannedList[]> {
  const lists: PlannedList[] = [];
  const blobPaths = new BlobPathSet();
  for (const source of sources) {
    const sourcePath = path.resolve(source.path);
    const stat = await fs.stat(sourcePath).catch((error: NodeJS.ErrnoException) => {
      const problem = error.code === "ENOENT" || error.code === "ENOTDIR" ? "does not exist" : `cannot be read (${reason(error)})`;
      throw new PrepareError("invalid-input", `${source.origin}: source '${source.path}' ${problem}`);
    });
    if (!stat.isDirectory() && !stat.isFile()) throw new PrepareError("invalid-input", `${source.origin}: source '${source.path}' is neither a folder nor a file`);
    const realSource = await fs.realpath(sourcePath);
    const realDrive = await fs.realpath(drive).catch(() => drive);
    if (stat.isDirectory() && (isInside(realDrive, realSource) || isInside(realSource, realDrive))) {
      throw new PrepareError("drive-unusable", `${source.origin}: the drive '${drive}' and the source '${source.path}' overlap`);
    }
    const list: PlannedList = {
      source,
      disposition: source.disposition,
      files: 0,
      bytes: 0,
      metadata: source.metadataFile ? await readBlobFile(source.metadataFile, "metadata", source.origin) : undefined,
      properties: source.propertiesFile ? await readBlobFile(source.propertiesFile, "properties", source.origin) : undefined,
    };
    for await (const file of plannedFiles(source, blockSize, blobPaths, { sources, warn })) {
      list.files++;
      list.bytes += file.size;
    }
    lists.push(list);
  }
  return lists;
}

/**
 * The files of a source with their blob paths, as a walk finds them, each checked: a blob name Azure
 * refuses, a file too large for the block size, two files for one blob. `planning` is the plan's
 * pass: its walk warns of the links and special files it leaves out, and the sources are walked
 * again to name the other file of a blob met twice (only then). The copy's pass walks silently.
 */
async function* plannedFiles(source: SourceSpec, blockSize: number, blobPaths: BlobPathSet, planning?: { sources: SourceSpec[]; warn: (message: string) => void }): AsyncGenerator<PlannedFile> {
  const sourcePath = path.resolve(source.path);
  const maxFileSize = blockSize * MAX_BLOCKS_PER_BLOB;
  const check = async (filePath: string, size: number, blobPath: string): Promise<PlannedFile> => {
    if (!blobPaths.add(blobPath)) {
      const owner = planning ? await fileOfBlob(planning.sources, blobPath, filePath) : undefined;
      throw new PrepareError("invalid-input", `${source.origin}: '${filePath}' and ${owner ? `'${owner}'` : "another file"} would both be blob '${blobPath}'`);
    }
    if (size > maxFileSize) {
      throw new PrepareError("invalid-input", `${source.origin}: '${filePath}' is larger than ${MAX_BLOCKS_PER_BLOB} blocks of ${blockSize} bytes`);
    }
    const { container, blobName } = parseBlobPath(blobPath);
    return { source: filePath, size, blobPath, driveSegments: [container, ...blobName.split("/")] };
  };
  try {
    const stat = await fs.stat(sourcePath);
    if (stat.isDirectory()) {
      const destination = parseDestination(source.destination);
      // The plan's walk warns of what it leaves out; the copy's, the same walk again, does not repeat it.
      for await (const { filePath, segments, size } of walk(sourcePath, [], planning?.warn ?? (() => undefined))) yield await check(filePath, size, blobPathForFile(destination, segments, filePath));
    } else {
      yield await check(sourcePath, stat.size, fileBlobPath(source.destination, path.basename(sourcePath)));
    }
  } catch (error) {
    if (error instanceof BlobNameError) throw new PrepareError("invalid-input", `${source.origin}: ${error.message}`);
    if (error instanceof PrepareError) throw error;
    throw new PrepareError("invalid-input", `${source.origin}: source '${source.path}' cannot be read (${reason(error)})`);
  }
}

/** The first file of the sources that would be `blobPath`, other than `other`: for a message. */
async function fileOfBlob(sources: SourceSpec[], blobPath: string, other: string): Promise<string | undefined> {
  for (const source of sources) {
    const sourcePath = path.resolve(source.path);
    try {
      if ((await fs.stat(sourcePath)).isDirectory()) {
        const destination = parseDestination(source.destination);
        for await (const { filePath, segments } of walk(sourcePath, [], () => undefined)) {
          if (filePath !== other && blobPathFor(destination, segments) === blobPath) return filePath;
        }
      } else if (sourcePath !== other && fileBlobPath(source.destination, path.basename(sourcePath)) === blobPath) return sourcePath;
    } catch {
      // A name refused or a file gone: not the one looked for.
    }
  }
  return undefined;
}

/** A single file's blob path: the destination itself, or its name below a destination ending in '/'. */
function fileBlobPath(destination: string, fileName: string): string {
  if (destination.endsWith("/") || !destination.includes("/")) return blobPathFor(parseDestination(destination), [fileName]);
  parseBlobPath(destination);
  return destination;
}

function blobPathForFile(destination: Destination, segments: string[], filePath: string): string {
  try {
    return blobPathFor(destination, segments);
  } catch (error) {
    if (error instanceof BlobNameError) throw new BlobNameError(`file '${filePath}': ${error.message}`);
    throw error;
  }
}

/**
 * Regular files below `folder`, in name order. A symbolic link (to a file or a folder) is skipped
 * with a warning, never followed: it could lead out of the source, and what it names is not what
 * the customer chose to ship (AzCopy follows none by default either). FIFOs, sockets and devices
 * are skipped with a warning too. The source folder itself is taken as given.
 */
async function* walk(folder: string, segments: string[], warn: (message: string) => void): AsyncGenerator<{ filePath: string; segments: string[]; size: number }> {
  const entries = await fs.readdir(folder, { withFileTypes: true }).catch((error: unknown) => {
    throw new PrepareError("invalid-input", `cannot read folder '${folder}': ${reason(error)}`);
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const entryPath = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      yield* walk(entryPath, [...segments, entry.name], warn);
    } else if (entry.isFile()) {
      const stat = await fs.lstat(entryPath).catch((error: unknown) => {
        warn(`skipped '${entryPath}': ${reason(error)}`);
        return undefined;
      });
      if (stat?.isFile()) yield { filePath: entryPath, segments: [...segments, entry.name], size: stat.size };
    } else {
      warn(`skipped '${entryPath}': ${entry.isSymbolicLink() ? "a symbolic link (prepare follows no link below a source folder)" : "not a regular file or folder (a FIFO, socket or device)"}`);
    }
  }
}

async function readBlobFile(file: string, kind: "metadata" | "properties", origin: string): Promise<{ source: string; bytes: Buffer }> {
  let bytes: Buffer | undefined;
  try {
    bytes = readFileWithin(file, MAX_BLOB_FILE_BYTES);
  } catch (error) {
    throw new PrepareError("invalid-input", `${origin}: cannot read ${kind} file '${file}': ${reason(error)}`);
  }
  if (bytes === undefined) throw new PrepareError("invalid-input", `${origin}: ${kind} file '${file}' is larger than ${MAX_BLOB_FILE_BYTES / 1024} KiB, more than any blob's ${kind} can be`);
  try {
    if (kind === "metadata") parseMetadataFile(bytes.toString("utf8"));
    else parsePropertiesFile(bytes.toString("utf8"));
  } catch (error) {
    if (error instanceof BlobFileFormatError) throw new PrepareError("invalid-input", `${origin}: ${kind} file '${file}': ${error.message}`);
    throw error;
  }
  return { source: file, bytes };
}

/** Creates the drive folder if needed; refuses one holding anything but a dead run's staging folder. */
async function checkDriveIsEmpty(drive: string): Promise<boolean> {
  const entries = await fs.readdir(drive).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw new PrepareError("drive-unusable", `cannot read the drive '${drive}': ${reason(error)}`);
  });
  if (entries === undefined) {
    try {
      await fs.mkdir(drive, { recursive: true });
    } catch (error) {
      throw new PrepareError("drive-unusable", `cannot create the drive folder '${drive}': ${reason(error)}`);
    }
    return true;
  }
  const others = entries.filter((name) => !name.startsWith(STAGING_PREFIX) && name !== "lost+found");
  if (others.length > 0) {
    const what = others.includes(MANIFEST_FILE) ? "it is already prepared" : `it holds '${others[0]}'`;
    throw new PrepareError("drive-unusable", `the drive '${drive}' is not empty (${what}); prepare an empty drive`);
  }
  // A staging folder is what an interrupted run leaves: nothing else refers to it.
  for (const name of entries.filter((entry) => entry.startsWith(STAGING_PREFIX))) await removeQuietly(path.join(drive, name));
  return false;
}

// ---- Copying -----------------------------------------------------------------------------------

async function copyFile(
  file: PlannedFile,
  staging: string,
  buffer: Buffer,
  aborted: (() => boolean) | undefined,
  onBytes: (bytes: number) => void,
): Promise<{ length: number; blocks: ManifestBlock[] }> {
  const target = path.join(staging, ...file.driveSegments);
  await fs.mkdir(path.dirname(target), { recursive: true });
  let input: fs.FileHandle;
  try {
    input = await fs.open(file.source, "r");
  } catch (error) {
    throw new PrepareError("invalid-input", `cannot read '${file.source}': ${reason(error)}`);
  }
  const output = await fs.open(target, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL);
  const blocks: ManifestBlock[] = [];
  let offset = 0;
  try {
    for (;;) {
      checkAborted(aborted);
      const filled = await readFull(input, buffer, file.source);
      if (filled === 0) break;
      if (blocks.length === MAX_BLOCKS_PER_BLOB) throw new PrepareError("invalid-input", `'${file.source}' grew past ${MAX_BLOCKS_PER_BLOB} blocks while being copied`);
      const block = buffer.subarray(0, filled);
      blocks.push({ offset, length: filled, id: blockIdFor(blocks.length), hash: md5Hex(block) });
      await output.write(block, 0, filled);
      offset += filled;
      onBytes(filled);
      if (filled < buffer.length) break;
    }
  } finally {
    await input.close();
    await output.close();
  }
  return { length: offset, blocks };
}

/** Fills `buffer` from the file, short only at its end. */
async function readFull(input: fs.FileHandle, buffer: Buffer, source: string): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await input.read(buffer, filled, buffer.length - filled, null));
    } catch (error) {
      throw new PrepareError("invalid-input", `cannot read '${source}': ${reason(error)}`);
    }
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

async function copyToolFile(staging: string, name: string, bytes: Buffer): Promise<HashedFilePath> {
  await fs.mkdir(path.join(staging, TOOL_FOLDER), { recursive: true });
  await fs.writeFile(path.join(staging, TOOL_FOLDER, name), bytes, { flag: "wx" });
  return { path: driveFilePath([TOOL_FOLDER, name]), hash: md5Hex(bytes) };
}

async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, "wx");
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function checkAborted(aborted: (() => boolean) | undefined): void {
  if (aborted?.()) throw new PrepareError("interrupted", "interrupted: nothing was left on the drive");
}

/** Cleans up after a failure already being reported: a leftover is not worth hiding that failure behind. */
async function removeQuietly(target: string): Promise<void> {
  await fs.rm(target, { recursive: true, force: true }).catch(() => undefined);
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === "" || (!relative.startsWith("..") && !path.isAbsolute(relative));
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
