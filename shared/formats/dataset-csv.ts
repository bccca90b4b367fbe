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
/** No field is a longer path or blob URL than this: anything longer is refused, not read on. */
const MAX_FIELD_CHARS = 16 * 1024;
/** How much of a value an error message quotes. */
const SHOWN_CHARS = 100;

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
    throw new DatasetError(`dataset CSV line 1: the header is '${shown(header.join(","))}', expected '${expected}'`);
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
    if (isFolder && !destination.includes("/")) throw new DatasetError(`${at}: DstBlobPathOrPrefix '${shown(rawDestination)}' for a folder must be 'container/' or 'container/dir/'`);
    if (isFolder && !destination.endsWith("/")) throw new DatasetError(`${at}: DstBlobPathOrPrefix '${shown(rawDestination)}' for a folder must end with '/'`);
    if (!isFolder && (destination.endsWith("/") || !destination.includes("/"))) {
      throw new DatasetError(`${at}: DstBlobPathOrPrefix '${shown(rawDestination)}' for a file must be 'container/blob-name'`);
    }
    if (!/^(|block|blockblob)$/i.test(rawType)) {
      throw new DatasetError(`${at}: BlobType '${shown(rawType)}' is not supported (only BlockBlob: this service imports block blobs)`);
    }
    const disposition = (rawDisposition === "" ? DEFAULT_IMPORT_DISPOSITION : rawDisposition.toLowerCase()) as ImportDisposition;
    if (!IMPORT_DISPOSITIONS.includes(disposition)) throw new DatasetError(`${at}: Disposition '${shown(rawDisposition)}' is not one of ${IMPORT_DISPOSITIONS.join(", ")}`);
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
  if (!url) return destination;
  try {
    return decodeURIComponent(url[1]);
  } catch {
    throw new DatasetError(`DstBlobPathOrPrefix '${shown(destination)}' is not a valid URL`);
  }
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

/**
 * RFC 4180 records: quoted fields may hold commas, quotes ("") and line breaks. Fields are sliced
 * out whole, never built a character at a time, and one longer than MAX_FIELD_CHARS is refused.
 */
function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  if (text.length === 0) return records;
  const fieldEnd = /[,\r\n"]/g;
  let fields: string[] = [];
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const bounded = (length: number) => {
    if (length > MAX_FIELD_CHARS) throw new DatasetError(`dataset CSV line ${recordLine}: field ${fields.length + 1} is longer than ${MAX_FIELD_CHARS} characters`);
  };
  for (;;) {
    fieldEnd.lastIndex = i;
    const stop = fieldEnd.exec(text);
    const end = stop ? stop.index : text.length;
    bounded(end - i);
    let field: string;
    if (stop?.[0] === '"') {
      if (text.slice(i, end).trim() !== "") throw new DatasetError(`dataset CSV line ${line}: a quote inside an unquoted field`);
      const pieces: string[] = [];
      let length = 0;
      let at = end + 1;
      for (;;) {
        const quote = text.indexOf('"', at);
        if (quote < 0) throw new DatasetError(`dataset CSV line ${recordLine}: a quoted field is not closed`);
        length += quote - at;
        bounded(length);
        pieces.push(text.slice(at, quote));
        for (let newline = text.indexOf("\n", at); newline >= 0 && newline < quote; newline = text.indexOf("\n", newline + 1)) line++;
        if (text[quote + 1] !== '"') {
          at = quote + 1;
          break;
        }
        pieces.push('"');
        length++;
        at = quote + 2;
      }
      field = pieces.join("");
      while (text[at] === " " || text[at] === "\t") at++;
      if (at < text.length && text[at] !== "," && text[at] !== "\n" && text[at] !== "\r") throw new DatasetError(`dataset CSV line ${line}: text after a closing quote`);
      i = at;
    } else {
      field = text.slice(i, end);
      i = end;
    }
    fields.push(field);
    if (i >= text.length) {
      records.push({ fields, line: recordLine });
      return records;
    }
    if (text[i] === ",") {
      i++;
      continue;
    }
    records.push({ fields, line: recordLine });
    fields = [];
    i += text[i] === "\r" && text[i + 1] === "\n" ? 2 : 1;
    line++;
    recordLine = line;
    if (i >= text.length) return records;
  }
}

/** A value as a message quotes it: a long one cut short, so an error stays one readable line. */
function shown(value: string): string {
  return value.length <= SHOWN_CHARS ? value : `${value.slice(0, SHOWN_CHARS)}… (${value.length} characters)`;
}
