/**
 * The Import/Export metadata and properties files ("Import/Export Service Metadata and Properties
 * File Format"): `<Metadata>` with one element per metadata name, `<Properties>` with the blob's
 * standard properties. The drive tool checks them before copying them onto a drive; the agent reads
 * them to set each blob's metadata and properties, and an export writes them for each blob it copies.
 */
import { escapeXml, parseXml, XmlElement, XmlSyntaxError } from "./xml";

export type BlobMetadata = Record<string, string>;

/** Azure's limit: a blob's metadata names and values together hold at most 8 KiB. */
const MAX_METADATA_BYTES = 8 * 1024;
/**
 * The largest metadata or properties file read: 8 KiB of metadata with room for its markup
 * (element names twice, entities, indentation). Anything larger cannot be a blob's metadata, and is
 * refused before it is read.
 */
export const MAX_BLOB_FILE_BYTES = 64 * 1024;

/** The properties an import sets on a blob. */
export interface BlobProperties {
  contentType?: string;
  contentMD5?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  cacheControl?: string;
  contentDisposition?: string;
}

/**
 * What an export writes besides: the blob as it was when exported. An import reads and ignores
 * them (Azure sets them itself), so an exported drive's files can be imported as they are.
 */
export interface ExportedBlobProperties extends BlobProperties {
  lastModified?: string;
  etag?: string;
  contentLength?: string;
}

const IMPORT_PROPERTIES: Record<string, keyof BlobProperties> = {
  "Content-Type": "contentType",
  "Content-MD5": "contentMD5",
  "Content-Encoding": "contentEncoding",
  "Content-Language": "contentLanguage",
  "Cache-Control": "cacheControl",
  // Not in the 2014 format, which predates the property; a blob's properties include it today.
  "Content-Disposition": "contentDisposition",
};
/** Documented "for export jobs only", first in the file as the format lists them. */
const EXPORT_ONLY_PROPERTIES: Record<string, keyof ExportedBlobProperties> = {
  "Last-Modified": "lastModified",
  Etag: "etag",
  "Content-Length": "contentLength",
};
const ALL_PROPERTIES: Record<string, keyof ExportedBlobProperties> = { ...EXPORT_ONLY_PROPERTIES, ...IMPORT_PROPERTIES };

// Azure metadata names follow C# identifier rules; the ASCII subset is what HTTP headers carry.
const METADATA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_VALUE = /^[\x20-\x7E\t]*$/;

export class BlobFileFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BlobFileFormatError";
  }
}

export function parseMetadataFile(xml: string): BlobMetadata {
  const root = parseRoot(xml, "Metadata");
  const metadata: BlobMetadata = {};
  const seen = new Set<string>();
  for (const child of root.children) {
    if (!METADATA_NAME.test(child.name)) throw new BlobFileFormatError(`metadata name '${child.name}' is not a valid name (letters, digits and '_', not starting with a digit)`);
    if (seen.has(child.name.toLowerCase())) throw new BlobFileFormatError(`metadata name '${child.name}' appears twice (names are case-insensitive)`);
    seen.add(child.name.toLowerCase());
    metadata[child.name] = leafValue(child);
  }
  const bytes = Object.entries(metadata).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
  if (bytes > MAX_METADATA_BYTES) throw new BlobFileFormatError(`the metadata holds ${bytes} bytes of names and values (Azure takes at most ${MAX_METADATA_BYTES})`);
  return metadata;
}

/** A properties file: the properties an import sets, and (from an export's file) the export-only ones. */
export function parsePropertiesFile(xml: string): ExportedBlobProperties {
  const root = parseRoot(xml, "Properties");
  const properties: ExportedBlobProperties = {};
  for (const child of root.children) {
    const key = ALL_PROPERTIES[child.name];
    if (!key) throw new BlobFileFormatError(`unknown property <${child.name}> (expected ${Object.keys(ALL_PROPERTIES).join(", ")})`);
    if (properties[key] !== undefined) throw new BlobFileFormatError(`property <${child.name}> appears twice`);
    properties[key] = leafValue(child);
  }
  if (properties.contentMD5 !== undefined && Buffer.from(properties.contentMD5, "base64").length !== 16) {
    throw new BlobFileFormatError("<Content-MD5> must be the Base64 of a 16-byte MD5");
  }
  return properties;
}

export function writeMetadataFile(metadata: BlobMetadata): string {
  const lines = Object.entries(metadata).map(([name, value]) => {
    if (!METADATA_NAME.test(name)) throw new BlobFileFormatError(`metadata name '${name}' is not a valid name`);
    return `  <${name}>${escapeXml(value)}</${name}>`;
  });
  return ['<?xml version="1.0" encoding="UTF-8"?>', "<Metadata>", ...lines, "</Metadata>", ""].join("\n");
}

export function writePropertiesFile(properties: ExportedBlobProperties): string {
  const lines = Object.entries(ALL_PROPERTIES)
    .filter(([, key]) => properties[key] !== undefined)
    .map(([element, key]) => `  <${element}>${escapeXml(properties[key]!)}</${element}>`);
  return ['<?xml version="1.0" encoding="UTF-8"?>', "<Properties>", ...lines, "</Properties>", ""].join("\n");
}

function parseRoot(xml: string, name: string): XmlElement {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new BlobFileFormatError(`not well-formed XML: ${error.message}`);
    throw error;
  }
  if (root.name !== name) throw new BlobFileFormatError(`the root element is <${root.name}>, not <${name}>`);
  if (Object.keys(root.attributes).length > 0 || root.text.trim() !== "") throw new BlobFileFormatError(`<${name}> holds unexpected content`);
  return root;
}

function leafValue(element: XmlElement): string {
  if (element.children.length > 0 || Object.keys(element.attributes).length > 0) {
    throw new BlobFileFormatError(`<${element.name}> must hold only text`);
  }
  // HTTP drops a header value's surrounding whitespace, so an indented file means the same.
  const value = element.text.trim();
  if (!HEADER_VALUE.test(value)) throw new BlobFileFormatError(`the value of <${element.name}> holds characters an HTTP header cannot carry`);
  return value;
}
