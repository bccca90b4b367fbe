/**
 * The WAImportExport v1 dataset CSV: one row per source folder or file, with the header
 * `BasePath,DstBlobPathOrPrefix,BlobType,Disposition,MetadataFile,PropertiesFile`.
 *
 * As the tool documents it: a BasePath ending in a separator is a folder, copied recursively below
 * the virtual directory DstBlobPathOrPrefix (`container/` or `container/dir/`); otherwise it is a
 * file and DstBlobPathOrPrefix is its blob path (`container/name`). BlobType defaults to BlockBlob,
 * Disposition to rename, and "None" or an empty field means no metadata or properties file. Fields
 * may be double-quoted, with "" for a quote. Relative paths are taken from the CSV's own folder
 * (the real tool wants absolute paths; this one accepts both).
 */
import * as path from "node:path";
import { DEFAULT_IMPORT_DISPOSITION, IMPORT_DISPOSITIONS, ImportDisposition } from "./drive-manifest";

const DATASET_COLUMNS = ["BasePath", "DstBlobPathOrPrefix", "BlobType", "Disposition", "MetadataFile", "PropertiesFile"] as const;

export interface DatasetRow {
  /** The CSV line the row came from, for messages. */
  line: number;
  /** Absolute local path. */
  basePath: string;
  isFolder: boolean;
  /** `container/` or `container/dir/` for a folder, `container/blob` for a file (URL form already stripped). */
  destination: string;
  blobType: "BlockBlob";
  disposition: ImportDisposition;
  metadataFile?: string;
  propertiesFile?: string;
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DatasetError";
  }
}

/** Parses a dataset CSV's text; `csvFolder` anchors relative paths. */
export function parseDatasetCsv(text: string, csvFolder: string): DatasetRow[] {
  const records = parseCsv(text.replace(/^\uFEFF/, ""));
  if (records.length === 0) throw new DatasetError("dataset CSV is empty: it needs the header " + DATASET_COLUMNS.join(","));
  const header = records[0].fields.map((field) => field.trim());
  const expected = DATASET_COLUMNS.join(",");
  if (header.join(",").toLowerCase() !== expected.toLowerCase()) {
    throw new DatasetError(`dataset CSV line 1: the header is '${header.join(",")}', expected '${expected}'`);
  }
  const rows = records.slice(1).filter((record) => !(record.fields.length === 1 && record.fields[0].trim() === ""));
  if (rows.length === 0) throw new DatasetError("dataset CSV has no rows after its header");
  return rows.map(({ fields, line }) => {
    const at = `dataset CSV line ${line}`;
    if (fields.length !== DATASET_COLUMNS.length) throw new DatasetError(`${at}: ${fields.length} fields, expected ${DATASET_COLUMNS.length}`);
    const [rawBase, rawDestination, rawType, rawDisposition, rawMetadata, rawProperties] = fields.map((field) => field.trim());
    if (rawBase === "") throw new DatasetError(`${at}: BasePath is empty`);
    if (rawDestination === "") throw new DatasetError(`${at}: DstBlobPathOrPrefix is empty`);
    const isFolder = /[\\/]$/.test(rawBase);
    const destination = stripAccountUrl(rawDestination);
    if (isFolder && !destination.includes("/")) throw new DatasetError(`${at}: DstBlobPathOrPrefix '${rawDestination}' for a folder must be 'container/' or 'container/dir/'`);
    if (isFolder && !destination.endsWith("/")) throw new DatasetError(`${at}: DstBlobPathOrPrefix '${rawDestination}' for a folder must end with '/'`);
    if (!isFolder && (destination.endsWith("/") || !destination.includes("/"))) {
      throw new DatasetError(`${at}: DstBlobPathOrPrefix '${rawDestination}' for a file must be 'container/blob-name'`);
    }
    if (!/^(|block|blockblob)$/i.test(rawType)) {
      throw new DatasetError(`${at}: BlobType '${rawType}' is not supported (only BlockBlob: this service imports block blobs)`);
    }
    const disposition = (rawDisposition === "" ? DEFAULT_IMPORT_DISPOSITION : rawDisposition.toLowerCase()) as ImportDisposition;
    if (!IMPORT_DISPOSITIONS.includes(disposition)) throw new DatasetError(`${at}: Disposition '${rawDisposition}' is not one of ${IMPORT_DISPOSITIONS.join(", ")}`);
    const row: DatasetRow = {
      line,
      basePath: localPath(rawBase, csvFolder),
      isFolder,
      destination,
      blobType: "BlockBlob",
      disposition,
    };
    const metadataFile = optionalPath(rawMetadata, csvFolder);
    const propertiesFile = optionalPath(rawProperties, csvFolder);
    if (metadataFile) row.metadataFile = metadataFile;
    if (propertiesFile) row.propertiesFile = propertiesFile;
    return row;
  });
}

/** The older docs write destinations as blob URLs; keep only the path after the host. */
function stripAccountUrl(destination: string): string {
  const url = /^https?:\/\/[^/]+\/(.*)$/i.exec(destination);
  return url ? decodeURIComponent(url[1]) : destination;
}

function optionalPath(field: string, csvFolder: string): string | undefined {
  return field === "" || field.toLowerCase() === "none" ? undefined : localPath(field, csvFolder);
}

function localPath(field: string, csvFolder: string): string {
  // Windows-style separators in a CSV written elsewhere are folder separators here too.
  const normalised = path.sep === "/" ? field.replace(/\\/g, "/") : field;
  return path.resolve(csvFolder, normalised);
}

interface CsvRecord {
  fields: string[];
  line: number;
}

/** RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let i = 0;
  let quotedField = false;
  while (i < text.length) {
    const char = text[i];
    if (char === '"' && field.trim() === "" && !quotedField) {
      quotedField = true;
      field = "";
      i++;
      for (;;) {
        if (i >= text.length) throw new DatasetError(`dataset CSV line ${recordLine}: a quoted field is not closed`);
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (text[i] === "\n") line++;
        field += text[i++];
      }
      while (text[i] === " " || text[i] === "\t") i++;
      if (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") {
        throw new DatasetError(`dataset CSV line ${line}: text after a closing quote`);
      }
      continue;
    }
    if (char === '"' && !quotedField) throw new DatasetError(`dataset CSV line ${line}: a quote inside an unquoted field`);
    if (char === ",") {
      fields.push(field);
      field = "";
      quotedField = false;
      i++;
    } else if (char === "\r" || char === "\n") {
      fields.push(field);
      records.push({ fields, line: recordLine });
      fields = [];
      field = "";
      quotedField = false;
      i += char === "\r" && text[i + 1] === "\n" ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += char;
      i++;
    }
  }
  if (field !== "" || fields.length > 0 || quotedField) {
    fields.push(field);
    records.push({ fields, line: recordLine });
  }
  return records;
}
