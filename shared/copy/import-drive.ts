/**
 * The data-center copy of one import drive into the customer's storage account: what
 * `npm run datacenter -- import` runs. It talks to the service only through the operator API.
 *
 * 1. Drive checks, each a drive error (the drive goes Faulted with the reason): the customer's account
 *    must be reachable, the key record on the drive must open with the job's key, and the manifest
 *    must match the job's `manifestHash` and be well formed.
 * 2. `TransferStarted`, then every blob of the manifest as a block blob: blocks read in order, each
 *    checked against its MD5 in the manifest, staged in parallel (at most `parallelism` blocks in
 *    memory, whatever the file sizes), and committed in one Put Block List with Content-MD5, metadata
 *    and properties, so no half-written blob is ever visible. Dispositions as documented: `rename`
 *    gives `name (2).ext`, `no-overwrite` leaves an existing blob, `overwrite` replaces it. A blob
 *    that fails is logged and the drive goes on.
 * 3. Progress about once a second; the service's `stopTransfer` answer (a cancelled job) stops new
 *    blobs from starting. The logs go to the customer's account, then `TransferFinished`.
 *
 * Finished blobs are journaled, so a killed agent run again carries on where it stopped. Every file
 * of the drive is reached through drive-fs.ts: no link is followed, no FIFO, socket or device opened.
 */
import { createHash } from "node:crypto";
import { closeSync, readSync } from "node:fs";
import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { RestError } from "@azure/storage-blob";
import type { BlobServiceClient, BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import { storageAccountName } from "../config/customer-accounts";
import { BlobNameError, parseBlobPath, renamedBlobName } from "../drive/blob-names";
import {
  DEFAULT_IMPORT_DISPOSITION,
  driveFileSegments,
  DriveManifest,
  effectiveMetadataPath,
  effectivePropertiesPath,
  HashedFilePath,
  MAX_BLOCK_LENGTH,
  ManifestBlob,
  ManifestBlock,
  ManifestBlobList,
  ManifestFormatError,
  md5Hex,
  parseDriveManifest,
  totalLength,
} from "../drive/drive-manifest";
import { DrivePathError, DriveTree } from "../drive/drive-fs";
import { KEY_RECORD_FILE, keyUnlocks, parseKeyRecord } from "../drive/key-record";
import { parseMetadataFile, parsePropertiesFile } from "../drive/metadata-properties";
import { CustomerAccounts } from "../storage/customer-accounts";
import { copyLogLocation, runStateName } from "./copy-log-names";
import { describeError, DriveError, endFailedCopy, linkedAccessRefusal, FaultedResult, jobForNames, RefusedResult, refusedResult } from "./drive-fault";
import { claimDrive, ClaimSettings, CopyHalted } from "./agent-claim";
import type { LogBlobStore } from "../storage/log-blobs.store";
import { BlobLogEntry, BlockLogEntry, BlockStatus, copyDriveStatus, CopySummary, DriveLog, DriveStatus, errorLogOf, PartLogEntry, summarize, wasCopied, writeDriveLog } from "./copy-log";
import { CopyJournal } from "./copy-journal";
import { ProgressReporter, Semaphore, Throttle } from "./copy-pacing";
import { Md5Worker } from "./md5-worker";
import { containerClients, OncePerKey } from "./run-caches";
import { JobRef, OperatorApiError, OperatorClient, OperatorJob } from "./operator-client";
import type { Logger } from "../telemetry/log";

/** What the agent needs to copy one drive, in either direction. */
export interface DriveCopyRequest {
  job: JobRef;
  driveId: string;
  /** The unlocked volume: the drive's root folder. */
  drivePath: string;
  operator: OperatorClient;
  accounts: CustomerAccounts;
  /** Where the resume journal is kept. */
  stateDir: string;
  /** Blocks (import) or ranges (export) in flight, and so in memory, at once. */
  parallelism: number;
  progressIntervalMs: number;
  /** Bandwidth cap, bytes per second (AzCopy's --cap-mbps); none when absent. */
  capBytesPerSecond?: number;
  /** This agent and the lease of its claim on the drive (see agent-claim.ts). */
  claim: ClaimSettings;
  onProgress?: (progress: CopyProgress) => void;
  /** Where the agent logs what it works around: each blob or file failure with its cause (the copy log has its status). */
  log: Logger;
}

export type ImportDriveRequest = DriveCopyRequest;

export interface CopyProgress {
  bytesDone: number;
  totalBytes: number;
  blobsDone: number;
  blobCount: number;
  elapsedMs: number;
}

export type ImportResult =
  | {
      outcome: "Completed" | "CompletedMoreInfo" | "Cancelled";
      driveStatus: DriveStatus;
      bytesCopied: number;
      totalBytes: number;
      summary: CopySummary;
      errorLogUri?: string;
      verboseLogUri?: string;
      durationMs: number;
    }
  | FaultedResult
  | { outcome: "NotCopied"; reason: string; durationMs: number }
  | RefusedResult;

interface Drive {
  manifest: DriveManifest;
  manifestText: string;
}

export async function importDrive(request: ImportDriveRequest): Promise<ImportResult> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const job = await request.operator.getJob(request.job);
  const drive = job.properties.driveList?.find((candidate) => candidate.driveId.toUpperCase() === request.driveId.toUpperCase());
  if (!drive) return { outcome: "NotCopied", reason: `Job '${job.name}' has no drive '${request.driveId}'.`, durationMs: elapsed() };
  const driveId = drive.driveId;
  if (drive.state !== "Received" && drive.state !== "Transferring") {
    return { outcome: "NotCopied", reason: `Drive '${driveId}' is '${drive.state}': the agent copies a drive that is 'Received' (or resumes one that is 'Transferring').`, durationMs: elapsed() };
  }
  if (drive.state === "Received" && job.properties.cancelRequested) {
    return { outcome: "NotCopied", reason: `Job '${job.name}' was cancelled before drive '${driveId}' started copying: it goes back uncopied.`, durationMs: elapsed() };
  }

  // Before anything is written anywhere: the drive is this agent's, or the agent stops here.
  const claim = await claimDrive(request, driveId);
  if (!claim.claimed) return refusedResult(claim, elapsed());

  const accountName = storageAccountName(job.properties.storageAccountId);
  const client = accountName ? request.accounts.client(accountName) : undefined;
  const logs = accountName && client ? request.accounts.logStore(accountName, copyLogLocation(jobForNames(job), driveId, "error").container) : undefined;

  // Before anything of the account is touched: the job's tenant must still own it. Refused, the
  // drive is faulted with no log in that account.
  const refusal = await linkedAccessRefusal(request);
  if (refusal) return { ...(await endFailedCopy(request, job, driveId, refusal)), durationMs: elapsed() };
  try {
    if (!accountName || !client || !logs) {
      // The drive's reason reaches the customer; the accounts this data center reaches are others' names.
      throw new DriveError("BlobRequestForbidden", `Storage account '${accountName ?? job.properties.storageAccountId}' is not reachable from this data center.`);
    }
    return await copyClaimedDrive(request, job, drive, client, logs, started);
  } catch (error) {
    // Whatever stopped the copy, the drive is faulted with its log (or the service said why not).
    return { ...(await endFailedCopy(request, job, driveId, error, logs)), durationMs: elapsed() };
  }
}

/** The copy of a drive this agent holds the claim on; any failure is the caller's to fault the drive with. */
async function copyClaimedDrive(
  request: ImportDriveRequest,
  job: OperatorJob,
  drive: NonNullable<OperatorJob["properties"]["driveList"]>[number],
  client: BlobServiceClient,
  logs: LogBlobStore,
  started: number,
): Promise<ImportResult> {
  const elapsed = () => Date.now() - started;
  const driveId = drive.driveId;
  const resuming = drive.state === "Transferring";
  const journal = CopyJournal.at(request.stateDir, runStateName({ ...request.job, name: request.job.jobName, creationId: job.operator.creationId }, driveId));
  if (!resuming) journal.reset();

  await logs.ensureContainer().catch((error) => {
    throw new DriveError("BlobRequestForbidden", `Storage account '${storageAccountName(job.properties.storageAccountId)}' is not reachable: ${describeError(error)}.`);
  });
  // Every file of the drive is reached through this: nothing outside the drive is ever read.
  const driveTree = new DriveTree(request.drivePath);
  const opened = await openDrive(request, driveTree, job, driveId, drive.manifestFile, drive.manifestHash);

  const total = totalLength(opened.manifest);
  if (!resuming) {
    const manifest = job.properties.backupDriveManifest && Buffer.byteLength(opened.manifestText) <= 1024 * 1024 ? opened.manifestText : undefined;
    try {
      await request.operator.event(request.job, { type: "TransferStarted", driveId, totalBytes: Math.max(total, 1), manifest });
    } catch (error) {
      if (error instanceof OperatorApiError && error.code === "JobCancelled") {
        await request.operator.releaseClaim(request.job, driveId).catch(() => undefined); // else it expires
        return { outcome: "NotCopied", reason: error.message, durationMs: elapsed() };
      }
      throw error;
    }
  }

  const copier = new DriveCopier(request, driveTree, client, driveId, opened.manifest, journal, resuming, started);
  const copied = await copier.run();
  if (copier.halted) throw new CopyHalted(copier.halted);

  const verbose: DriveLog = { driveId, blobs: copied.entries, status: copyDriveStatus(copied.entries) };
  const summary = summarize(verbose);
  const anyIssue = Object.keys(summary.issuesByKind).length > 0;
  const names = jobForNames(job);
  const writeVerbose = job.properties.logLevel === "Verbose";
  if (anyIssue) await logs.put(copyLogLocation(names, driveId, "error").blobName, writeDriveLog(errorLogOf(verbose)), "application/xml");
  if (writeVerbose) await logs.put(copyLogLocation(names, driveId, "verbose").blobName, writeDriveLog(verbose), "application/xml");

  const outcome = anyIssue || copied.cancelled ? "CompletedMoreInfo" : "Completed";
  const finished = await request.operator.event(request.job, {
    type: "TransferFinished",
    driveId,
    outcome,
    bytesSucceeded: copied.bytesCopied,
    copyStatus: copied.cancelled ? "Cancelled" : verbose.status,
    copyLog: { errorLog: anyIssue, verboseLog: writeVerbose, blobsCopied: summary.blobsCopied, issuesByKind: summary.issuesByKind },
  });
  journal.reset();
  const status = finished.properties.driveList?.find((candidate) => candidate.driveId === driveId) as { errorLogUri?: string; verboseLogUri?: string } | undefined;
  return {
    outcome: copied.cancelled ? "Cancelled" : outcome,
    driveStatus: verbose.status,
    bytesCopied: copied.bytesCopied,
    totalBytes: total,
    summary,
    errorLogUri: status?.errorLogUri,
    verboseLogUri: status?.verboseLogUri,
    durationMs: elapsed(),
  };
}

/** Unlocks the drive (key record against the job's key) and reads its manifest, checked against the job. */
async function openDrive(request: ImportDriveRequest, driveTree: DriveTree, job: OperatorJob, driveId: string, manifestFile?: string, manifestHash?: string): Promise<Drive> {
  let keyText: string;
  try {
    keyText = driveTree.readFileSync([KEY_RECORD_FILE]).toString("utf8");
  } catch (error) {
    if (error instanceof DrivePathError && error.problem !== "missing") throw new DriveError("BitLockerProtectorNotFound", `Drive '${driveId}' cannot be unlocked: its key record ${error.message}.`);
    throw new DriveError("BitLockerProtectorNotFound", `Drive '${driveId}' has no key record (${KEY_RECORD_FILE}) at its root: it cannot be unlocked.`);
  }
  let unlocked: boolean;
  try {
    unlocked = keyUnlocks(parseKeyRecord(keyText), await request.operator.driveKey(request.job, driveId));
  } catch (error) {
    if (error instanceof OperatorApiError) throw error;
    throw new DriveError("BitLockerProtectorNotFound", `Drive '${driveId}': ${describeError(error)}.`);
  }
  if (!unlocked) throw new DriveError("BitLockerKeyInvalid", `The BitLocker key of job '${job.name}' does not unlock drive '${driveId}'.`);

  if (!manifestFile || !manifestHash) throw new DriveError("ManifestNotFound", `Job '${job.name}' names no manifest file and hash for drive '${driveId}'.`);
  let manifestSegments: string[];
  try {
    manifestSegments = driveFileSegments(manifestFile);
  } catch {
    throw new DriveError("ManifestNameInvalid", `The manifest file name '${manifestFile}' does not name a file on the drive.`);
  }
  let bytes: Buffer;
  try {
    bytes = driveTree.readFileSync(manifestSegments);
  } catch (error) {
    if (error instanceof DrivePathError && error.problem !== "missing") throw new DriveError("ManifestNotFound", `Drive '${driveId}' has no manifest it can read: ${error.message}.`);
    throw new DriveError("ManifestNotFound", `Drive '${driveId}' has no manifest at '${manifestFile}'.`);
  }
  if (md5Hex(bytes) !== manifestHash.toUpperCase()) {
    throw new DriveError("ManifestCorrupted", `The manifest on drive '${driveId}' does not match the job's manifestHash (MD5 ${md5Hex(bytes)}, expected ${manifestHash.toUpperCase()}).`);
  }
  const text = bytes.toString("utf8");
  let manifest: DriveManifest;
  try {
    manifest = parseDriveManifest(text);
  } catch (error) {
    if (error instanceof ManifestFormatError) throw new DriveError("ManifestFormatInvalid", `The manifest on drive '${driveId}' is not valid: ${error.message}.`);
    throw error;
  }
  if (manifest.driveId.toUpperCase() !== driveId.toUpperCase()) {
    throw new DriveError("ManifestDriveIdMismatch", `The manifest on drive '${driveId}' is for drive '${manifest.driveId}'.`);
  }
  // Byte counts are exact only up to 2^53 (and the API takes no more): no drive holds that much.
  if (totalLength(manifest) > Number.MAX_SAFE_INTEGER) {
    throw new DriveError("ManifestFormatInvalid", `The manifest on drive '${driveId}' lists blobs adding up to more than ${Number.MAX_SAFE_INTEGER} bytes, more than any drive holds.`);
  }
  return { manifest, manifestText: text };
}

interface ManifestItem {
  index: number;
  list: ManifestBlobList;
  blob: ManifestBlob;
}

/** The copy proper: a pool of workers over the manifest's blobs, sharing one budget of blocks in flight. */
class DriveCopier {
  private readonly items: ManifestItem[];
  private readonly totalBytes: number;
  private readonly entries: (BlobLogEntry | undefined)[];
  private readonly blocks: Semaphore;
  private readonly throttle?: Throttle;
  private readonly containers = new OncePerKey();
  private readonly containerClient: (name: string) => ContainerClient;
  private readonly lastWithPath = new Map<string, Promise<void>>();
  private md5Worker?: Md5Worker;
  /** One buffer per block in flight, reused: memory stays at parallelism × block size and nothing churns. */
  private readonly bufferPool: Buffer[] = [];
  private next = 0;
  private bytesDone = 0;
  private bytesCopied = 0;
  private blobsDone = 0;
  private stopRequested = false;
  /** The service refused the copy's progress: nothing more is started, and the blob in flight stops at its next block. */
  halted?: OperatorApiError;

  constructor(
    private readonly request: ImportDriveRequest,
    private readonly drive: DriveTree,
    private readonly client: BlobServiceClient,
    private readonly driveId: string,
    private readonly manifest: DriveManifest,
    private readonly journal: CopyJournal,
    private readonly resuming: boolean,
    private readonly started: number,
  ) {
    this.items = manifest.blobLists.flatMap((list) => list.blobs.map((blob) => ({ list, blob, index: 0 }))).map((item, index) => ({ ...item, index }));
    this.entries = new Array(this.items.length);
    this.totalBytes = totalLength(manifest);
    this.blocks = new Semaphore(Math.max(1, request.parallelism));
    this.containerClient = containerClients(client);
    if (request.capBytesPerSecond) this.throttle = new Throttle(request.capBytesPerSecond);
  }

  async run(): Promise<{ entries: BlobLogEntry[]; bytesCopied: number; cancelled: boolean }> {
    for (const entry of this.journal.read().values()) {
      if (entry.index >= this.items.length) continue;
      this.entries[entry.index] = entry.log;
      this.bytesDone += entry.bytes;
      if (wasCopied(entry.log)) this.bytesCopied += entry.bytes;
      this.blobsDone++;
    }
    const reporter = new ProgressReporter(
      this.request,
      this.driveId,
      this.totalBytes,
      () => this.bytesDone,
      () => (this.stopRequested = true),
      (refusal) => {
        this.halted ??= refusal;
        this.stopRequested = true;
      },
    );
    reporter.start();
    try {
      const workers = Array.from({ length: Math.max(1, this.request.parallelism) }, () => this.work());
      await Promise.all(workers);
    } finally {
      this.journal.close();
      await reporter.stop();
      await this.md5Worker?.close();
    }
    // A sparse array: `some` would skip the holes that are exactly the blobs never started.
    const cancelled = this.stopRequested && this.items.some(({ index }) => this.entries[index] === undefined);
    const entries = this.items.map(
      ({ blob, index }) =>
        this.entries[index] ??
        // Not started before the job's cancellation stopped the copy.
        { status: "Failed" as const, blobPath: blob.blobPath, filePath: blob.filePath, length: blob.length, importDisposition: { status: "Cancelled" as const, value: blob.importDisposition ?? DEFAULT_IMPORT_DISPOSITION } },
    );
    return { entries, bytesCopied: this.bytesCopied, cancelled };
  }

  private async work(): Promise<void> {
    while (!this.stopRequested) {
      const item = this.items[this.next++];
      if (!item) return;
      if (this.entries[item.index]) continue;
      // Two files for one blob go in manifest order, so the later one is the one renamed or skipped.
      const earlier = this.lastWithPath.get(item.blob.blobPath);
      let finished!: () => void;
      this.lastWithPath.set(item.blob.blobPath, new Promise<void>((resolve) => (finished = resolve)));
      try {
        await earlier;
        await this.copyItem(item);
      } finally {
        finished();
      }
    }
  }

  private async copyItem(item: ManifestItem): Promise<void> {
    let counted = 0;
    const count = (bytes: number) => {
      counted += bytes;
      this.bytesDone += bytes;
      this.report();
    };
    const log = await this.copyBlob(item, count, 1);
    this.bytesDone += item.blob.length - counted;
    if (wasCopied(log)) this.bytesCopied += item.blob.length;
    this.entries[item.index] = log;
    this.blobsDone++;
    const created = log.status === "Completed" && log.importDisposition?.status === "Created";
    this.journal.record({ index: item.index, bytes: item.blob.length, log }, created);
    this.report();
  }

  private report(): void {
    this.request.onProgress?.({ bytesDone: this.bytesDone, totalBytes: this.totalBytes, blobsDone: this.blobsDone, blobCount: this.items.length, elapsedMs: Date.now() - this.started });
  }

  /** One blob: its checks, its disposition, its blocks and its commit. Never throws: every failure is a log entry. */
  private async copyBlob(item: ManifestItem, count: (bytes: number) => void, attempt: number): Promise<BlobLogEntry> {
    const { blob, list } = item;
    const disposition = blob.importDisposition ?? DEFAULT_IMPORT_DISPOSITION;
    const entry: BlobLogEntry = { status: "Completed", blobPath: blob.blobPath, filePath: blob.filePath, length: blob.length, importDisposition: { status: "Created", value: disposition } };
    const failed = (status: BlobLogEntry["status"], extra: Partial<BlobLogEntry> = {}): BlobLogEntry => ({
      ...entry,
      ...extra,
      status,
      importDisposition: { status: "Cancelled", value: disposition },
    });

    // Page blobs are refused by this data center's agent (block blobs only); the log says so.
    if (!blob.blockList) return { ...entry, status: "Failed", importDisposition: undefined };
    let target: { container: string; blobName: string };
    try {
      target = parseBlobPath(blob.blobPath);
    } catch (error) {
      if (error instanceof BlobNameError) return failed(this.cause(blob.blobPath, "BlobRequestFailed", error));
      throw error;
    }
    let file: DriveFile;
    try {
      const segments = driveFileSegments(blob.filePath);
      file = { segments, seen: this.drive.file(segments) };
    } catch (error) {
      return failed(this.cause(blob.blobPath, fileStatus(error), error));
    }

    const metadata = await this.readPart(effectiveMetadataPath(list, blob), list.metadataPath, parseMetadataFile);
    const properties = await this.readPart(effectivePropertiesPath(list, blob), list.propertiesPath, parsePropertiesFile);
    if (metadata.log) entry.metadata = metadata.log;
    if (properties.log) entry.properties = properties.log;
    const blockIds = blob.blockList.map((block, index) => stableBlockId(block.hash, index));
    const blockLog: BlockLogEntry[] = blob.blockList.map((block, index) => ({ offset: block.offset, length: block.length, id: blockIds[index], hash: block.hash, status: "Uncommitted" }));
    if (blockLog.length > 0) entry.blocks = blockLog;
    if (metadata.log?.status !== undefined && metadata.log.status !== "Completed") return { ...failed("CompletedWithErrors"), metadata: metadata.log, properties: properties.log, blocks: entry.blocks };
    if (properties.log?.status !== undefined && properties.log.status !== "Completed") return { ...failed("CompletedWithErrors"), metadata: metadata.log, properties: properties.log, blocks: entry.blocks };

    // The disposition decides the name. A single-block blob is written optimistically (its commit
    // requires the name to be free, and a conflict comes back here to decide), so the common case
    // costs one request; a larger blob is checked first, so no upload is wasted on a name it can't have.
    const container = this.containerClient(target.container);
    let name = target.blobName;
    try {
      await this.ensureContainer(target.container);
      const check = attempt > 1 || this.resuming || blob.blockList.length > 1;
      const existing = check ? await propertiesOf(container.getBlockBlobClient(name)) : undefined;
      if (existing && this.resuming && (await this.isOurs(container.getBlockBlobClient(name), existing, blob, blockIds))) {
        count(blob.length);
        return { ...entry, blocks: blockLog.map((block) => ({ ...block, status: "Completed" })) };
      }
      if (existing) {
        if (disposition === "no-overwrite") return { ...entry, importDisposition: { status: "Skipped", value: disposition }, blocks: undefined };
        if (disposition === "overwrite") entry.importDisposition = { status: "Overwritten", value: disposition };
        else {
          const free = await this.freeName(container, target.blobName);
          if (!free) return failed("RenameFailed");
          name = free;
          entry.importDisposition = { status: "Renamed", value: disposition };
          entry.blobPath = `${target.container}/${name}`;
        }
      }
    } catch (error) {
      return failed(this.cause(blob.blobPath, blobRequestStatus(error), error));
    }

    const client = container.getBlockBlobClient(name);
    const uploaded = await this.uploadBlocks(client, file, blob, blockIds, blockLog, count, `${item.index}/${attempt}`);
    if (!uploaded.ok) return { ...entry, status: uploaded.status ?? "CompletedWithErrors", importDisposition: { status: "Cancelled", value: disposition } };
    const contentMD5 = uploaded.md5;
    if (properties.value?.contentMD5 !== undefined && Buffer.from(properties.value.contentMD5, "base64").compare(contentMD5) !== 0) {
      return { ...failed("CompletedWithErrors"), blocks: entry.blocks, metadata: entry.metadata, properties: { ...properties.log!, status: "Corrupted" } };
    }

    const headers = {
      blobContentMD5: contentMD5,
      blobContentType: properties.value?.contentType,
      blobContentEncoding: properties.value?.contentEncoding,
      blobContentLanguage: properties.value?.contentLanguage,
      blobContentDisposition: properties.value?.contentDisposition,
      blobCacheControl: properties.value?.cacheControl,
    };
    // Only "overwrite" may replace a blob; otherwise the name must still be free at the commit.
    const conditions = entry.importDisposition?.status === "Overwritten" ? undefined : { ifNoneMatch: "*" };
    try {
      if (uploaded.single) {
        await client.upload(uploaded.single, uploaded.single.length, { blobHTTPHeaders: headers, metadata: metadata.value, conditions });
      } else {
        await client.commitBlockList(blockIds, { blobHTTPHeaders: headers, metadata: metadata.value, conditions });
      }
    } catch (error) {
      // Another writer took the name between the check and the commit: decide again.
      if (error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412) && attempt < 5) return this.copyBlob(item, () => undefined, attempt + 1);
      return { ...failed(this.cause(blob.blobPath, blobRequestStatus(error), error)), blocks: blockLog };
    }
    return { ...entry, blocks: blockLog.map((block) => ({ ...block, status: "Completed" as BlockStatus })) };
  }

  /**
   * Reads the file's blocks in order, checks each against the manifest's MD5 and stages it (or keeps
   * a single-block file for one Put Blob, whose MD5 is then the block's). At most `parallelism`
   * blocks are in flight across the whole drive; a larger file's blocks and whole MD5 are hashed
   * on two threads as the blocks go by, and a block's buffer is let go once it is staged and hashed.
   */
  private async uploadBlocks(
    client: BlockBlobClient,
    source: DriveFile,
    blob: ManifestBlob,
    blockIds: string[],
    blockLog: BlockLogEntry[],
    count: (bytes: number) => void,
    hashId: string,
  ): Promise<{ ok: true; md5: Buffer; single?: Buffer } | { ok: false; status?: BlobLogEntry["status"] }> {
    const blocks = blob.blockList ?? [];
    if (blocks.length <= 1) return this.readSingleBlock(blob.blobPath, source, blocks[0], blockLog, count);
    let file: FileHandle;
    try {
      ({ handle: file } = await this.drive.open(source.segments, { seen: source.seen }));
    } catch (error) {
      return { ok: false, status: this.cause(blob.blobPath, "IOFailed", error) };
    }
    const staged = this.resuming ? await uncommittedBlocks(client) : new Map<string, number>();
    const uploads: Promise<unknown>[] = [];
    let failed = false;
    try {
      for (const [index, block] of blocks.entries()) {
        if (failed || this.halted) {
          blockLog[index].status = "Cancelled";
          failed = true;
          continue;
        }
        await this.blocks.acquire();
        let handedOff = false;
        const pooled = this.bufferPool.pop() ?? Md5Worker.blockBuffer(MAX_BLOCK_LENGTH);
        const release = () => {
          this.bufferPool.push(pooled);
          this.blocks.release();
        };
        try {
          const buffer = pooled.subarray(0, block.length);
          const { bytesRead } = await readFully(file, buffer, block.offset);
          if (bytesRead < block.length) {
            blockLog[index].status = "FileUnexpectedEnd";
            failed = true;
            continue;
          }
          handedOff = true;
          // The hashing threads check the block against the manifest while it is staged: a block that
          // fails its check is staged for nothing, and the blob is never committed.
          const hasher = this.hasher();
          const checked = Promise.all([hasher.blockDigest(buffer), hasher.update(hashId, buffer)])
            .then(([md5]) => {
              if (md5.toString("hex").toUpperCase() === block.hash.toUpperCase()) return true;
              blockLog[index].status = "Corrupted";
              failed = true;
              return false;
            });
          if (staged.get(blockIds[index]) === block.length) {
            uploads.push(checked.then((ok) => ok && count(block.length)).finally(release));
            continue;
          }
          await this.throttle?.take(block.length);
          // No transactional MD5 on the wire: the block is checked against the manifest, the
          // transport (TLS in Azure) guards it, and the committed blob carries the file's MD5.
          const staging = client.stageBlock(blockIds[index], buffer, buffer.length).then(
            () => true,
            (error) => (this.cause(blob.blobPath, "BlobRequestFailed", error), false),
          );
          uploads.push(
            Promise.all([staging, checked])
              .then(([stagedOk, ok]) => {
                if (ok && stagedOk) count(block.length);
                else if (ok) {
                  blockLog[index].status = "BlobRequestFailed";
                  failed = true;
                }
              })
              .finally(release),
          );
        } catch (error) {
          blockLog[index].status = this.cause(blob.blobPath, "IOFailed", error);
          failed = true;
        } finally {
          if (!handedOff) release();
        }
      }
      await Promise.all(uploads);
    } finally {
      await file.close();
    }
    const md5 = await this.hasher().digest(hashId);
    if (failed) return { ok: false };
    return { ok: true, md5: md5! };
  }

  /**
   * A file of at most one block, for one Put Blob: read in place, not through the thread pool, whose
   * hand-offs for an open, a read and a close cost a small file more CPU than the calls themselves.
   */
  private async readSingleBlock(
    blobPath: string,
    source: DriveFile,
    block: ManifestBlock | undefined,
    blockLog: BlockLogEntry[],
    count: (bytes: number) => void,
  ): Promise<{ ok: true; md5: Buffer; single: Buffer } | { ok: false; status?: BlobLogEntry["status"] }> {
    let buffer = Buffer.alloc(0);
    if (block) await this.blocks.acquire();
    try {
      let fd: number;
      try {
        ({ fd } = this.drive.openSync(source.segments, { seen: source.seen }));
      } catch (error) {
        return { ok: false, status: this.cause(blobPath, "IOFailed", error) };
      }
      try {
        if (block) {
          buffer = Buffer.allocUnsafe(block.length);
          if (readFullySync(fd, buffer, block.offset) < block.length) {
            blockLog[0].status = "FileUnexpectedEnd";
            return { ok: false };
          }
        }
      } catch (error) {
        blockLog[0].status = this.cause(blobPath, "IOFailed", error);
        return { ok: false };
      } finally {
        closeSync(fd);
      }
    } finally {
      if (block) this.blocks.release();
    }
    const md5 = createHash("md5").update(buffer).digest();
    if (block && md5.toString("hex").toUpperCase() !== block.hash.toUpperCase()) {
      blockLog[0].status = "Corrupted";
      return { ok: false };
    }
    count(buffer.length);
    await this.throttle?.take(buffer.length);
    return { ok: true, md5, single: buffer };
  }

  private hasher(): Md5Worker {
    this.md5Worker ??= new Md5Worker();
    return this.md5Worker;
  }

  /** Logs what a blob or file failed with, and why; returns the status its copy log entry takes. */
  private cause<S extends string>(path: string, status: S, error: unknown): S {
    this.request.log.warn(`${path}: ${status}`, { path, status, error });
    return status;
  }

  /** Creates each destination container once per run. */
  private ensureContainer(name: string): Promise<unknown> {
    return this.containers.run(name, () => this.containerClient(name).createIfNotExists());
  }

  /** A blob already there on a resumed drive is ours when its content is the manifest's (same MD5, same blocks). */
  private async isOurs(client: BlockBlobClient, existing: { contentMD5?: Uint8Array }, blob: ManifestBlob, blockIds: string[]): Promise<boolean> {
    const blocks = blob.blockList ?? [];
    if (blocks.length <= 1) {
      const expected = blocks.length === 0 ? md5Hex(Buffer.alloc(0)) : blocks[0].hash.toUpperCase();
      return existing.contentMD5 !== undefined && Buffer.from(existing.contentMD5).toString("hex").toUpperCase() === expected;
    }
    const list = await client.getBlockList("committed");
    const committed = (list.committedBlocks ?? []).map((block) => block.name);
    return committed.length === blockIds.length && committed.every((id, index) => id === blockIds[index]);
  }

  private async freeName(container: ContainerClient, blobName: string): Promise<string | undefined> {
    for (let n = 2; n < 1000; n++) {
      const candidate = renamedBlobName(blobName, n);
      if (!(await propertiesOf(container.getBlockBlobClient(candidate)))) return candidate;
    }
    return undefined;
  }

  private async readPart<T>(
    effective: HashedFilePath | undefined,
    global: HashedFilePath | undefined,
    parse: (xml: string) => T,
  ): Promise<{ value?: T; log?: PartLogEntry }> {
    if (!effective) return {};
    const where = effective === global ? { globalPath: { path: effective.path, hash: effective.hash } } : { path: { path: effective.path, hash: effective.hash } };
    let text: Buffer;
    try {
      text = this.drive.readFileSync(driveFileSegments(effective.path));
    } catch (error) {
      return { log: { status: this.cause(effective.path, fileStatus(error), error), ...where } };
    }
    if (md5Hex(text) !== effective.hash.toUpperCase()) return { log: { status: "Corrupted", ...where } };
    try {
      return { value: parse(text.toString("utf8")), log: { status: "Completed", ...where } };
    } catch (error) {
      return { log: { status: this.cause(effective.path, "XmlReadFailed", error), ...where } };
    }
  }
}

/** A data file of the drive: its checked path segments and what `lstat` saw (the file opened must be that one). */
interface DriveFile {
  segments: string[];
  seen: Stats;
}

/**
 * The log's code for a file (data, metadata or properties) the drive does not give as a regular
 * file: a link, FIFO, socket or device, or a link on the way, is `FileNotFound` (it is never opened).
 */
function fileStatus(error: unknown): "FileNameInvalid" | "FileNotFound" | "FileAccessDenied" | "FileNameTooLong" {
  if (error instanceof ManifestFormatError) return "FileNameInvalid";
  if (!(error instanceof DrivePathError)) throw error;
  if (error.problem === "denied") return "FileAccessDenied";
  if (error.problem === "nameTooLong") return "FileNameTooLong";
  return "FileNotFound";
}

/**
 * Block ids from the block's MD5 and index: the same bytes at the same place get the same id, so
 * blocks staged by a killed run can be reused, and two drives writing one blob name can never
 * commit each other's blocks. Fixed length, as Put Block requires.
 */
function stableBlockId(hash: string, index: number): string {
  return Buffer.from(`${hash.toUpperCase()}-${String(index).padStart(6, "0")}`).toString("base64");
}

async function readFully(file: FileHandle, buffer: Buffer, position: number): Promise<{ bytesRead: number }> {
  let total = 0;
  while (total < buffer.length) {
    const { bytesRead } = await file.read(buffer, total, buffer.length - total, position + total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return { bytesRead: total };
}

function readFullySync(fd: number, buffer: Buffer, position: number): number {
  let total = 0;
  while (total < buffer.length) {
    const bytesRead = readSync(fd, buffer, total, buffer.length - total, position + total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return total;
}

async function propertiesOf(client: BlockBlobClient): Promise<{ contentMD5?: Uint8Array; etag?: string } | undefined> {
  try {
    const properties = await client.getProperties();
    return { contentMD5: properties.contentMD5, etag: properties.etag };
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return undefined;
    throw error;
  }
}

async function uncommittedBlocks(client: BlockBlobClient): Promise<Map<string, number>> {
  try {
    const list = await client.getBlockList("uncommitted");
    return new Map((list.uncommittedBlocks ?? []).map((block) => [block.name, block.size]));
  } catch {
    // None known: the blocks are staged again, which costs the upload and loses nothing.
    return new Map();
  }
}

function blobRequestStatus(error: unknown): BlobLogEntry["status"] {
  if (error instanceof RestError && (error.statusCode === 401 || error.statusCode === 403)) return "BlobRequestForbidden";
  if (error instanceof RestError && error.statusCode === 412 && error.code === "LeaseIdMissing") return "LeasePresent";
  return "BlobRequestFailed";
}
