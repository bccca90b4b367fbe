/**
 * Which blobs of the customer's account an export takes, in order: the job's `blobPath` entries as
 * given, then each `blobPathPrefix`'s blobs as the account lists them (containers and blobs in
 * name order), each blob once. A job naming `blobListBlobPath` takes the list in that blob (the
 * documented `<BlobList>` XML). The drive count preview and the data-center agent both use this.
 */
import { RestError } from "@azure/storage-blob";
import type { BlobProperties, BlobServiceClient } from "@azure/storage-blob";
import { BlobListFormatError, BlobSelection, blobPathPrefixProblem, blobPathProblem, parseExportBlobList, splitBlobPath, splitPrefix } from "../drive/export-blob-list";
import type { ExportedBlobDetails } from "../drive/export-blob-files";

export interface ExportBlob {
  /** `container/blob`. */
  blobPath: string;
  length: number;
  /** The blob's ETag when listed: a blob that changes after this is a blob error, not a torn file. */
  etag: string;
  /** Its metadata and properties when listed, for its files on the drive (the ETag vouches for them too). */
  details?: ExportedBlobDetails;
}

export interface ResolvedSelection {
  blobs: ExportBlob[];
  /** Paths and prefixes that named nothing in the account. */
  nonexistent: string[];
  /** Paths and prefixes given more than once. */
  duplicates: number;
  unique: number;
}

export class BlobListNotFoundError extends Error {
  constructor(readonly blobListBlobPath: string) {
    super(`the blob list '${blobListBlobPath}' does not exist in the storage account`);
    this.name = "BlobListNotFoundError";
  }
}

/** Reads and parses the `<BlobList>` blob at `blobListBlobPath` (`container/blob`, a leading `/` allowed). */
export async function readBlobListBlob(client: BlobServiceClient, blobListBlobPath: string): Promise<BlobSelection> {
  // Checked before it becomes a URL, whose normalisation would take `a/../b/list.xml` into container b.
  const problem = blobPathProblem(blobListBlobPath);
  if (problem) throw new BlobListFormatError(`'${blobListBlobPath}' is not a blob path: ${problem}`);
  const { container, blobName } = splitBlobPath(blobListBlobPath);
  let text: string;
  try {
    const buffer = await client.getContainerClient(container).getBlockBlobClient(blobName).downloadToBuffer(0, undefined, { maxRetryRequestsPerBlock: 2 });
    if (buffer.length > 16 * 1024 * 1024) throw new BlobListFormatError("it is larger than 16 MiB");
    text = buffer.toString("utf8");
  } catch (error) {
    if (error instanceof RestError && (error.statusCode === 404 || error.statusCode === 400)) throw new BlobListNotFoundError(blobListBlobPath);
    throw error;
  }
  return parseExportBlobList(text);
}

/** The job's selection: its own lists, or the list in its `blobListBlobPath` blob. */
export async function jobSelection(client: BlobServiceClient, spec: { blobListBlobPath?: string; blobPath?: string[]; blobPathPrefix?: string[] } | undefined): Promise<BlobSelection> {
  if (spec?.blobListBlobPath) return readBlobListBlob(client, spec.blobListBlobPath);
  return { blobPath: spec?.blobPath ?? [], blobPathPrefix: spec?.blobPathPrefix ?? [] };
}

export async function resolveSelection(client: BlobServiceClient, selection: BlobSelection): Promise<ResolvedSelection> {
  const blobs: ExportBlob[] = [];
  const seen = new Set<string>();
  const nonexistent: string[] = [];
  const given = new Set<string>();
  let duplicates = 0;
  const add = (blob: ExportBlob) => {
    if (seen.has(blob.blobPath)) return;
    seen.add(blob.blobPath);
    blobs.push(blob);
  };

  for (const path of selection.blobPath) {
    if (given.has(`p:${path}`)) {
      duplicates++;
      continue;
    }
    given.add(`p:${path}`);
    // The job's own list reaches here unchecked (Create takes any string): a path that is not one names no blob.
    if (blobPathProblem(path)) {
      nonexistent.push(path);
      continue;
    }
    const { container, blobName } = splitBlobPath(path);
    try {
      // Listed, not Get Blob Properties: a listing keeps metadata names as written (headers come back
      // in lower case). A name sorts first among the names it begins, so one item answers.
      const page = await client.getContainerClient(container).listBlobsFlat({ prefix: blobName, includeMetadata: true }).byPage({ maxPageSize: 1 }).next();
      const item = page.done ? undefined : page.value.segment.blobItems[0];
      if (!blobName || item?.name !== blobName) {
        nonexistent.push(path);
        continue;
      }
      add({ blobPath: `${container}/${blobName}`, length: item.properties.contentLength ?? 0, etag: item.properties.etag ?? "", details: detailsOf(item.properties, item.metadata) });
    } catch (error) {
      if (error instanceof RestError && (error.statusCode === 404 || error.statusCode === 400)) nonexistent.push(path);
      else throw error;
    }
  }

  for (const prefix of selection.blobPathPrefix) {
    if (given.has(`x:${prefix}`)) {
      duplicates++;
      continue;
    }
    given.add(`x:${prefix}`);
    if (blobPathPrefixProblem(prefix)) {
      nonexistent.push(prefix);
      continue;
    }
    const parts = splitPrefix(prefix);
    const containers: string[] = [];
    if (parts.container !== undefined) containers.push(parts.container);
    else for await (const item of client.listContainers({ prefix: parts.containerPrefix || undefined })) containers.push(item.name);
    let found = 0;
    for (const container of containers) {
      try {
        for await (const item of client.getContainerClient(container).listBlobsFlat({ prefix: parts.blobPrefix || undefined, includeMetadata: true })) {
          found++;
          add({ blobPath: `${container}/${item.name}`, length: item.properties.contentLength ?? 0, etag: item.properties.etag ?? "", details: detailsOf(item.properties, item.metadata) });
        }
      } catch (error) {
        if (!(error instanceof RestError && error.statusCode === 404)) throw error;
      }
    }
    if (found === 0) nonexistent.push(prefix);
  }
  return { blobs, nonexistent, duplicates, unique: given.size };
}

/** A listed blob's metadata and properties, as its properties file writes them. */
export function detailsOf(properties: BlobProperties, metadata: Record<string, string> | undefined): ExportedBlobDetails {
  const text = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);
  return {
    metadata: { ...metadata },
    properties: {
      lastModified: properties.lastModified?.toUTCString(),
      etag: text(properties.etag),
      contentLength: properties.contentLength === undefined ? undefined : String(properties.contentLength),
      contentType: text(properties.contentType),
      contentMD5: properties.contentMD5 && properties.contentMD5.length > 0 ? Buffer.from(properties.contentMD5).toString("base64") : undefined,
      contentEncoding: text(properties.contentEncoding),
      contentLanguage: text(properties.contentLanguage),
      cacheControl: text(properties.cacheControl),
      contentDisposition: text(properties.contentDisposition),
    },
  };
}
