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
 *   the block MD5s the log gives, with the whole file's MD5 as the blob's Content-MD5.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { RestError } from "@azure/storage-blob";
import type { BlobServiceClient } from "@azure/storage-blob";
import { ManifestBlob, MANIFEST_FILE, md5Hex, parseDriveManifest, resolveDriveFilePath } from "../drive/drive-manifest";
import { exportedBlobFiles, PARTIAL_FOLDER, partialFile } from "../drive/export-blob-files";
import { EXPORT_BLOCK_BYTES } from "../drive/export-packing";
import { BlobLogEntry, DriveLog, issueKind, parseDriveLog } from "./copy-log";
import { localPathOf } from "./export-drive";
import { resolveSelection } from "./export-selection";

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

function blobClientOf(client: BlobServiceClient, blobPath: string) {
  const slash = blobPath.indexOf("/");
  return client.getContainerClient(blobPath.slice(0, slash)).getBlobClient(blobPath.slice(slash + 1));
}

export async function repairExport(options: { drivePath: string; copyLog: DriveLog; client: BlobServiceClient; onItem?: (item: RepairItem) => void }): Promise<RepairReport> {
  const manifest = parseDriveManifest(await readFile(path.join(options.drivePath, MANIFEST_FILE), "utf8"));
  const report: RepairReport = { checked: 0, repaired: [], failed: [] };
  const onDrive = new Set<string>();
  for (const blob of manifest.blobLists.flatMap((list) => list.blobs)) {
    report.checked++;
    onDrive.add(blob.blobPath);
    await mendExportedFiles(options, blob, report);
    const local = resolveDriveFilePath(options.drivePath, blob.filePath);
    const blocks = blob.blockList ?? [];
    const size = await stat(local).then((stats) => stats.size, () => undefined);
    let bad: number[];
    let problem: string;
    if (size === undefined || size !== blob.length) {
      problem = size === undefined ? "missing" : "length";
      bad = blocks.map((_, index) => index);
    } else {
      bad = await corruptBlocks(local, blocks);
      problem = "corrupted";
      if (bad.length === 0) continue;
    }
    const item: RepairItem = { blobPath: blob.blobPath, filePath: blob.filePath, problem, blocks: bad.length, bytes: bad.reduce((sum, index) => sum + blocks[index].length, 0) };
    try {
      await mkdir(path.dirname(local), { recursive: true });
      const file = await open(local, size === undefined ? "w" : "r+");
      try {
        for (const index of bad) {
          const block = blocks[index];
          const buffer = block.length === 0 ? Buffer.alloc(0) : await blobClientOf(options.client, blob.blobPath).downloadToBuffer(block.offset, block.length);
          if (md5Hex(buffer) !== block.hash.toUpperCase()) throw new Error(`the blob changed since the export (block at ${block.offset} has another MD5)`);
          await file.write(buffer, 0, buffer.length, block.offset);
        }
        await file.truncate(blob.length);
      } finally {
        await file.close();
      }
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
      const local = localPathOf(options.drivePath, blob.blobPath);
      await mkdir(path.dirname(local), { recursive: true });
      // Under a short name of its own, as the export writes: a suffix would push a long name past the limit.
      const partial = partialFile(options.drivePath);
      await mkdir(path.dirname(partial), { recursive: true });
      await blobClientOf(options.client, blob.blobPath).downloadToFile(partial);
      await rename(partial, local);
      item.bytes = (await stat(local)).size;
      report.repaired.push(item);
      options.onItem?.(item);
    } catch (error) {
      report.failed.push({ ...item, reason: reasonOf(error) });
    }
  }
  await rm(path.join(options.drivePath, PARTIAL_FOLDER), { recursive: true, force: true });
  return report;
}

/**
 * A blob's metadata and properties files against the manifest's MD5s. The account's listing of the
 * blob gives their text again; text that does not match the MD5 means the blob (its ETag, its
 * properties) changed since the export: reported, not written.
 */
async function mendExportedFiles(options: { drivePath: string; client: BlobServiceClient; onItem?: (item: RepairItem) => void }, blob: ManifestBlob, report: RepairReport): Promise<void> {
  for (const [kind, part] of [["metadata", blob.metadataPath], ["properties", blob.propertiesPath]] as const) {
    if (!part) continue;
    const local = resolveDriveFilePath(options.drivePath, part.path);
    const text = await readFile(local).catch(() => undefined);
    if (text && md5Hex(text) === part.hash) continue;
    const item: RepairItem = { blobPath: blob.blobPath, filePath: part.path, problem: `${kind} ${text ? "corrupted" : "missing"}`, bytes: 0 };
    try {
      const [listed] = (await resolveSelection(options.client, { blobPath: [blob.blobPath], blobPathPrefix: [] })).blobs;
      if (!listed?.details) throw new Error("the blob is no longer in the account");
      const again = exportedBlobFiles(blob.blobPath, listed.details)[kind];
      if (!again || md5Hex(again.text) !== part.hash) throw new Error(`the blob's ${kind} changed since the export`);
      await mkdir(path.dirname(local), { recursive: true });
      await writeFile(local, again.text);
      item.bytes = Buffer.byteLength(again.text);
      report.repaired.push(item);
      options.onItem?.(item);
    } catch (error) {
      report.failed.push({ ...item, reason: reasonOf(error) });
    }
  }
}

async function corruptBlocks(local: string, blocks: { offset: number; length: number; hash: string }[]): Promise<number[]> {
  const bad: number[] = [];
  const file = await open(local, "r");
  try {
    for (const [index, block] of blocks.entries()) {
      const buffer = await readRange(file, block.offset, block.length);
      if (md5Hex(buffer) !== block.hash.toUpperCase()) bad.push(index);
    }
  } finally {
    await file.close();
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

/**
 * The customer's copy of a drive file: below one of the source folders, by the drive path or any
 * tail of it (a drive keeps files under `\container\…`, a source folder holds them as they were).
 */
async function findSourceFile(sources: string[], filePath: string, length: number): Promise<string | undefined> {
  const segments = filePath.replace(/^[\\/]/, "").split(/[\\/]/);
  for (const source of sources) {
    for (let first = 0; first < segments.length; first++) {
      let candidate: string;
      try {
        candidate = resolveDriveFilePath(source, segments.slice(first).join("\\"));
      } catch {
        continue;
      }
      const size = await stat(candidate).then((stats) => (stats.isFile() ? stats.size : -1), () => -1);
      if (size === length) return candidate;
    }
  }
  return undefined;
}

export async function repairImport(options: { sources: string[]; copyLog: DriveLog; client: BlobServiceClient; onItem?: (item: RepairItem) => void }): Promise<RepairReport> {
  const report: RepairReport = { checked: 0, repaired: [], failed: [] };
  for (const blob of options.copyLog.blobs.filter(failedInLog)) {
    report.checked++;
    const item: RepairItem = { blobPath: blob.blobPath, filePath: blob.filePath, problem: issueKind(blob) ?? blob.status, bytes: blob.length };
    try {
      const local = await findSourceFile(options.sources, blob.filePath, blob.length);
      if (!local) throw new Error(`no file of ${blob.length} bytes at '${blob.filePath}' (or a tail of it) below ${options.sources.join(", ")}`);
      // The log's block MD5s are the manifest's: the file must be the one the drive was prepared from.
      const file = await open(local, "r");
      const whole = createHash("md5");
      try {
        const hashed = new Map((blob.blocks ?? []).filter((block) => block.hash).map((block) => [block.offset, block]));
        for (let offset = 0; offset < blob.length; offset += EXPORT_BLOCK_BYTES) {
          const chunk = await readRange(file, offset, Math.min(EXPORT_BLOCK_BYTES, blob.length - offset));
          whole.update(chunk);
          for (const block of hashed.values()) {
            if (block.offset >= offset && block.offset < offset + chunk.length) {
              const bytes = await readRange(file, block.offset, block.length);
              if (md5Hex(bytes) !== block.hash!.toUpperCase()) throw new Error(`'${local}' is not the file the drive held (block at ${block.offset} has another MD5)`);
            }
          }
        }
      } finally {
        await file.close();
      }
      const contentMD5 = whole.digest();
      const target = blobClientOf(options.client, blob.blobPath).getBlockBlobClient();
      await target.uploadFile(local, { blockSize: EXPORT_BLOCK_BYTES, concurrency: 4, blobHTTPHeaders: { blobContentMD5: contentMD5 } });
      const stored = await target.getProperties();
      if (!stored.contentMD5 || Buffer.from(stored.contentMD5).compare(contentMD5) !== 0 || stored.contentLength !== blob.length) {
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

function reasonOf(error: unknown): string {
  if (error instanceof RestError) return `${error.statusCode ?? ""} ${error.code ?? error.message}`.trim();
  return error instanceof Error ? error.message : String(error);
}
