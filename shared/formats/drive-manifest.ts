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
import { escapeXml, XmlElement, XmlHandler, XmlSyntaxError, XmlTokenizer, XmlTreeBuilder } from "./xml";

const MANIFEST_VERSION = "2014-11-01";
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
export function effectiveMetadataPath(list: ManifestListDefaults, blob: ManifestBlob): HashedFilePath | undefined {
  return blob.metadataPath ?? list.metadataPath;
}

export function effectivePropertiesPath(list: ManifestListDefaults, blob: ManifestBlob): HashedFilePath | undefined {
  return blob.propertiesPath ?? list.propertiesPath;
}

export function totalLength(manifest: DriveManifest): number {
  return manifest.blobLists.reduce((sum, list) => sum + list.blobs.reduce((listSum, blob) => listSum + blob.length, 0), 0);
}

// ---- Writer ----------------------------------------------------------------------------------

/** The manifest as the documented XML, UTF-8 without BOM, CRLF-free, two-space indented. */
export function writeDriveManifest(manifest: DriveManifest): string {
  const parts = [manifestHead(manifest)];
  for (const list of manifest.blobLists) {
    parts.push(blobListHead(list));
    for (const blob of list.blobs) parts.push(manifestBlobXml(blob));
    parts.push(BLOB_LIST_TAIL);
  }
  parts.push(MANIFEST_TAIL);
  return parts.join("");
}

// The same text in pieces, so a manifest of a million blobs is written as its files are copied:
// the head, then each list's head, its blobs and its tail, then the tail.

export function manifestHead(drive: Omit<DriveManifest, "blobLists" | "version">): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', `<DriveManifest Version="${MANIFEST_VERSION}">`, "  <Drive>"];
  const element = (name: string, value: string) => lines.push(`    <${name}>${escapeXml(value)}</${name}>`);
  element("DriveId", drive.driveId);
  if (drive.storageAccountKey !== undefined) element("StorageAccountKey", drive.storageAccountKey);
  if (drive.containerSas !== undefined) element("ContainerSas", drive.containerSas);
  if (drive.clientCreator !== undefined) element("ClientCreator", drive.clientCreator);
  return lines.join("\n") + "\n";
}

export function blobListHead(list: ManifestListDefaults): string {
  const lines = ["    <BlobList>"];
  if (list.metadataPath) lines.push(hashedLine(6, "MetadataPath", list.metadataPath));
  if (list.propertiesPath) lines.push(hashedLine(6, "PropertiesPath", list.propertiesPath));
  return lines.join("\n") + "\n";
}

export const BLOB_LIST_TAIL = "    </BlobList>\n";
export const MANIFEST_TAIL = "  </Drive>\n</DriveManifest>\n";

export function manifestBlobXml(blob: ManifestBlob): string {
  const lines = ["      <Blob>"];
  const element = (name: string, value: string | number) => lines.push(`        <${name}>${escapeXml(String(value))}</${name}>`);
  element("BlobPath", blob.blobPath);
  element("FilePath", blob.filePath);
  if (blob.clientData !== undefined) element("ClientData", blob.clientData);
  if (blob.snapshot !== undefined) element("Snapshot", blob.snapshot);
  element("Length", blob.length);
  if (blob.importDisposition !== undefined) element("ImportDisposition", blob.importDisposition);
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
  if (blob.metadataPath) lines.push(hashedLine(8, "MetadataPath", blob.metadataPath));
  if (blob.propertiesPath) lines.push(hashedLine(8, "PropertiesPath", blob.propertiesPath));
  lines.push("      </Blob>");
  return lines.join("\n") + "\n";
}

function hashedLine(indent: number, name: string, file: HashedFilePath): string {
  return `${" ".repeat(indent)}<${name} Hash="${escapeXml(file.hash)}">${escapeXml(file.path)}</${name}>`;
}

// ---- Reader ----------------------------------------------------------------------------------

/** One blob as the reader meets it: its place in the manifest, its list's defaults, the blob. */
export interface ManifestEntry {
  /** Its position among all the manifest's blobs (the lists' blobs in order), from 0. */
  index: number;
  listIndex: number;
  list: ManifestListDefaults;
  blob: ManifestBlob;
}

/** What a blob list gives its blobs: the default metadata and properties files. */
export type ManifestListDefaults = Pick<ManifestBlobList, "metadataPath" | "propertiesPath">;

/** The manifest without its blobs, and their count and total length. */
export interface ManifestSummary extends Omit<DriveManifest, "blobLists"> {
  blobCount: number;
  totalBytes: number;
  listCount: number;
}

/** The longest token (a tag, a run of text) the reader holds while a manifest streams in. */
export const MAX_MANIFEST_TOKEN_CHARS = 1024 * 1024;
/** Elements one <Blob> may hold: its fields and up to MAX_BLOCKS_PER_BLOB blocks or page ranges. */
const MAX_BLOB_ELEMENTS = MAX_BLOCKS_PER_BLOB + 64;
const MAX_TEXT_CHARS = MAX_MANIFEST_TOKEN_CHARS;
/** `<Blob>` → `<BlockList>` → `<Block>`: anything nested deeper is not the format. */
const MAX_BLOB_DEPTH = 4;
const DRIVE_FIELDS = ["DriveId", "StorageAccountKey", "ContainerSas", "ClientCreator"];
const LIST_FIELDS = ["MetadataPath", "PropertiesPath"];

/** Parses and checks a whole manifest held in memory; any departure from the format is a ManifestFormatError. */
export function parseDriveManifest(xml: string): DriveManifest {
  const lists: ManifestBlobList[] = [];
  const listOf = (listIndex: number, defaults: ManifestListDefaults) => (lists[listIndex] ??= { ...defaults, blobs: [] });
  const reader = new DriveManifestReader({ blob: (entry) => listOf(entry.listIndex, entry.list).blobs.push(entry.blob), listEnd: listOf });
  reader.write(xml);
  const { blobCount: _count, totalBytes: _bytes, listCount: _lists, ...drive } = reader.end();
  return { ...drive, blobLists: lists };
}

/**
 * Reads a manifest as its bytes arrive, checking it whole, and answers its summary. `onBlob` is
 * given each blob as it is read, and awaited: memory holds one piece of the file and the blobs
 * read from it, whatever the manifest's size.
 */
export async function readDriveManifest(source: AsyncIterable<Uint8Array>, onBlob?: (entry: ManifestEntry) => unknown): Promise<ManifestSummary> {
  const entries = driveManifestEntries(source);
  for (;;) {
    const next = await entries.next();
    if (next.done) return next.value;
    await onBlob?.(next.value);
  }
}

/** The manifest's blobs as they are read from `source`; the summary when it is done. */
export async function* driveManifestEntries(source: AsyncIterable<Uint8Array>): AsyncGenerator<ManifestEntry, ManifestSummary, undefined> {
  const read: ManifestEntry[] = [];
  const reader = new DriveManifestReader({ blob: (entry) => read.push(entry) });
  // Not fatal: a byte that is not UTF-8 becomes U+FFFD, as a whole-file read would make it.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  for await (const piece of source) {
    reader.write(decoder.decode(piece, { stream: true }));
    yield* read.splice(0);
  }
  reader.write(decoder.decode());
  const summary = reader.end();
  yield* read.splice(0);
  return summary;
}

/**
 * The manifest's structure over the tokenizer's events. The drive and its lists are followed
 * element by element; each `<Blob>` (and each small field) is built as a tree of its own, bounded
 * in depth and size, and checked by the same rules as before it streamed. So a list's
 * `MetadataPath` and `PropertiesPath`, which its blobs need, must come before its first `<Blob>`,
 * as the format lists them.
 */
export class DriveManifestReader implements XmlHandler {
  private readonly tokenizer = new XmlTokenizer(this, MAX_MANIFEST_TOKEN_CHARS);
  private depth = 0;
  private drives = 0;
  private readonly driveFields: Record<string, XmlElement | undefined> = {};
  private listBeforeDriveId = false;
  private list?: { index: number; where: string; defaults: ManifestListDefaults; fields: Set<string>; blobs: number };
  private listCount = 0;
  private blobCount = 0;
  private totalBytes = 0;
  /** The field or blob being built, and what it may hold. */
  private capture?: { builder: XmlTreeBuilder; depth: number; elements: number; textChars: number; maxDepth: number; maxElements: number; where: string };

  constructor(private readonly on: { blob(entry: ManifestEntry): void; listEnd?(listIndex: number, defaults: ManifestListDefaults): void }) {}

  write(text: string): void {
    this.guard(() => this.tokenizer.write(text));
  }

  end(): ManifestSummary {
    this.guard(() => this.tokenizer.end());
    const single = this.driveFields;
    if (this.drives !== 1) throw new ManifestFormatError("<DriveManifest> must hold exactly one <Drive>");
    const summary: ManifestSummary = { version: MANIFEST_VERSION, driveId: leafText(single.DriveId), blobCount: this.blobCount, totalBytes: this.totalBytes, listCount: this.listCount };
    if (single.ClientCreator) summary.clientCreator = leafText(single.ClientCreator);
    if (single.StorageAccountKey) summary.storageAccountKey = leafText(single.StorageAccountKey);
    if (single.ContainerSas) summary.containerSas = leafText(single.ContainerSas);
    return summary;
  }

  open(name: string, attributes: Record<string, string>): void {
    const depth = ++this.depth;
    const capture = this.capture;
    if (capture) {
      capture.depth++;
      if (capture.depth > capture.maxDepth) throw new ManifestFormatError(`elements nested too deep in ${capture.where}`);
      if (++capture.elements > capture.maxElements) throw new ManifestFormatError(`${capture.where} holds more than ${capture.maxElements} elements`);
      capture.builder.open(name, attributes);
      return;
    }
    const element: XmlElement = { name, attributes, children: [], text: "" };
    if (depth === 1) {
      if (name !== "DriveManifest") throw new ManifestFormatError(`the root element is <${name}>, not <DriveManifest>`);
      checkAttributes(element, ["Version"], ["Version"]);
      if (attributes.Version !== MANIFEST_VERSION) throw new ManifestFormatError(`version '${attributes.Version}' is not supported (expected ${MANIFEST_VERSION})`);
    } else if (depth === 2) {
      if (name !== "Drive" || ++this.drives > 1) throw new ManifestFormatError("<DriveManifest> must hold exactly one <Drive>");
      checkAttributes(element, [], []);
    } else if (depth === 3 && name === "BlobList") {
      if (!this.driveFields.DriveId) this.listBeforeDriveId = true;
      const where = `BlobList ${this.listCount + 1}`;
      checkAttributes(element, [], [], where);
      this.list = { index: this.listCount++, where, defaults: {}, fields: new Set(), blobs: 0 };
    } else if (depth === 3) {
      if (!DRIVE_FIELDS.includes(name)) throw new ManifestFormatError(`unexpected <${name}> in <Drive>`);
      if (this.driveFields[name]) throw new ManifestFormatError(`<Drive> has more than one <${name}>`);
      this.startCapture(name, attributes, 2, 16, "<Drive>");
    } else {
      const list = this.list!;
      if (name === "Blob") this.startCapture(name, attributes, MAX_BLOB_DEPTH, MAX_BLOB_ELEMENTS, `${list.where}, blob ${list.blobs + 1}`);
      else if (LIST_FIELDS.includes(name)) {
        if (list.fields.has(name)) throw new ManifestFormatError(`${list.where} has more than one <${name}>`);
        if (list.blobs > 0) throw new ManifestFormatError(`the <${name}> of ${list.where} must come before its first <Blob>`);
        list.fields.add(name);
        this.startCapture(name, attributes, 2, 16, list.where);
      } else throw new ManifestFormatError(`unexpected <${name}> in ${list.where}`);
    }
  }

  text(text: string): void {
    const capture = this.capture;
    if (capture) {
      capture.textChars += text.length;
      if (capture.textChars > MAX_TEXT_CHARS) throw new ManifestFormatError(`${capture.where} holds more than ${MAX_TEXT_CHARS} characters of text`);
      capture.builder.text(text);
      return;
    }
    if (!/\S/.test(text)) return;
    const element = ["DriveManifest", "Drive", "BlobList"][this.depth - 1];
    throw new ManifestFormatError(`unexpected text in <${element}> of ${this.depth === 3 ? this.list!.where : `<${element}>`}`);
  }

  close(name: string): void {
    this.depth--;
    const capture = this.capture;
    if (capture) {
      capture.builder.close();
      if (--capture.depth > 0) return;
      this.capture = undefined;
      this.captured(capture.builder.root!);
      return;
    }
    if (name === "BlobList") {
      const list = this.list!;
      this.list = undefined;
      this.on.listEnd?.(list.index, list.defaults);
    } else if (name === "Drive") this.driveEnd();
  }

  private startCapture(name: string, attributes: Record<string, string>, maxDepth: number, maxElements: number, where: string): void {
    const builder = new XmlTreeBuilder();
    builder.open(name, attributes);
    this.capture = { builder, depth: 1, elements: 1, textChars: 0, maxDepth, maxElements, where };
  }

  /** A field or a blob, whole: checked by the rules of the format, handed on. */
  private captured(element: XmlElement): void {
    const list = this.list;
    if (!list) {
      this.driveFields[element.name] = element;
      return;
    }
    if (element.name !== "Blob") {
      const hashed = readHashedPath(element, list.where);
      if (element.name === "MetadataPath") list.defaults.metadataPath = hashed;
      else list.defaults.propertiesPath = hashed;
      return;
    }
    const blob = readBlob(element, `${list.where}, blob ${++list.blobs}`);
    this.totalBytes += blob.length;
    this.on.blob({ index: this.blobCount++, listIndex: list.index, list: list.defaults, blob });
  }

  private driveEnd(): void {
    const single = this.driveFields;
    if (!single.DriveId) throw new ManifestFormatError("<Drive> has no <DriveId>");
    if (this.listBeforeDriveId) throw new ManifestFormatError("<DriveId> must come before any <BlobList>");
    if (single.StorageAccountKey && single.ContainerSas) throw new ManifestFormatError("<Drive> has both <StorageAccountKey> and <ContainerSas>");
    if (leafText(single.DriveId).trim() === "") throw new ManifestFormatError("<DriveId> is empty");
  }

  private guard(step: () => void): void {
    try {
      step();
    } catch (error) {
      if (error instanceof XmlSyntaxError) throw new ManifestFormatError(`not well-formed XML: ${error.message}`);
      throw error;
    }
  }
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
