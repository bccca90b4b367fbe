/**
 * How an export's blobs fill drives: one rule that both the drive count preview
 * (`npm run drive -- preview-export`, WAImportExport's PreviewExport) and the data-center agent
 * (`npm run datacenter -- export`) apply, so the preview's figures are what the copy does.
 *
 * Blobs go onto drives in the list's order; a drive takes blobs until the next one does not fit,
 * and the next drive carries on from there. A blob that would not fit even on an empty drive of
 * that size cannot be exported on such drives: it is passed over and ends in the incomplete-blob
 * list. What a blob costs on a drive is its file, rounded up to whole NTFS clusters, plus the
 * file's NTFS record, plus its entry in the drive manifest, plus its metadata and properties files
 * (small enough for NTFS to keep inside their file records) and their manifest lines. Every drive
 * also holds the key record,
 * the manifest's own header and the file system's own structures. The real tool says only that it
 * counts "any necessary overhead"; these are the figures this project counts, stated here.
 *
 * A blob whose name cannot be a file on the customer's NTFS drive (blob-names.ts,
 * `driveFileNameProblem`: `CON`, `a:b`, a trailing dot or space, a segment over 255 characters) is
 * passed over like a blob too large: it cannot be exported, whatever the drive.
 */
import { driveFileNameProblem } from "./blob-names";
import { ExportedBlobDetails, exportedBlobFiles } from "./export-blob-files";
import { escapeXml } from "./xml";

/** NTFS's default cluster size: every file occupies whole clusters. */
const CLUSTER_BYTES = 4096;
/** One NTFS file record (MFT entry) per file. */
const FILE_RECORD_BYTES = 1024;
/** The file system's own files ($MFT, $LogFile, ...) on the volume. */
const FILE_SYSTEM_RESERVE_BYTES = 1024 * 1024;
/** The export writes each blob's file in blocks of this size, listed in the manifest. */
export const EXPORT_BLOCK_BYTES = 4 * 1024 * 1024;
/** The manifest's XML outside the blob entries (declaration, root, drive id, blob list). */
const MANIFEST_HEADER_BYTES = 512;
/** A manifest blob entry without its paths and blocks; and one `<Block …/>` line. */
const MANIFEST_BLOB_BYTES = 256;
const MANIFEST_BLOCK_BYTES = 128;
/** A `<MetadataPath Hash="…">` or `<PropertiesPath Hash="…">` line without its path. */
const MANIFEST_FILE_PATH_BYTES = 96;
/** NTFS keeps a file this small inside its file record (resident data): it takes no cluster. */
const RESIDENT_FILE_BYTES = 512;
/** The key record at the drive's root (one cluster and its file record). */
const KEY_RECORD_BYTES = CLUSTER_BYTES + FILE_RECORD_BYTES;

export interface PackableBlob {
  /** `container/blob`. */
  blobPath: string;
  length: number;
  /** Its metadata and properties, written beside it in files of their own. */
  details?: ExportedBlobDetails;
}

export function clusters(bytes: number): number {
  return Math.ceil(bytes / CLUSTER_BYTES) * CLUSTER_BYTES;
}

function blockCount(length: number): number {
  return Math.max(1, Math.ceil(length / EXPORT_BLOCK_BYTES));
}

/** The drive-form file path of an exported blob: `\container\dir\name`. */
export function exportFilePath(blobPath: string): string {
  return "\\" + blobPath.replace(/^\//, "").split("/").join("\\");
}

/** The manifest bytes of one blob's entry (an upper bound of what the writer produces). */
function manifestEntryBytes(blob: PackableBlob): number {
  const text = (value: string) => Buffer.byteLength(escapeXml(value));
  return MANIFEST_BLOB_BYTES + text(blob.blobPath) + text(exportFilePath(blob.blobPath)) + blockCount(blob.length) * MANIFEST_BLOCK_BYTES;
}

/** What one blob costs on a drive: its file in whole clusters, its file record, its manifest entry, its metadata and properties files. */
export function blobFootprint(blob: PackableBlob): number {
  return clusters(blob.length) + FILE_RECORD_BYTES + manifestEntryBytes(blob) + exportedFilesBytes(blob);
}

/** The metadata and properties files of a blob: each its file record (and clusters when not resident) and its manifest line. */
function exportedFilesBytes(blob: PackableBlob): number {
  if (!blob.details) return 0;
  const files = exportedBlobFiles(blob.blobPath, blob.details);
  return [files.metadata, files.properties].reduce((sum, file) => {
    if (!file) return sum;
    const size = Buffer.byteLength(file.text);
    return sum + (size <= RESIDENT_FILE_BYTES ? 0 : clusters(size)) + FILE_RECORD_BYTES + MANIFEST_FILE_PATH_BYTES + Buffer.byteLength(escapeXml(file.filePath));
  }, 0);
}

/** The bytes of a drive of `driveBytes` left for blobs: less the file system, key record and manifest header (the manifest's last cluster, too). */
export function usableBytes(driveBytes: number): number {
  return Math.max(0, driveBytes - FILE_SYSTEM_RESERVE_BYTES - KEY_RECORD_BYTES - FILE_RECORD_BYTES - MANIFEST_HEADER_BYTES - CLUSTER_BYTES);
}

export interface DriveFill {
  /** Indexes (into the list) of the blobs this drive takes, in order. */
  taken: number[];
  /** Indexes passed over because no drive of this size could hold them. */
  tooLarge: number[];
  /** Indexes passed over because their names cannot be files on the drive. */
  unnamable: number[];
  /** Where the next drive carries on (the list's length when nothing is left). */
  next: number;
  /** Bytes occupied, overhead included. */
  occupiedBytes: number;
}

/** Fills one drive of `driveBytes`, starting at `start`. */
export function fillDrive(blobs: readonly PackableBlob[], start: number, driveBytes: number): DriveFill {
  const usable = usableBytes(driveBytes);
  const taken: number[] = [];
  const tooLarge: number[] = [];
  const unnamable: number[] = [];
  let used = 0;
  let index = start;
  for (; index < blobs.length; index++) {
    if (driveFileNameProblem(blobs[index].blobPath) !== undefined) {
      unnamable.push(index);
      continue;
    }
    const footprint = blobFootprint(blobs[index]);
    if (footprint > usable) {
      tooLarge.push(index);
      continue;
    }
    if (used + footprint > usable) break;
    used += footprint;
    taken.push(index);
  }
  return { taken, tooLarge, unnamable, next: index, occupiedBytes: driveBytes - usable + used };
}

export interface ExportPlan {
  driveBytes: number;
  drives: { blobs: number; occupiedBytes: number; lengthBytes: number }[];
  exportable: { blobs: number; bytes: number };
  tooLarge: { blobs: number; bytes: number };
  /** Blobs whose names cannot be files on the drive. */
  unnamable: { blobs: number; bytes: number };
}

/** The whole export on drives of one size: how many drives, what each holds, what cannot go. */
export function planExport(blobs: readonly PackableBlob[], driveBytes: number): ExportPlan {
  const plan: ExportPlan = { driveBytes, drives: [], exportable: { blobs: 0, bytes: 0 }, tooLarge: { blobs: 0, bytes: 0 }, unnamable: { blobs: 0, bytes: 0 } };
  let start = 0;
  while (start < blobs.length) {
    const fill = fillDrive(blobs, start, driveBytes);
    for (const index of fill.tooLarge) {
      plan.tooLarge.blobs++;
      plan.tooLarge.bytes += blobs[index].length;
    }
    for (const index of fill.unnamable) {
      plan.unnamable.blobs++;
      plan.unnamable.bytes += blobs[index].length;
    }
    if (fill.taken.length > 0) {
      const lengthBytes = fill.taken.reduce((sum, index) => sum + blobs[index].length, 0);
      plan.drives.push({ blobs: fill.taken.length, occupiedBytes: fill.occupiedBytes, lengthBytes });
      plan.exportable.blobs += fill.taken.length;
      plan.exportable.bytes += lengthBytes;
    }
    start = fill.next;
  }
  return plan;
}

/** `500GB`, `1.5 TB`, `2TiB`, `1048576`: a drive size in bytes (GB and TB decimal, as drives are sold). */
export function parseDriveSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(text);
  if (!match) return undefined;
  const units: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };
  const bytes = Math.floor(Number(match[1]) * units[(match[2] ?? "B").toUpperCase()]);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}
