/**
 * The customer's repairs after a job, in the roles of WAImportExport `RepairExport` and
 * `RepairImport`, over the drive's copy log.
 *
 * - Export: every file of the returned drive is checked against the drive manifest (present, its
 *   length, each block's MD5); a missing or short file is downloaded again, a corrupt block is
 *   downloaded again in place; blobs the copy log lists as failed are downloaded. A blob's
 *   metadata and properties files are checked against their MD5s too, and one missing or damaged
 *   is written again from what the account lists of the blob now. Bytes that come
 *   back different from the manifest's MD5 mean the blob changed since the export: reported, not
 *   written.
 * - Import: each blob the copy log lists as failed is uploaded again from the customer's own copy
 *   of the file (found by its drive path below the source folder), after checking the file against
 *   the block MD5s the log gives, with the whole file's MD5 as the blob's Content-MD5. Its blob path
 *   passes the import's own rules first.
 *
 * Both reach the drive (or the source folders) as the agent does, through drive-fs.ts: no link is
 * followed, for reading or for writing, and a link where a file belongs is replaced by the file.
 */
import { createHash } from "node:crypto";
import type { Stats } from "node:fs";
import { readFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { RestError } from "@azure/storage-blob";
import type { BlobServiceClient } from "@azure/storage-blob";
import { parseBlobPath } from "../formats/blob-names";
import { DriveTree, exportDriveTree, exportFileSegments } from "../drive-access/drive-fs";
import { driveFileSegments, ManifestBlob, ManifestBlock, MANIFEST_FILE, md5Hex, parseDriveManifest } from "../formats/drive-manifest";
import { blobPathProblem } from "../formats/export-blob-list";
import { exportedBlobFiles } from "../formats/export-blob-files";
import { EXPORT_BLOCK_BYTES } from "../formats/export-packing";
import { BlobLogEntry, DriveLog, issueKind, parseDriveLog } from "../formats/copy-log";
import { resolveSelection } from "../storage/export-selection";

export interface RepairItem {
  blobPath: string;
  filePath: string;
  /** What was wrong: `missing`, `length`, `corrupted` (with the bad blocks), or the log's status. */
  problem: string;
  blocks?: number;
  bytes: number;
}

export interface RepairReport {
  checked: number;
  repaired: RepairItem[];
  failed: (RepairItem & { reason: string })[];
}

/** A copy log from a file, or from its URL (Get Job's errorLogUri / verboseLogUri). */
export async function readCopyLog(fileOrUri: string): Promise<DriveLog> {
  if (/^https?:\/\//i.test(fileOrUri)) {
    const response = await fetch(fileOrUri);
    if (!response.ok) throw new Error(`the copy log at ${new URL(fileOrUri).origin}${new URL(fileOrUri).pathname} answered ${response.status}`);
    return parseDriveLog(await response.text());
  }
  return parseDriveLog(await readFile(fileOrUri, "utf8"));
}

/** Whether the log says the blob did not make it (disposition notes are not failures). */
function failedInLog(blob: BlobLogEntry): boolean {
  const kind = issueKind(blob);
  return kind !== undefined && kind !== "Renamed" && kind !== "Skipped" && kind !== "Overwritten";
}

/** The blob a log or manifest names; a path that is not one (a `..` segment the URL would resolve into another container) is refused. */
function blobClientOf(client: BlobServiceClient, blobPath: string) {
  const problem = blobPathProblem(blobPath);
  if (problem) throw new Error(`'${blobPath}' is not a blob path: ${problem}`);
  const slash = blobPath.indexOf("/");
  return client.getContainerClient(blobPath.slice(0, slash)).getBlobClient(blobPath.slice(slash + 1));
}

/**
 * Every file of the drive is reached through its DriveTree, as the agent reaches it: a link, FIFO
 * or folder where a file belongs is "missing" and written again (replacing the link, never through
 * it); the manifest itself must be a regular file on the drive.
 */
export async function repairExport(options: { drivePath: string; copyLog: DriveLog; client: BlobServiceClient; onItem?: (item: RepairItem) => void }): Promise<RepairReport> {
  const drive = exportDriveTree(options.drivePath);
  const manifest = parseDriveManifest(drive.readFileSync([MANIFEST_FILE]).toString("utf8"));
  const report: RepairReport = { checked: 0, repaired: [], failed: [] };
  const onDrive = new Set<string>();
  for (const blob of manifest.blobLists.flatMap((list) => list.blobs)) {
    report.checked++;
    onDrive.add(blob.blobPath);
    await mendExportedFiles(options, drive, blob, report);
    const segments = driveFileSegments(blob.filePath);
    const blocks = blob.blockList ?? [];
    const found = regularFile(drive, segments);
    let bad: number[];
    let problem: string;
    if (found === undefined || found.size !== blob.length) {
      problem = found === undefined ? "missing" : "length";
      bad = blocks.map((_, index) => index);
    } else {
      bad = await corruptBlocks(drive, segments, found, blocks);
      problem = "corrupted";
      if (bad.length === 0) continue;
    }
    const item: RepairItem = { blobPath: blob.blobPath, filePath: blob.filePath, problem, blocks: bad.length, bytes: bad.reduce((sum, index) => sum + blocks[index].length, 0) };
    try {
      // In place only in a file of one name: through a hard link, the file's other name (another
      // file of the drive) would change too.
      if (problem === "corrupted" && found!.nlink === 1) await mendInPlace(options.client, drive, segments, found!, blob, bad);
      else await writeWhole(options.client, drive, segments, blob);
      report.repaired.push(item);
      options.onItem?.(item);
    } catch (error) {
      report.failed.push({ ...item, reason: reasonOf(error) });
    }
  }
  // Blobs the copy could not put on the drive at all: downloaded whole, beside the others.
  for (const blob of options.copyLog.blobs.filter(failedInLog)) {
    if (onDrive.has(blob.blobPath)) continue;
    report.checked++;
    const item: RepairItem = { blobPath: blob.blobPath, filePath: blob.filePath, problem: blob.status, bytes: blob.length };
    try {
      item.bytes = await downloadWhole(blobClientOf(options.client, blob.blobPath), drive, exportFileSegments(blob.blobPath));
      report.repaired.push(item);
      options.onItem?.(item);
    } catch (error) {
      report.failed.push({ ...item, reason: reasonOf(error) });
    }
  }
  drive.removePartialFolder();
  return report;
}

/** The `lstat` of a regular file on the drive, or undefined when there is none (a link, special file or folder in its place counts as none). */
function regularFile(drive: DriveTree, segments: string[]): Stats | undefined {
  try {
    return drive.file(segments);
  } catch {
    return undefined; // what stands there is replaced by the repair, never opened
  }
}

/** A block of the blob as the manifest has it; other bytes mean the blob changed since the export. */
async function downloadBlock(client: BlobServiceClient, blob: ManifestBlob, block: ManifestBlock): Promise<Buffer> {
  const buffer = block.length === 0 ? Buffer.alloc(0) : await blobClientOf(client, blob.blobPath).downloadToBuffer(block.offset, block.length);
  if (md5Hex(buffer) !== block.hash.toUpperCase()) throw new Error(`the blob changed since the export (block at ${block.offset} has another MD5)`);
  return buffer;
}

async function mendInPlace(client: BlobServiceClient, drive: DriveTree, segments: string[], found: Stats, blob: ManifestBlob, bad: number[]): Promise<void> {
  const blocks = blob.blockList ?? [];
  const { handle } = await drive.open(segments, { update: true, seen: found });
  try {
    for (const index of bad) {
      const buffer = await downloadBlock(client, blob, blocks[index]);
      await handle.write(buffer, 0, buffer.length, blocks[index].offset);
    }
  } finally {
    await handle.close();
  }
}

/** The blob's whole file, block by block, under a temporary name renamed over the name. */
async function writeWhole(client: BlobServiceClient, drive: DriveTree, segments: string[], blob: ManifestBlob): Promise<void> {
  await writeInPieces(drive, segments, async (handle) => {
    for (const block of blob.blockList ?? []) {
      const buffer = await downloadBlock(client, blob, block);
      await handle.write(buffer, 0, buffer.length, block.offset);
    }
  });
}

/** A blob the manifest does not hold, downloaded whole onto the drive in ranges on the ETag it had at the start; its length. */
async function downloadWhole(source: ReturnType<typeof blobClientOf>, drive: DriveTree, segments: string[]): Promise<number> {
  const { contentLength = 0, etag } = await source.getProperties();
  await writeInPieces(drive, segments, async (handle) => {
    for (let offset = 0; offset < contentLength; offset += EXPORT_BLOCK_BYTES) {
      const length = Math.min(EXPORT_BLOCK_BYTES, contentLength - offset);
      const buffer = await source.downloadToBuffer(offset, length, { conditions: { ifMatch: etag } });
      await handle.write(buffer, 0, buffer.length, offset);
    }
  });
  return contentLength;
}

/** A file written by `fill` under its temporary name, renamed over its name once whole; discarded if `fill` fails. */
async function writeInPieces(drive: DriveTree, segments: string[], fill: (handle: FileHandle) => Promise<void>): Promise<void> {
  const partial = await drive.createPartial(segments);
  try {
    await fill(partial.handle);
    await partial.handle.close();
  } catch (error) {
    await partial.handle.close();
    await partial.discard();
    throw error;
  }
  await partial.commit();
}

/**
 * A blob's metadata and properties files against the manifest's MD5s. The account's listing of the
 * blob gives their text again; text that does not match the MD5 means the blob (its ETag, its
 * properties) changed since the export: reported, not written.
 */
async function mendExportedFiles(options: { client: BlobServiceClient; onItem?: (item: RepairItem) => void }, drive: DriveTree, blob: ManifestBlob, report: RepairReport): Promise<void> {
  for (const [kind, part] of [["metadata", blob.metadataPath], ["properties", blob.propertiesPath]] as const) {
    if (!part) continue;
    const segments = driveFileSegments(part.path);
    let text: Buffer | undefined;
    try {
      text = drive.readFileSync(segments);
    } catch {
      text = undefined; // not a regular file on the drive: written again below
    }
    if (text && md5Hex(text) === part.hash) continue;
    const item: RepairItem = { blobPath: blob.blobPath, filePath: part.path, problem: `${kind} ${text ? "corrupted" : "missing"}`, bytes: 0 };
    try {
      const [listed] = (await resolveSelection(options.client, { blobPath: [blob.blobPath], blobPathPrefix: [] })).blobs;
      if (!listed?.details) throw new Error("the blob is no longer in the account");
      const again = exportedBlobFiles(blob.blobPath, listed.details)[kind];
      if (!again || md5Hex(again.text) !== part.hash) throw new Error(`the blob's ${kind} changed since the export`);
      drive.writeFileSync(segments, again.text);
      item.bytes = Buffer.byteLength(again.text);
      report.repaired.push(item);
      options.onItem?.(item);
    } catch (error) {
      report.failed.push({ ...item, reason: reasonOf(error) });
    }
  }
}

async function corruptBlocks(drive: DriveTree, segments: string[], found: Stats, blocks: ManifestBlock[]): Promise<number[]> {
  const bad: number[] = [];
  const { handle } = await drive.open(segments, { seen: found });
  try {
    for (const [index, block] of blocks.entries()) {
      const buffer = await readRange(handle, block.offset, block.length);
      if (md5Hex(buffer) !== block.hash.toUpperCase()) bad.push(index);
    }
  } finally {
    await handle.close();
  }
  return bad;
}

async function readRange(file: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await file.read(buffer, read, length - read, offset + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}

interface SourceFile {
  tree: DriveTree;
  segments: string[];
  seen: Stats;
}

/**
 * The customer's copy of a drive file: below one of the source folders, by the drive path or any
 * tail of it (a drive keeps files under `\container\…`, a source folder holds them as they were),
 * reached as the agent reaches a drive's files: a link (or a link on the way) is not the file.
 */
function findSourceFile(sources: DriveTree[], filePath: string, length: number): SourceFile | undefined {
  const segments = filePath.replace(/^[\\/]/, "").split(/[\\/]/);
  for (const tree of sources) {
    for (let first = 0; first < segments.length; first++) {
      try {
        const tail = driveFileSegments(segments.slice(first).join("\\"));
        const seen = tree.file(tail);
        if (seen.size === length) return { tree, segments: tail, seen };
      } catch {
        continue; // not a regular file there: try the next tail
      }
    }
  }
  return undefined;
}

export async function repairImport(options: { sources: string[]; copyLog: DriveLog; client: BlobServiceClient; onItem?: (item: RepairItem) => void }): Promise<RepairReport> {
  const report: RepairReport = { checked: 0, repaired: [], failed: [] };
  const sources = options.sources.map((source) => new DriveTree(source));
  for (const blob of options.copyLog.blobs.filter(failedInLog)) {
    report.checked++;
    const item: RepairItem = { blobPath: blob.blobPath, filePath: blob.filePath, problem: issueKind(blob) ?? blob.status, bytes: blob.length };
    try {
      // The import's own rules for a blob path: a '..' segment is refused, never resolved into another container.
      const { container, blobName } = parseBlobPath(blob.blobPath);
      const found = findSourceFile(sources, blob.filePath, blob.length);
      if (!found) throw new Error(`no file of ${blob.length} bytes at '${blob.filePath}' (or a tail of it) below ${options.sources.join(", ")}`);
      const local = path.join(found.tree.root, ...found.segments);
      const target = options.client.getContainerClient(container).getBlockBlobClient(blobName);
      const staged = await stageFile(found, target, blob, local);
      await target.commitBlockList(staged.blockIds, { blobHTTPHeaders: { blobContentMD5: staged.md5 } });
      const stored = await target.getProperties();
      if (!stored.contentMD5 || Buffer.from(stored.contentMD5).compare(staged.md5) !== 0 || stored.contentLength !== blob.length) {
        throw new Error("the uploaded blob does not carry the file's MD5");
      }
      report.repaired.push(item);
      options.onItem?.(item);
    } catch (error) {
      report.failed.push({ ...item, reason: reasonOf(error) });
    }
  }
  return report;
}

/**
 * Checks the opened file against the block MD5s the log gives (they are the manifest's: the file
 * must be the one the drive was prepared from), then stages it in blocks from the same handle, so
 * what is uploaded is what was checked; the file's MD5 and the block ids to commit.
 */
async function stageFile(found: SourceFile, target: ReturnType<ReturnType<BlobServiceClient["getContainerClient"]>["getBlockBlobClient"]>, blob: BlobLogEntry, local: string): Promise<{ md5: Buffer; blockIds: string[] }> {
  const { handle } = await found.tree.open(found.segments, { seen: found.seen });
  try {
    for (const block of (blob.blocks ?? []).filter((entry) => entry.hash)) {
      const bytes = await readRange(handle, block.offset, block.length);
      if (md5Hex(bytes) !== block.hash!.toUpperCase()) throw new Error(`'${local}' is not the file the drive held (block at ${block.offset} has another MD5)`);
    }
    const whole = createHash("md5");
    const blockIds: string[] = [];
    for (let offset = 0; offset < blob.length; offset += EXPORT_BLOCK_BYTES) {
      const length = Math.min(EXPORT_BLOCK_BYTES, blob.length - offset);
      const chunk = await readRange(handle, offset, length);
      if (chunk.length < length) throw new Error(`'${local}' changed while it was read`);
      whole.update(chunk);
      const id = Buffer.from(`repair-${String(blockIds.length).padStart(6, "0")}`).toString("base64");
      await target.stageBlock(id, chunk, chunk.length);
      blockIds.push(id);
    }
    return { md5: whole.digest(), blockIds };
  } finally {
    await handle.close();
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof RestError) return `${error.statusCode ?? ""} ${error.code ?? error.message}`.trim();
  return error instanceof Error ? error.message : String(error);
}
