/**
 * The export blob list: which blobs an export job takes. It is the XML that `blobListBlobPath`
 * points at and that WAImportExport's `PreviewExport /ExportBlobListFile:` reads, and the form of
 * the incomplete-blob list an export leaves in the customer's account for a follow-up job:
 *
 *   <BlobList>
 *     <BlobPath>pictures/animals/koala.jpg</BlobPath>     exactly this blob
 *     <BlobPathPrefix>/vhds/</BlobPathPrefix>             every blob of container vhds
 *   </BlobList>
 *
 * A path is `container/blob`; a prefix starts with `/` and is matched against `/container/blob`,
 * so `/` is the whole account, `/book` every container whose name starts with `book`, and
 * `/music/love` the blobs of `music` starting with `love`. Pure: parsing, writing and matching.
 */
import { escapeXml, parseXml, XmlElement, XmlSyntaxError } from "./xml";

export interface BlobSelection {
  blobPath: string[];
  blobPathPrefix: string[];
}

export class BlobListFormatError extends Error {
  constructor(message: string) {
    super(`blob list: ${message}`);
    this.name = "BlobListFormatError";
  }
}

const MAX_ENTRY_LENGTH = 1024;

export function parseExportBlobList(xml: string): BlobSelection {
  let root: XmlElement;
  try {
    root = parseXml(xml);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new BlobListFormatError(`not well-formed XML: ${error.message}`);
    throw error;
  }
  if (root.name !== "BlobList") throw new BlobListFormatError(`the root element is <${root.name}>, not <BlobList>`);
  const selection: BlobSelection = { blobPath: [], blobPathPrefix: [] };
  for (const child of root.children) {
    if (child.name !== "BlobPath" && child.name !== "BlobPathPrefix") throw new BlobListFormatError(`unexpected element <${child.name}> (expected <BlobPath> or <BlobPathPrefix>)`);
    if (child.children.length > 0) throw new BlobListFormatError(`<${child.name}> must hold only text`);
    const value = child.text.trim();
    const problem = child.name === "BlobPath" ? blobPathProblem(value) : blobPathPrefixProblem(value);
    if (problem) throw new BlobListFormatError(`<${child.name}>${value}</${child.name}>: ${problem}`);
    (child.name === "BlobPath" ? selection.blobPath : selection.blobPathPrefix).push(value);
  }
  if (selection.blobPath.length + selection.blobPathPrefix.length === 0) throw new BlobListFormatError("it names no <BlobPath> and no <BlobPathPrefix>");
  return selection;
}

export function writeExportBlobList(selection: Partial<BlobSelection>): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<BlobList>"];
  for (const path of selection.blobPath ?? []) lines.push(`  <BlobPath>${escapeXml(path)}</BlobPath>`);
  for (const prefix of selection.blobPathPrefix ?? []) lines.push(`  <BlobPathPrefix>${escapeXml(prefix)}</BlobPathPrefix>`);
  lines.push("</BlobList>", "");
  return lines.join("\n");
}

/**
 * Why `value` is not a blob path (`container/blob`), or undefined. Neither the container nor any
 * segment of the name may be `.` or `..`: a request URL is normalised, so `photos/../private/key.pem`
 * would otherwise name a blob of another container. (Other bad names are left to the listing: they
 * name no blob, and the preview and the copy log count them as such.)
 */
export function blobPathProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > MAX_ENTRY_LENGTH) return `a blob path is 1 to ${MAX_ENTRY_LENGTH} characters`;
  const path = value.replace(/^\//, "");
  const slash = path.indexOf("/");
  if (slash <= 0 || slash === path.length - 1) return "a blob path is 'container/blob'";
  return dotContainerProblem(path.slice(0, slash)) ?? dotSegmentProblem(path.slice(slash + 1).split("/"));
}

/** Why `value` is not a prefix, or undefined; a prefix with a container part follows the same rules as a blob path (its last segment is a name's beginning). */
export function blobPathPrefixProblem(value: string): string | undefined {
  if (value.length === 0 || value.length > MAX_ENTRY_LENGTH) return `a prefix is 1 to ${MAX_ENTRY_LENGTH} characters`;
  if (!value.startsWith("/")) return "a prefix starts with '/' (for example '/music/' or '/')";
  const parts = splitPrefix(value);
  if (parts.container === undefined) return undefined;
  return dotContainerProblem(parts.container) ?? dotSegmentProblem(parts.blobPrefix.split("/").slice(0, -1));
}

function dotContainerProblem(container: string): string | undefined {
  return container === "." || container === ".." ? `container name '${container}' names no container` : undefined;
}

/** Why a name's segments cannot be a blob's: a `.` or `..` segment, which a URL resolves into another blob. */
export function dotSegmentProblem(segments: string[]): string | undefined {
  const dot = segments.find((segment) => segment === "." || segment === "..");
  return dot === undefined ? undefined : `a blob name cannot have a '${dot}' path segment`;
}

/** A blob path without its optional leading `/`, split into container and blob name. */
export function splitBlobPath(value: string): { container: string; blobName: string } {
  const path = value.replace(/^\//, "");
  const slash = path.indexOf("/");
  return { container: path.slice(0, slash), blobName: path.slice(slash + 1) };
}

/**
 * What a prefix asks the account for: the containers whose names start with `containerPrefix`
 * (or exactly `container`), and in them the blobs whose names start with `blobPrefix`.
 */
export function splitPrefix(prefix: string): { container?: string; containerPrefix?: string; blobPrefix: string } {
  const path = prefix.replace(/^\//, "");
  const slash = path.indexOf("/");
  if (slash < 0) return { containerPrefix: path, blobPrefix: "" };
  return { container: path.slice(0, slash), blobPrefix: path.slice(slash + 1) };
}
