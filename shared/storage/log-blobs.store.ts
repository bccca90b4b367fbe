/**
 * The log blob adapter: append blobs for drive logs, block blobs for a backed-up manifest and an
 * export's list of blobs that did not fit, and read-only SAS URLs for Get Job. URLs are signed
 * locally (no storage call) with the account key; with a managed identity, with a user-delegation
 * key that is fetched once and reused until shortly before it expires. Storage failures reach callers
 * already translated (the clients' storage call policy).
 */
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  UserDelegationKey,
} from "@azure/storage-blob";
import { isSafeBlobName } from "../domain/log-blobs";
import { isNotFound } from "./storage-errors";

/** Append Block takes at most 4 MiB; stay well below it. */
const MAX_APPEND_BYTES = 1024 * 1024;
/** Signed URLs start a little in the past, so a client clock slightly behind still accepts them. */
const CLOCK_SKEW_MS = 5 * 60_000;

export type BlobUrlSigner = (blobName: string) => string;

export class LogBlobStore {
  private readonly container: ContainerClient;
  private delegationKey?: { key: UserDelegationKey; expiresOn: Date };

  constructor(
    private readonly service: BlobServiceClient,
    containerName: string,
    private readonly sasLifetimeMs: number,
  ) {
    this.container = service.getContainerClient(containerName);
  }

  async ensureContainer(): Promise<void> {
    await this.container.createIfNotExists();
  }

  /** Appends lines (each stamped with `at`, when given) to an append blob, creating it first if needed. */
  async append(blobName: string, lines: string[], at?: Date): Promise<void> {
    checkName(blobName);
    const blob = this.container.getAppendBlobClient(blobName);
    await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: "text/plain; charset=utf-8" } });
    const text = lines.map((line) => (at ? `${at.toISOString()} ${line}\n` : `${line}\n`)).join("");
    for (const chunk of chunks(Buffer.from(text, "utf8"), MAX_APPEND_BYTES)) await blob.appendBlock(chunk, chunk.length);
  }

  async put(blobName: string, content: string, contentType: string): Promise<void> {
    checkName(blobName);
    const data = Buffer.from(content, "utf8");
    await this.container.getBlockBlobClient(blobName).upload(data, data.length, { blobHTTPHeaders: { blobContentType: contentType } });
  }

  /** Uploads a file from the agent's disk (a drive's copy log can be hundreds of MB): streamed, never read whole. */
  async putFile(blobName: string, file: string, contentType: string): Promise<void> {
    checkName(blobName);
    await this.container.getBlockBlobClient(blobName).uploadFile(file, { blobHTTPHeaders: { blobContentType: contentType }, blockSize: 4 * 1024 * 1024, concurrency: 4 });
  }

  /** Deletes every blob under `prefix`; returns how many. */
  async deleteAll(prefix: string): Promise<number> {
    checkName(prefix); // never "": that would be the whole container
    let deleted = 0;
    for await (const item of this.container.listBlobsFlat({ prefix })) {
      await this.container.deleteBlob(item.name, { deleteSnapshots: "include" }).catch((error) => {
        if (!isNotFound(error)) throw error;
      });
      deleted++;
    }
    return deleted;
  }

  /** A blob's text; undefined when it does not exist. */
  async readText(blobName: string): Promise<string | undefined> {
    try {
      const buffer = await this.container.getBlobClient(blobName).downloadToBuffer();
      return buffer.toString("utf8");
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of this.container.listBlobsFlat({ prefix })) names.push(item.name);
    return names;
  }

  /** A signer for read-only, single-blob URLs that expire after the configured lifetime. */
  async signer(now: Date): Promise<BlobUrlSigner> {
    const startsOn = new Date(now.getTime() - CLOCK_SKEW_MS);
    const expiresOn = new Date(now.getTime() + this.sasLifetimeMs);
    const permissions = BlobSASPermissions.parse("r");
    const containerName = this.container.containerName;
    const url = (blobName: string, query: string) => `${this.container.getBlobClient(blobName).url}?${query}`;

    if (this.service.credential instanceof StorageSharedKeyCredential) {
      const credential = this.service.credential;
      return (blobName) =>
        url(blobName, generateBlobSASQueryParameters({ containerName, blobName, permissions, startsOn, expiresOn }, credential).toString());
    }
    const key = await this.userDelegationKey(now, expiresOn);
    const accountName = this.service.accountName;
    return (blobName) =>
      url(blobName, generateBlobSASQueryParameters({ containerName, blobName, permissions, startsOn, expiresOn }, key, accountName).toString());
  }

  /** One user-delegation key serves many URLs; a new one is fetched only when it would expire too soon. */
  private async userDelegationKey(now: Date, neededUntil: Date): Promise<UserDelegationKey> {
    if (this.delegationKey && this.delegationKey.expiresOn > neededUntil) return this.delegationKey.key;
    const expiresOn = new Date(Math.max(neededUntil.getTime(), now.getTime() + 6 * 3_600_000));
    const key = await this.service.getUserDelegationKey(new Date(now.getTime() - CLOCK_SKEW_MS), expiresOn);
    this.delegationKey = { key, expiresOn };
    return key;
  }
}

/** Names come from `domain/log-blobs.ts`; this refuses anything else that could leave the job's prefix. */
function checkName(name: string): void {
  if (name === "" || !isSafeBlobName(name)) throw new Error("Refusing an unsafe blob name");
}

function* chunks(data: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}
