/**
 * The metadata and properties files an export writes for each blob it copies ("For an export job,
 * metadata and properties are written to a metadata or properties file that is included on the
 * hard drive returned to you"), named in the blob's manifest entry (`<MetadataPath Hash>`,
 * `<PropertiesPath Hash>`), so the customer gets the blob's metadata and its Content-Type,
 * Content-Encoding, Content-Language, Cache-Control, Content-MD5 and Content-Disposition back, and an
 * import of the drive sets them again.
 *
 * They go below `\_ImportExport\` (where the drive tool keeps its files; no container can be named
 * so), mirroring the blob's file: `\_ImportExport\<container>\<name>.metadata.xml` and
 * `….properties.xml`. Beside the blob's own file they could take the name of another blob. A name
 * that the suffix would push past a file name's 255 characters or bytes keeps its start and gets a
 * hash of the whole in place of the rest (`<start>~<16 hex>.properties.xml`). The text
 * is a function of what the listing said of the blob, so the drive count preview counts the exact
 * bytes, and repair-export can write a lost file again and check it against the manifest's MD5.
 */
import { createHash } from "node:crypto";
import { MAX_FILE_NAME_BYTES } from "./blob-names";
import { driveFileSegments, md5Hex } from "./drive-manifest";
import { BlobMetadata, ExportedBlobProperties, writeMetadataFile, writePropertiesFile } from "./metadata-properties";

export const EXPORT_FILES_FOLDER = "_ImportExport";

/** What writing the files takes of the drive: drive-access's `DriveTree` (no link followed, nothing written through). */
interface DriveFiles {
  createFileSync(segments: readonly string[], data: string): void;
}

/** What the listing said of a blob besides its name and length. */
export interface ExportedBlobDetails {
  metadata: BlobMetadata;
  properties: ExportedBlobProperties;
}

export interface ExportedFile {
  /** Drive form: `\_ImportExport\container\name.properties.xml`. */
  filePath: string;
  text: string;
}

export interface ExportedFiles {
  /** None when the blob has no metadata. */
  metadata?: ExportedFile;
  properties: ExportedFile;
  /** Why the metadata file cannot be written (a name XML cannot hold). */
  metadataProblem?: string;
}

/** How a file of an export ended, in the copy log's terms (`PartLogEntry`). */
export interface ExportedFileOutcome {
  status: "Completed" | "XmlWriteFailed" | "IOFailed";
  path?: { path: string; hash: string };
}

export function exportedBlobFiles(blobPath: string, details: ExportedBlobDetails): ExportedFiles {
  const files: ExportedFiles = { properties: { filePath: exportedBlobFilePath(blobPath, "properties"), text: writePropertiesFile(details.properties) } };
  if (Object.keys(details.metadata).length > 0) {
    try {
      files.metadata = { filePath: exportedBlobFilePath(blobPath, "metadata"), text: writeMetadataFile(details.metadata) };
    } catch (error) {
      files.metadataProblem = error instanceof Error ? error.message : String(error);
    }
  }
  return files;
}

/** Where a blob's metadata or properties file goes, drive form: `\_ImportExport\container\name.properties.xml`. */
export function exportedBlobFilePath(blobPath: string, kind: "metadata" | "properties"): string {
  const segments = blobPath.replace(/^\//, "").split("/");
  return "\\" + [EXPORT_FILES_FOLDER, ...segments.slice(0, -1), fileNameWith(segments[segments.length - 1], `.${kind}.xml`)].join("\\");
}

/** How a shortened name ends: `~` and 16 hex digits of the whole name's MD5. */
const SHORTENED = /~[0-9a-f]{16}$/;

/**
 * `name` + `suffix`, or, when that is longer than a file name may be, the name's start and a hash of
 * it. Counted in UTF-8 bytes, never fewer than UTF-16 units: within the agent's limit is within NTFS's.
 * A name that already ends like a hash is hashed too: kept as it is, it could be another blob's
 * shortened name, and the two blobs would share (and overwrite, or remove) one file.
 */
function fileNameWith(name: string, suffix: string): string {
  if (!SHORTENED.test(name) && Buffer.byteLength(`${name}${suffix}`) <= MAX_FILE_NAME_BYTES) return `${name}${suffix}`;
  const hash = `~${createHash("md5").update(name).digest("hex").slice(0, 16)}`;
  let start = "";
  for (const character of name) {
    if (Buffer.byteLength(start + character + hash + suffix) > MAX_FILE_NAME_BYTES) break;
    start += character;
  }
  return `${start}${hash}${suffix}`;
}

/**
 * Writes the blob's files on the drive; what happened to each, for the copy log and the manifest.
 * Through the drive's tree, as the blobs' own files: their folders checked (or made) once per run,
 * each file created at its name in one write (a link planted there is replaced, never written
 * through), and named by the manifest only once the run has journaled it.
 * Synchronous, not through the thread pool: a file of a few hundred bytes per blob, where the
 * hand-offs of an asynchronous open, write and close cost more CPU than the calls themselves.
 */
export function writeExportedBlobFiles(
  drive: DriveFiles,
  blobPath: string,
  details: ExportedBlobDetails,
  /** Told each file that could not be written, and why (the outcome says only `IOFailed`). */
  failed: (filePath: string, error: unknown) => void,
): { metadata?: ExportedFileOutcome; properties: ExportedFileOutcome } {
  const files = exportedBlobFiles(blobPath, details);
  const write = (file: ExportedFile): ExportedFileOutcome => {
    try {
      drive.createFileSync(driveFileSegments(file.filePath), file.text);
      return { status: "Completed", path: { path: file.filePath, hash: md5Hex(file.text) } };
    } catch (error) {
      failed(file.filePath, error);
      return { status: "IOFailed" };
    }
  };
  const metadata = files.metadata && write(files.metadata);
  const properties = write(files.properties);
  return { metadata: files.metadataProblem !== undefined ? { status: "XmlWriteFailed" } : metadata, properties };
}

/** The manifest's `MetadataPath` / `PropertiesPath` of a blob whose files were written. */
export function exportedFilesInManifest(entry: { metadata?: { status: string; path?: { path: string; hash?: string } }; properties?: { status: string; path?: { path: string; hash?: string } } }) {
  const hashed = (part: typeof entry.metadata) => (part?.status === "Completed" && part.path?.hash ? { path: part.path.path, hash: part.path.hash } : undefined);
  return { metadataPath: hashed(entry.metadata), propertiesPath: hashed(entry.properties) };
}
