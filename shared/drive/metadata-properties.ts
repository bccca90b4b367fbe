/**
 * The Import/Export metadata and properties files ("Import/Export Service Metadata and Properties
 * File Format"): `<Metadata>` with one element per metadata name, `<Properties>` with the blob's
 * standard properties. The drive tool checks them before copying them onto a drive; the agent reads
 * them to set each blob's metadata and properties.
 */
import { parseXml, XmlElement, XmlSyntaxError } from "./xml";

export type BlobMetadata = Record<string, string>;

/** The properties an import sets on a blob. */
export interface BlobProperties {
  contentType?: string;
  contentMD5?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  cacheControl?: string;
}

const IMPORT_PROPERTIES: Record<string, keyof BlobProperties> = {
  "Content-Type": "contentType",
  "Content-MD5": "contentMD5",
  "Content-Encoding": "contentEncoding",
  "Content-Language": "contentLanguage",
  "Cache-Control": "cacheControl",
};
/** Documented, but written only by export jobs: an import file naming them is refused. */
const EXPORT_ONLY_PROPERTIES = ["Last-Modified", "Etag", "Content-Length"];

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
  return metadata;
}

export function parsePropertiesFile(xml: string): BlobProperties {
  const root = parseRoot(xml, "Properties");
  const properties: BlobProperties = {};
  for (const child of root.children) {
    if (EXPORT_ONLY_PROPERTIES.includes(child.name)) throw new BlobFileFormatError(`property <${child.name}> is set by export jobs only`);
    const key = IMPORT_PROPERTIES[child.name];
    if (!key) throw new BlobFileFormatError(`unknown property <${child.name}> (expected ${Object.keys(IMPORT_PROPERTIES).join(", ")})`);
    if (properties[key] !== undefined) throw new BlobFileFormatError(`property <${child.name}> appears twice`);
    properties[key] = leafValue(child);
  }
  if (properties.contentMD5 !== undefined && Buffer.from(properties.contentMD5, "base64").length !== 16) {
    throw new BlobFileFormatError("<Content-MD5> must be the Base64 of a 16-byte MD5");
  }
  return properties;
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
