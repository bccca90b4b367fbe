/**
 * The drive manifest, in the documented Import/Export format (`DriveManifest` version 2014-11-01):
 * a typed model, the writer the drive tool uses, and the strict reader the data-center agent uses.
 *
 * The reader checks the format's structure (elements, numbers, Base16 MD5 hashes, block lists that
 * cover the file in order with no gap, page ranges on 512-byte pages) and fails the whole manifest
 * on any breach: a manifest that is not well formed is a drive error. It does not judge blob names
 * or look for two blobs with one name: those are per-blob errors the agent reports and moves past
 * (see blob-names.ts).
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { escapeXml, parseXml, XmlElement, XmlSyntaxError } from "./xml";

export const MANIFEST_VERSION = "2014-11-01";
/** Where the drive tool writes the manifest, at the drive's root. */
export const MANIFEST_FILE = "DriveManifest.xml";
/** The documented bounds: a block holds at most 4 MB, a blob at most 50,000 blocks. */
export const MAX_BLOCK_LENGTH = 4 * 1024 * 1024;
export const MAX_BLOCKS_PER_BLOB = 50_000;
export const PAGE_SIZE = 512;
const MAX_PAGE_RANGE_LENGTH = 4 * 1024 * 1024;
/** Up to this size a blob's block ids may be left out (all of them or none). */
const MAX_LENGTH_WITHOUT_BLOCK_IDS = 64 * 1024 * 1024;

export const IMPORT_DISPOSITIONS = ["rename", "no-overwrite", "overwrite"] as const;
export type ImportDisposition = (typeof IMPORT_DISPOSITIONS)[number];
/** The disposition the service applies when a blob names none. */
export const DEFAULT_IMPORT_DISPOSITION: ImportDisposition = "rename";

export interface DriveManifest {
  version: typeof MANIFEST_VERSION;
  driveId: string;
  /** Who wrote the file; not interpreted. */
  clientCreator?: string;
  /**
   * The import credential the format allows on the drive. This project's tool never writes one
   * (the job carries the storage account); the reader keeps it if present so nothing is dropped.
   */
  storageAccountKey?: string;
  containerSas?: string;
  blobLists: ManifestBlobList[];
}

/** A list of blobs sharing default metadata and properties. */
export interface ManifestBlobList {
  metadataPath?: HashedFilePath;
  propertiesPath?: HashedFilePath;
  blobs: ManifestBlob[];
}

/** A file on the drive with its MD5 (Base16, uppercase). */
export interface HashedFilePath {
  path: string;
  hash: string;
}

export interface ManifestBlob {
  /** `container/blob/name`, relative to the account. */
  blobPath: string;
  /** The file's path relative to the drive's root, in the drive's (Windows) form: `\dir\file`. */
  filePath: string;
  clientData?: string;
  snapshot?: string;
  length: number;
  importDisposition?: ImportDisposition;
  /** Exactly one of blockList and pageRangeList is present. */
  blockList?: ManifestBlock[];
  pageRangeList?: ManifestPageRange[];
  metadataPath?: HashedFilePath;
  propertiesPath?: HashedFilePath;
}

export interface ManifestBlock {
  offset: number;
  length: number;
  /** Base64 block id, as Put Block takes it. */
  id?: string;
  /** MD5 of the block's bytes, Base16 uppercase. */
  hash: string;
}

export interface ManifestPageRange {
  offset: number;
  length: number;
  hash: string;
}

export class ManifestFormatError extends Error {
  constructor(message: string) {
    super(`drive manifest: ${message}`);
    this.name = "ManifestFormatError";
  }
}

/** MD5 of `data` as Base16 uppercase: how the manifest writes hashes and Create Job takes `manifestHash`. */
export function md5Hex(data: Buffer | string): string {
  return createHash("md5").update(data).digest("hex").toUpperCase();
}

/** The block id the drive tool gives block `index` of a blob: fixed length, as Put Block requires. */
export function blockIdFor(index: number): string {
  return Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
}

/** The drive-form path (`\a\b.txt`) of a file at `segments` below the drive's root. */
export function driveFilePath(segments: readonly string[]): string {
  return "\\" + segments.join("\\");
}

/**
 * The local path of a manifest `FilePath` (or metadata/properties path) on the drive mounted at
 * `driveRoot`. Either separator is accepted; a path that would leave the drive (`..`, an absolute
 * or drive-letter path, an empty segment) is refused, so a manifest can never point outside it.
 */
export function resolveDriveFilePath(driveRoot: string, filePath: string): string {
  const segments = driveFileSegments(filePath);
  const resolved = path.resolve(driveRoot, ...segments);
  const root = path.resolve(driveRoot);
  if (!resolved.startsWith(root + path.sep)) throw new ManifestFormatError(`file path '${filePath}' leads outside the drive`);
  return resolved;
}

/**
 * The path segments of a manifest `FilePath` (or metadata/properties path) below the drive's root,
 * checked as `resolveDriveFilePath` checks them: what drive-fs.ts then resolves without following links.
 */
export function driveFileSegments(filePath: string): string[] {
  const segments = filePath.replace(/^[\\/]/, "").split(/[\\/]/);
  const unsafe = segments.find((segment) => segment === "" || segment === "." || segment === ".." || /^[A-Za-z]:$/.test(segment) || segment.includes("\0"));
  if (filePath === "" || unsafe !== undefined) throw new ManifestFormatError(`file path '${filePath}' does not name a file on the drive`);
  return segments;
}

/** The metadata file that applies to `blob`: its own, else its list's default. */
export function effectiveMetadataPath(list: ManifestBlobList, blob: ManifestBlob): HashedFilePath | undefined {
  return blob.metadataPath ?? list.metadataPath;
}

export function effectivePropertiesPath(list: ManifestBlobList, blob: ManifestBlob): HashedFilePath | undefined {
  return blob.propertiesPath ?? list.propertiesPath;
}

export function totalLength(manifest: DriveManifest): number {
  return manifest.blobLists.reduce((sum, list) => sum + list.blobs.reduce((listSum, blob) => listSum + blob.length, 0), 0);
}

// ---- Writer ----------------------------------------------------------------------------------

/** The manifest as the documented XML, UTF-8 without BOM, CRLF-free, two-space indented. */
export function writeDriveManifest(manifest: DriveManifest): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<DriveManifest Version="${MANIFEST_VERSION}">`, "  <Drive>"];
  const element = (indent: number, name: string, value: string | number) => lines.push(`${" ".repeat(indent)}<${name}>${escapeXml(String(value))}</${name}>`);
  const hashed = (indent: number, name: string, file: HashedFilePath) =>
    lines.push(`${" ".repeat(indent)}<${name} Hash="${escapeXml(file.hash)}">${escapeXml(file.path)}</${name}>`);

  element(4, "DriveId", manifest.driveId);
  if (manifest.storageAccountKey !== undefined) element(4, "StorageAccountKey", manifest.storageAccountKey);
  if (manifest.containerSas !== undefined) element(4, "ContainerSas", manifest.containerSas);
  if (manifest.clientCreator !== undefined) element(4, "ClientCreator", manifest.clientCreator);
  for (const list of manifest.blobLists) {
    lines.push("    <BlobList>");
    if (list.metadataPath) hashed(6, "MetadataPath", list.metadataPath);
    if (list.propertiesPath) hashed(6, "PropertiesPath", list.propertiesPath);
    for (const blob of list.blobs) {
      lines.push("      <Blob>");
      element(8, "BlobPath", blob.blobPath);
      element(8, "FilePath", blob.filePath);
      if (blob.clientData !== undefined) element(8, "ClientData", blob.clientData);
      if (blob.snapshot !== undefined) element(8, "Snapshot", blob.snapshot);
      element(8, "Length", blob.length);
      if (blob.importDisposition !== undefined) element(8, "ImportDisposition", blob.importDisposition);
      if (blob.pageRangeList) {
        lines.push("        <PageRangeList>");
        for (const range of blob.pageRangeList) {
          lines.push(`          <PageRange Offset="${range.offset}" Length="${range.length}" Hash="${escapeXml(range.hash)}"/>`);
        }
        lines.push("        </PageRangeList>");
      } else {
        lines.push("        <BlockList>");
        for (const block of blob.blockList ?? []) {
          const id = block.id === undefined ? "" : ` Id="${escapeXml(block.id)}"`;
          lines.push(`          <Block Offset="${block.offset}" Length="${block.length}"${id} Hash="${escapeXml(block.hash)}"/>`);
        }
        lines.push("        </BlockList>");
      }
      if (blob.metadataPath) hashed(8, "MetadataPath", blob.metadataPath);
      if (blob.propertiesPath) hashed(8, "PropertiesPath", blob.propertiesPath);
      lines.push("      </Blob>");
    }
    lines.push("    </BlobList>");
  }
  lines.push("  </Drive>", "</DriveManifest>", "");
  return lines.join("\n");
}

// ---- Reader ----------------------------------------------------------------------------------

/** Parses and checks a manifest; any departure from the format is a ManifestFormatError. */
export function parseDriveManifest(xml: string): DriveManifest {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new ManifestFormatError(`not well-formed XML: ${error.message}`);
    throw error;
  }
  if (root.name !== "DriveManifest") throw new ManifestFormatError(`the root element is <${root.name}>, not <DriveManifest>`);
  checkAttributes(root, ["Version"], ["Version"]);
  if (root.attributes.Version !== MANIFEST_VERSION) {
    throw new ManifestFormatError(`version '${root.attributes.Version}' is not supported (expected ${MANIFEST_VERSION})`);
  }
  checkNoText(root);
  if (root.children.length !== 1 || root.children[0].name !== "Drive") throw new ManifestFormatError("<DriveManifest> must hold exactly one <Drive>");
  const drive = root.children[0];
  checkAttributes(drive, [], []);
  checkNoText(drive);

  const single = singles(drive, ["DriveId", "StorageAccountKey", "ContainerSas", "ClientCreator"], ["BlobList"]);
  const driveIdIndex = drive.children.findIndex((child) => child.name === "DriveId");
  if (driveIdIndex < 0) throw new ManifestFormatError("<Drive> has no <DriveId>");
  if (drive.children.findIndex((child) => child.name === "BlobList") >= 0 && drive.children.findIndex((child) => child.name === "BlobList") < driveIdIndex) {
    throw new ManifestFormatError("<DriveId> must come before any <BlobList>");
  }
  if (single.StorageAccountKey && single.ContainerSas) throw new ManifestFormatError("<Drive> has both <StorageAccountKey> and <ContainerSas>");
  const driveId = leafText(single.DriveId);
  if (driveId.trim() === "") throw new ManifestFormatError("<DriveId> is empty");

  const manifest: DriveManifest = { version: MANIFEST_VERSION, driveId, blobLists: [] };
  if (single.ClientCreator) manifest.clientCreator = leafText(single.ClientCreator);
  if (single.StorageAccountKey) manifest.storageAccountKey = leafText(single.StorageAccountKey);
  if (single.ContainerSas) manifest.containerSas = leafText(single.ContainerSas);
  drive.children.forEach((child) => {
    if (child.name === "BlobList") manifest.blobLists.push(readBlobList(child, manifest.blobLists.length));
  });
  return manifest;
}

function readBlobList(element: XmlElement, listIndex: number): ManifestBlobList {
  const where = `BlobList ${listIndex + 1}`;
  checkAttributes(element, [], [], where);
  checkNoText(element, where);
  const single = singles(element, ["MetadataPath", "PropertiesPath"], ["Blob"], where);
  const list: ManifestBlobList = { blobs: [] };
  if (single.MetadataPath) list.metadataPath = readHashedPath(single.MetadataPath, where);
  if (single.PropertiesPath) list.propertiesPath = readHashedPath(single.PropertiesPath, where);
  element.children.forEach((child) => {
    if (child.name === "Blob") list.blobs.push(readBlob(child, `${where}, blob ${list.blobs.length + 1}`));
  });
  return list;
}

function readBlob(element: XmlElement, where: string): ManifestBlob {
  checkAttributes(element, [], [], where);
  checkNoText(element, where);
  const single = singles(
    element,
    ["BlobPath", "FilePath", "ClientData", "Snapshot", "Length", "ImportDisposition", "BlockList", "PageRangeList", "MetadataPath", "PropertiesPath"],
    [],
    where,
  );
  for (const required of ["BlobPath", "FilePath", "Length"]) {
    if (!single[required]) throw new ManifestFormatError(`${where} has no <${required}>`);
  }
  const blobPath = leafText(single.BlobPath, where);
  const filePath = leafText(single.FilePath, where);
  if (blobPath === "") throw new ManifestFormatError(`${where} has an empty <BlobPath>`);
  if (filePath === "") throw new ManifestFormatError(`${where} has an empty <FilePath>`);
  const context = `${where} ('${blobPath}')`;
  const length = integer(leafText(single.Length, context), `<Length> of ${context}`);
  const blob: ManifestBlob = { blobPath, filePath, length };
  if (single.ClientData) blob.clientData = leafText(single.ClientData, context);
  if (single.Snapshot) blob.snapshot = leafText(single.Snapshot, context);
  if (single.ImportDisposition) {
    const disposition = leafText(single.ImportDisposition, context);
    if (!(IMPORT_DISPOSITIONS as readonly string[]).includes(disposition)) {
      throw new ManifestFormatError(`${context} has import disposition '${disposition}' (expected ${IMPORT_DISPOSITIONS.join(", ")})`);
    }
    blob.importDisposition = disposition as ImportDisposition;
  }
  if (single.BlockList && single.PageRangeList) throw new ManifestFormatError(`${context} has both a <BlockList> and a <PageRangeList>`);
  if (single.PageRangeList) blob.pageRangeList = readPageRanges(single.PageRangeList, length, context);
  else if (single.BlockList) blob.blockList = readBlocks(single.BlockList, length, context);
  else throw new ManifestFormatError(`${context} has neither a <BlockList> nor a <PageRangeList>`);
  if (single.MetadataPath) blob.metadataPath = readHashedPath(single.MetadataPath, context);
  if (single.PropertiesPath) blob.propertiesPath = readHashedPath(single.PropertiesPath, context);
  return blob;
}

function readBlocks(element: XmlElement, blobLength: number, where: string): ManifestBlock[] {
  checkAttributes(element, [], [], where);
  checkNoText(element, where);
  if (element.children.length > MAX_BLOCKS_PER_BLOB) throw new ManifestFormatError(`${where} has more than ${MAX_BLOCKS_PER_BLOB} blocks`);
  let expectedOffset = 0;
  let idLength: number | undefined;
  const blocks = element.children.map((child, index) => {
    const at = `block ${index + 1} of ${where}`;
    if (child.name !== "Block") throw new ManifestFormatError(`unexpected <${child.name}> in the <BlockList> of ${where}`);
    checkAttributes(child, ["Offset", "Length", "Id", "Hash"], ["Offset", "Length", "Hash"], at);
    checkLeaf(child, at);
    const block: ManifestBlock = {
      offset: integer(child.attributes.Offset, `Offset of ${at}`),
      length: integer(child.attributes.Length, `Length of ${at}`),
      hash: md5Attribute(child.attributes.Hash, at),
    };
    if (block.offset !== expectedOffset) throw new ManifestFormatError(`${at} starts at ${block.offset}, expected ${expectedOffset} (blocks must be in order with no gap)`);
    if (block.length < 1 || block.length > MAX_BLOCK_LENGTH) throw new ManifestFormatError(`${at} is ${block.length} bytes (1 to ${MAX_BLOCK_LENGTH})`);
    expectedOffset += block.length;
    if (child.attributes.Id !== undefined) {
      const id = child.attributes.Id;
      const decoded = Buffer.from(id, "base64");
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(id) || id.length % 4 !== 0 || decoded.length === 0 || decoded.length > 64) {
        throw new ManifestFormatError(`${at} has block id '${id}', which is not Base64 of 1 to 64 bytes`);
      }
      if (idLength !== undefined && decoded.length !== idLength) throw new ManifestFormatError(`the block ids of ${where} are not all the same length`);
      idLength = decoded.length;
      block.id = id;
    }
    return block;
  });
  if (expectedOffset !== blobLength) throw new ManifestFormatError(`the blocks of ${where} cover ${expectedOffset} bytes, its <Length> is ${blobLength}`);
  const withIds = blocks.filter((block) => block.id !== undefined).length;
  if (withIds !== 0 && withIds !== blocks.length) throw new ManifestFormatError(`some blocks of ${where} have ids and some do not`);
  if (withIds === 0 && blobLength > MAX_LENGTH_WITHOUT_BLOCK_IDS) throw new ManifestFormatError(`${where} is over 64 MB, so its blocks need ids`);
  if (new Set(blocks.map((block) => block.id)).size !== blocks.length && withIds > 0) throw new ManifestFormatError(`${where} repeats a block id`);
  return blocks;
}

function readPageRanges(element: XmlElement, blobLength: number, where: string): ManifestPageRange[] {
  checkAttributes(element, [], [], where);
  checkNoText(element, where);
  if (blobLength % PAGE_SIZE !== 0) throw new ManifestFormatError(`${where} is a page blob of ${blobLength} bytes, not a multiple of ${PAGE_SIZE}`);
  let end = 0;
  return element.children.map((child, index) => {
    const at = `page range ${index + 1} of ${where}`;
    if (child.name !== "PageRange") throw new ManifestFormatError(`unexpected <${child.name}> in the <PageRangeList> of ${where}`);
    checkAttributes(child, ["Offset", "Length", "Hash"], ["Offset", "Length", "Hash"], at);
    checkLeaf(child, at);
    const range: ManifestPageRange = {
      offset: integer(child.attributes.Offset, `Offset of ${at}`),
      length: integer(child.attributes.Length, `Length of ${at}`),
      hash: md5Attribute(child.attributes.Hash, at),
    };
    if (range.offset % PAGE_SIZE !== 0 || range.length % PAGE_SIZE !== 0) throw new ManifestFormatError(`${at} is not aligned to ${PAGE_SIZE}-byte pages`);
    if (range.length < PAGE_SIZE || range.length > MAX_PAGE_RANGE_LENGTH) throw new ManifestFormatError(`${at} is ${range.length} bytes (${PAGE_SIZE} to ${MAX_PAGE_RANGE_LENGTH})`);
    if (range.offset < end) throw new ManifestFormatError(`${at} overlaps or precedes the range before it`);
    end = range.offset + range.length;
    if (end > blobLength) throw new ManifestFormatError(`${at} ends past the blob's <Length>`);
    return range;
  });
}

function readHashedPath(element: XmlElement, where: string): HashedFilePath {
  const at = `<${element.name}> of ${where}`;
  checkAttributes(element, ["Hash"], ["Hash"], at);
  const filePath = leafText(element, where);
  if (filePath === "") throw new ManifestFormatError(`${at} is empty`);
  return { path: filePath, hash: md5Attribute(element.attributes.Hash, at) };
}

// ---- Structural checks -----------------------------------------------------------------------

/** Children by name for the elements that may appear once; unknown elements and repeats are errors. */
function singles(element: XmlElement, once: string[], many: string[], where = "<Drive>"): Record<string, XmlElement | undefined> {
  const found: Record<string, XmlElement | undefined> = {};
  for (const child of element.children) {
    if (many.includes(child.name)) continue;
    if (!once.includes(child.name)) throw new ManifestFormatError(`unexpected <${child.name}> in ${where}`);
    if (found[child.name]) throw new ManifestFormatError(`${where} has more than one <${child.name}>`);
    found[child.name] = child;
  }
  return found;
}

function checkAttributes(element: XmlElement, allowed: string[], required: string[], where = `<${element.name}>`): void {
  for (const name of Object.keys(element.attributes)) {
    if (!allowed.includes(name)) throw new ManifestFormatError(`unexpected attribute '${name}' on <${element.name}> in ${where}`);
  }
  for (const name of required) {
    if (element.attributes[name] === undefined) throw new ManifestFormatError(`<${element.name}> in ${where} has no '${name}' attribute`);
  }
}

function checkNoText(element: XmlElement, where = `<${element.name}>`): void {
  if (element.text.trim() !== "") throw new ManifestFormatError(`unexpected text in <${element.name}> of ${where}`);
}

function checkLeaf(element: XmlElement, where: string): void {
  if (element.children.length > 0 || element.text.trim() !== "") throw new ManifestFormatError(`<${element.name}> of ${where} must be empty`);
}

function leafText(element: XmlElement | undefined, where = "<Drive>"): string {
  if (!element) return "";
  if (element.children.length > 0) throw new ManifestFormatError(`<${element.name}> in ${where} must hold only text`);
  return element.text;
}

function integer(value: string, what: string): number {
  if (!/^\d{1,16}$/.test(value.trim())) throw new ManifestFormatError(`${what} is '${value}', not a non-negative integer`);
  const parsed = Number(value.trim());
  if (!Number.isSafeInteger(parsed)) throw new ManifestFormatError(`${what} is too large`);
  return parsed;
}

function md5Attribute(value: string, where: string): string {
  if (!/^[0-9A-Fa-f]{32}$/.test(value)) throw new ManifestFormatError(`the Hash of ${where} is '${value}', not a Base16 MD5`);
  return value.toUpperCase();
}
