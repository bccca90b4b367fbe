/**
 * The drive copy log, in the Import/Export service's documented log file format (`DriveLog`
 * version 2014-11-01): one `Blob` per file with its status, the import disposition and its outcome,
 * the block list with each block's status, and the metadata and properties status; then the drive's
 * status. The verbose log lists every blob; the error log has the same structure with the successful
 * operations filtered out. Pure: the agent writes the text to the customer's account.
 */
import { escapeXml, parseXml, XmlElement } from "./xml";

const DRIVE_LOG_VERSION = "2014-11-01";

/** Blob status codes (the documented list). */
export type BlobStatus =
  | "Completed"
  | "CompletedWithErrors"
  | "FileNameInvalid"
  | "FileNameTooLong"
  | "FileNotFound"
  | "FileAccessDenied"
  | "BlobRequestFailed"
  | "BlobRequestForbidden"
  | "RenameFailed"
  | "BlobUnexpectedChange"
  | "LeasePresent"
  | "IOFailed"
  | "Failed";

export type DispositionStatus = "Created" | "Renamed" | "Skipped" | "Overwritten" | "Cancelled";

export type BlockStatus =
  | "Completed"
  | "Committed"
  | "Uncommitted"
  | "Corrupted"
  | "FileUnexpectedEnd"
  | "BlobUnexpectedEnd"
  | "BlobRequestFailed"
  | "IOFailed"
  | "Failed"
  | "Cancelled";

/** Status codes of a blob's metadata and properties. */
export type PartStatus =
  | "Completed"
  | "FileNameInvalid"
  | "FileNameTooLong"
  | "FileNotFound"
  | "FileAccessDenied"
  | "Corrupted"
  | "XmlReadFailed"
  | "XmlWriteFailed"
  | "BlobRequestFailed"
  | "IOFailed"
  | "Failed"
  | "Cancelled";

/** Drive status codes: how the drive's processing ended (the first three after a copy, the rest are drive errors). */
export type DriveStatus =
  | "Completed"
  | "CompletedWithWarnings"
  | "CompletedWithErrors"
  | "DiskNotFound"
  | "DiskOperationFailed"
  | "BitLockerKeyInvalid"
  | "BitLockerProtectorNotFound"
  | "ManifestNameInvalid"
  | "ManifestNotFound"
  | "ManifestAccessDenied"
  | "ManifestCorrupted"
  | "ManifestFormatInvalid"
  | "ManifestDriveIdMismatch"
  | "ReadManifestFailed"
  | "BlobRequestForbidden"
  | "InternalError"
  // This service's own: the job's tenant does not own the job's account (ARM's linked access check,
  // asked again before the copy). Nothing is read from or written to the account, so no log goes there.
  | "LinkedAuthorizationFailed";

export interface BlockLogEntry {
  offset: number;
  length: number;
  id?: string;
  /** Base16 MD5 of the block, as the manifest gives it. */
  hash?: string;
  status: BlockStatus;
}

export interface PartLogEntry {
  status: PartStatus;
  globalPath?: { path: string; hash?: string };
  path?: { path: string; hash?: string };
}

export interface BlobLogEntry {
  status: BlobStatus;
  /** The blob's path in the account (`container/name`); for a renamed blob, its new name. */
  blobPath: string;
  filePath: string;
  length: number;
  importDisposition?: { status: DispositionStatus; value: string };
  blocks?: BlockLogEntry[];
  metadata?: PartLogEntry;
  properties?: PartLogEntry;
}

export interface DriveLog {
  driveId: string;
  blobs: BlobLogEntry[];
  status: DriveStatus;
  /**
   * A drive error's whole reason (`<StatusDescription>`, after `<Status>`): the drive's reason in
   * the job is cut to the API's limit, the log keeps it all. Readers of the documented format skip it.
   */
  description?: string;
}

/** What a drive's copy came to, for Get Job's neighbours (the portal) without reading the log. */
export interface CopySummary {
  blobsCopied: number;
  /** Blobs with an error or a warning, by kind (the code that explains each: see `issueKind`). */
  issuesByKind: Record<string, number>;
}

/**
 * The code that best explains what happened to a blob, or undefined when all went well: the blob's
 * own status, else its first failed block's (`Corrupted`: an MD5 mismatch; `FileUnexpectedEnd`: a
 * truncated file), else its metadata's or properties', else a disposition warning
 * (`Renamed`, `Skipped`). A blob the job's cancellation kept from starting is `Cancelled`.
 */
export function issueKind(blob: BlobLogEntry): string | undefined {
  // Never started: the job's cancellation stopped the copy first.
  if (blob.status === "Failed" && blob.importDisposition?.status === "Cancelled" && !blob.blocks) return "Cancelled";
  if (blob.status !== "Completed" && blob.status !== "CompletedWithErrors") return blob.status;
  const block = blob.blocks?.find((candidate) => candidate.status !== "Completed" && candidate.status !== "Uncommitted" && candidate.status !== "Committed");
  if (block) return block.status;
  if (blob.metadata && blob.metadata.status !== "Completed") return `Metadata${blob.metadata.status}`;
  if (blob.properties && blob.properties.status !== "Completed") return `Properties${blob.properties.status}`;
  if (blob.status === "CompletedWithErrors") return "CompletedWithErrors";
  const disposition = blob.importDisposition?.status;
  if (disposition === "Renamed" || disposition === "Skipped" || disposition === "Cancelled") return disposition;
  return undefined;
}

/** Whether the blob was copied into the account (created, renamed, or overwriting). */
export function wasCopied(blob: BlobLogEntry): boolean {
  const disposition = blob.importDisposition?.status ?? "Created";
  return blob.status === "Completed" && (disposition === "Created" || disposition === "Renamed" || disposition === "Overwritten");
}

export function summarize(log: DriveLog): CopySummary {
  const outcome = new CopyOutcome();
  log.blobs.forEach((blob) => outcome.add(blob));
  return outcome.summary;
}

/** The drive status after a copy: errors beat disposition warnings. */
export function copyDriveStatus(blobs: BlobLogEntry[]): DriveStatus {
  const outcome = new CopyOutcome();
  blobs.forEach((blob) => outcome.add(blob));
  return outcome.status;
}

/** A drive's summary and status, counted blob by blob as they finish (the log need not be held). */
export class CopyOutcome {
  private blobsCopied = 0;
  private readonly issuesByKind: Record<string, number> = {};
  private errors = false;

  /** Counts the blob; answers its issue kind, if it has one. */
  add(blob: BlobLogEntry): string | undefined {
    if (wasCopied(blob)) this.blobsCopied++;
    const kind = issueKind(blob);
    if (kind) {
      this.issuesByKind[kind] = (this.issuesByKind[kind] ?? 0) + 1;
      if (kind !== "Renamed" && kind !== "Skipped") this.errors = true;
    }
    return kind;
  }

  get summary(): CopySummary {
    return { blobsCopied: this.blobsCopied, issuesByKind: { ...this.issuesByKind } };
  }

  get status(): DriveStatus {
    if (Object.keys(this.issuesByKind).length === 0) return "Completed";
    return this.errors ? "CompletedWithErrors" : "CompletedWithWarnings";
  }
}

/** A blob's entry in the error log: its failed and unfinished blocks only. */
export function errorLogEntry(blob: BlobLogEntry): BlobLogEntry {
  return { ...blob, blocks: blob.blocks?.filter((block) => block.status !== "Completed") };
}

/** The error log of a verbose log: the same structure, successful operations filtered out. */
export function errorLogOf(log: DriveLog): DriveLog {
  return { ...log, blobs: log.blobs.filter((blob) => issueKind(blob) !== undefined).map(errorLogEntry) };
}

export function writeDriveLog(log: DriveLog): string {
  return driveLogHead(log.driveId) + log.blobs.map(blobLogXml).join("") + driveLogTail(log.status, log.description);
}

/** The log's text before its blobs; then each blob's (`blobLogXml`), then `driveLogTail`: a log can be written as blobs finish. */
export function driveLogHead(driveId: string): string {
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<DriveLog Version="${DRIVE_LOG_VERSION}">`, `  <DriveId>${escapeXml(driveId)}</DriveId>`, ""].join("\n");
}

/** The log's text after its blobs: the drive's status, and a drive error's whole reason when there is one (see `DriveLog.description`). */
export function driveLogTail(status: DriveStatus, description?: string): string {
  const lines = [`  <Status>${status}</Status>`];
  if (description !== undefined) lines.push(`  <StatusDescription>${escapeXml(description)}</StatusDescription>`);
  return [...lines, "</DriveLog>", ""].join("\n");
}

export function blobLogXml(blob: BlobLogEntry): string {
  const lines: string[] = [];
  lines.push(`  <Blob Status="${blob.status}">`);
  lines.push(`    <BlobPath>${escapeXml(blob.blobPath)}</BlobPath>`);
  lines.push(`    <FilePath>${escapeXml(blob.filePath)}</FilePath>`);
  lines.push(`    <Length>${blob.length}</Length>`);
  if (blob.importDisposition) {
    lines.push(`    <ImportDisposition Status="${blob.importDisposition.status}">${escapeXml(blob.importDisposition.value)}</ImportDisposition>`);
  }
  if (blob.blocks && blob.blocks.length > 0) {
    lines.push("    <BlockList>");
    for (const block of blob.blocks) {
      const id = block.id !== undefined ? ` Id="${escapeXml(block.id)}"` : "";
      const hash = block.hash !== undefined ? ` Hash="${escapeXml(block.hash)}"` : "";
      lines.push(`      <Block Offset="${block.offset}" Length="${block.length}"${id}${hash} Status="${block.status}"/>`);
    }
    lines.push("    </BlockList>");
  }
  for (const [element, part] of [["Metadata", blob.metadata], ["Properties", blob.properties]] as const) {
    if (!part) continue;
    lines.push(`    <${element} Status="${part.status}">`);
    if (part.globalPath) lines.push(`      <GlobalPath${hashAttribute(part.globalPath.hash)}>${escapeXml(part.globalPath.path)}</GlobalPath>`);
    if (part.path) lines.push(`      <Path${hashAttribute(part.path.hash)}>${escapeXml(part.path.path)}</Path>`);
    lines.push(`    </${element}>`);
  }
  lines.push("  </Blob>", "");
  return lines.join("\n");
}

function hashAttribute(hash: string | undefined): string {
  return hash !== undefined ? ` Hash="${escapeXml(hash)}"` : "";
}

export class DriveLogFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DriveLogFormatError";
  }
}

/** Reads a drive log back (the agent's, or any in this format). */
export function parseDriveLog(xml: string): DriveLog {
  const root = parseXml(xml);
  if (root.name !== "DriveLog") throw new DriveLogFormatError(`the root element is <${root.name}>, not <DriveLog>`);
  const driveId = textOf(child(root, "DriveId"));
  const status = textOf(child(root, "Status")) as DriveStatus;
  const blobs = elements(root, "Blob").map((blob): BlobLogEntry => {
    const disposition = elements(blob, "ImportDisposition")[0];
    const blockList = elements(blob, "BlockList")[0];
    return {
      status: attribute(blob, "Status") as BlobStatus,
      // Names as written: a blob name may end in a space.
      blobPath: child(blob, "BlobPath").text,
      filePath: child(blob, "FilePath").text,
      length: Number(textOf(child(blob, "Length"))),
      importDisposition: disposition && { status: attribute(disposition, "Status") as DispositionStatus, value: textOf(disposition) },
      blocks: blockList
        ? elements(blockList, "Block").map((block) => ({
            offset: Number(attribute(block, "Offset")),
            length: Number(attribute(block, "Length")),
            id: block.attributes.Id,
            hash: block.attributes.Hash,
            status: attribute(block, "Status") as BlockStatus,
          }))
        : undefined,
      metadata: part(elements(blob, "Metadata")[0]),
      properties: part(elements(blob, "Properties")[0]),
    };
  });
  const description = elements(root, "StatusDescription")[0];
  return { driveId, blobs, status, ...(description ? { description: textOf(description) } : {}) };
}

function part(element: XmlElement | undefined): PartLogEntry | undefined {
  if (!element) return undefined;
  const pathOf = (name: string) => {
    const found = elements(element, name)[0];
    return found && { path: textOf(found), hash: found.attributes.Hash };
  };
  return { status: attribute(element, "Status") as PartStatus, globalPath: pathOf("GlobalPath"), path: pathOf("Path") };
}

function elements(parent: XmlElement, name: string): XmlElement[] {
  return parent.children.filter((node) => node.name === name);
}

function child(parent: XmlElement, name: string): XmlElement {
  const found = elements(parent, name)[0];
  if (!found) throw new DriveLogFormatError(`<${parent.name}> has no <${name}>`);
  return found;
}

function attribute(element: XmlElement, name: string): string {
  const value = element.attributes[name];
  if (value === undefined) throw new DriveLogFormatError(`<${element.name}> has no ${name} attribute`);
  return value;
}

function textOf(element: XmlElement): string {
  return element.text.trim();
}
