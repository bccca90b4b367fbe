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
 *
 * A drive may hold a million files: the manifest is read twice as it streams off the drive (once to
 * check it whole, hash it and count its bytes before `TransferStarted`, once to copy), never held;
 * the journal is read back a line at a time into a bit per blob; the logs are written to the agent's
 * disk as blobs finish and uploaded as files. Memory is the blocks in flight and a few pieces of
 * the manifest, whatever the drive holds.
 */
import { createHash } from "node:crypto";
import { closeSync, readSync } from "node:fs";
import type { Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { RestError } from "@azure/storage-blob";
import type { BlobServiceClient, BlockBlobClient, ContainerClient } from "@azure/storage-blob";
import { storageAccountName } from "../config/customer-accounts";
import { BlobNameError, parseBlobPath, renamedBlobName } from "../formats/blob-names";
import {
  DEFAULT_IMPORT_DISPOSITION,
  driveFileSegments,
  driveManifestEntries,
  effectiveMetadataPath,
  effectivePropertiesPath,
  HashedFilePath,
  MAX_BLOCK_LENGTH,
  ManifestBlob,
  ManifestBlock,
  ManifestEntry,
  ManifestFormatError,
  ManifestSummary,
  md5Hex,
  readDriveManifest,
} from "../formats/drive-manifest";
import { DrivePathError, DriveTree } from "../drive-access/drive-fs";
import { KEY_RECORD_FILE, keyUnlocks, MAX_KEY_RECORD_BYTES, parseKeyRecord } from "../formats/key-record";
import { MAX_BLOB_FILE_BYTES, parseMetadataFile, parsePropertiesFile } from "../formats/metadata-properties";
import { CustomerAccounts } from "../storage/customer-accounts";
import { copyLogLocation, runStateName } from "../formats/copy-log-names";
import { describeError, DriveError, FaultedResult, jobForNames, RefusedResult, runClaimedCopy } from "./drive-fault";
import { ClaimSettings, CopyHalted } from "./agent-claim";
import type { LogBlobStore } from "../storage/log-blobs.store";
import { BlobLogEntry, BlockLogEntry, BlockStatus, CopySummary, DriveStatus, PartLogEntry, wasCopied } from "../formats/copy-log";
import { CopyJournal, IndexSet } from "./copy-journal";
import { DriveLogFiles, WrittenDriveLogs } from "./drive-log-files";
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

/** The manifest, open on the drive and checked whole: read again, as it streams, to copy. */
interface OpenedManifest {
  file: FileHandle;
  summary: ManifestSummary;
  /** Its text when small enough to back up on the job (`backupDriveManifest`). */
  backupText?: string;
}

/** The largest manifest backed up on the job with `TransferStarted`. */
const MANIFEST_BACKUP_BYTES = 1024 * 1024;
/** How much of the manifest is read at a time. */
const MANIFEST_PIECE_BYTES = 256 * 1024;

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

  // The claim, then the account's owner re-checked, then the copy (drive-fault.ts).
  return runClaimedCopy(request, job, driveId, elapsed, (client, logs) => copyClaimedDrive(request, job, drive, client, logs, started));
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

  const total = opened.summary.totalBytes;
  const names = jobForNames(job);
  const writeVerbose = job.properties.logLevel === "Verbose";
  let copied: Awaited<ReturnType<DriveCopier["run"]>>;
  try {
    if (!resuming) {
      const manifest = job.properties.backupDriveManifest ? opened.backupText : undefined;
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
    const logFiles = new DriveLogFiles(journal.besideFile(""), driveId, writeVerbose);
    const source = { summary: opened.summary, entries: () => driveManifestEntries(fileChunks(opened.file)) };
    const copier = new DriveCopier(request, driveTree, client, driveId, source, journal, logFiles, resuming, started);
    copied = await copier.run();
    if (copier.halted) {
      copied.remove();
      throw new CopyHalted(copier.halted);
    }
  } finally {
    await opened.file.close();
  }

  const { summary, status: driveStatus } = copied.logs;
  const anyIssue = Object.keys(summary.issuesByKind).length > 0;
  try {
    if (anyIssue) await logs.putFile(copyLogLocation(names, driveId, "error").blobName, copied.logs.errorLogFile, "application/xml");
    if (writeVerbose) await logs.putFile(copyLogLocation(names, driveId, "verbose").blobName, copied.logs.verboseLogFile!, "application/xml");
  } finally {
    copied.remove();
  }

  const outcome = anyIssue || copied.cancelled ? "CompletedMoreInfo" : "Completed";
  const finished = await request.operator.event(request.job, {
    type: "TransferFinished",
    driveId,
    outcome,
    bytesSucceeded: copied.bytesCopied,
    copyStatus: copied.cancelled ? "Cancelled" : driveStatus,
    copyLog: { errorLog: anyIssue, verboseLog: writeVerbose, blobsCopied: summary.blobsCopied, issuesByKind: summary.issuesByKind },
  });
  journal.reset();
  const status = finished.properties.driveList?.find((candidate) => candidate.driveId === driveId) as { errorLogUri?: string; verboseLogUri?: string } | undefined;
  return {
    outcome: copied.cancelled ? "Cancelled" : outcome,
    driveStatus,
    bytesCopied: copied.bytesCopied,
    totalBytes: total,
    summary,
    errorLogUri: status?.errorLogUri,
    verboseLogUri: status?.verboseLogUri,
    durationMs: elapsed(),
  };
}

/** Unlocks the drive (key record against the job's key) and reads its manifest, checked against the job. */
async function openDrive(request: ImportDriveRequest, driveTree: DriveTree, job: OperatorJob, driveId: string, manifestFile?: string, manifestHash?: string): Promise<OpenedManifest> {
  let keyBytes: Buffer | undefined;
  try {
    // Read within a bound: the drive is a stranger's, and the file under this name may be of any size.
    keyBytes = driveTree.readFileWithinSync([KEY_RECORD_FILE], MAX_KEY_RECORD_BYTES);
  } catch (error) {
    if (error instanceof DrivePathError && error.problem !== "missing") throw new DriveError("BitLockerProtectorNotFound", `Drive '${driveId}' cannot be unlocked: its key record ${error.message}.`);
    throw new DriveError("BitLockerProtectorNotFound", `Drive '${driveId}' has no key record (${KEY_RECORD_FILE}) at its root: it cannot be unlocked.`);
  }
  if (!keyBytes) throw new DriveError("BitLockerProtectorNotFound", `Drive '${driveId}' cannot be unlocked: its key record is larger than ${MAX_KEY_RECORD_BYTES / 1024} KiB, which no key record is.`);
  let unlocked: boolean;
  try {
    unlocked = keyUnlocks(parseKeyRecord(keyBytes.toString("utf8")), await request.operator.driveKey(request.job, driveId));
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
  let file: FileHandle;
  try {
    ({ handle: file } = await driveTree.open(manifestSegments));
  } catch (error) {
    if (error instanceof DrivePathError && error.problem !== "missing") throw new DriveError("ManifestNotFound", `Drive '${driveId}' has no manifest it can read: ${error.message}.`);
    throw new DriveError("ManifestNotFound", `Drive '${driveId}' has no manifest at '${manifestFile}'.`);
  }
  try {
    const checked = await checkManifest(file, driveId, manifestHash);
    if (checked.summary.driveId.toUpperCase() !== driveId.toUpperCase()) {
      throw new DriveError("ManifestDriveIdMismatch", `The manifest on drive '${driveId}' is for drive '${checked.summary.driveId}'.`);
    }
    return { file, ...checked };
  } catch (error) {
    await file.close();
    throw error;
  }
}

/**
 * The first pass over the manifest: hashed against the job's `manifestHash` and checked whole as it
 * streams (its summary: blobs, bytes), before anything is copied. A manifest that does not match
 * the hash is `ManifestCorrupted`, whether or not it is well formed; one that matches and is not
 * well formed is `ManifestFormatInvalid`. The reading goes by turns of the event loop, so the
 * operator API's kept-alive connection is tended while a large manifest is read.
 */
async function checkManifest(file: FileHandle, driveId: string, manifestHash: string): Promise<Omit<OpenedManifest, "file">> {
  const hash = createHash("md5");
  let backup: Buffer[] | undefined = [];
  let backupBytes = 0;
  const hashed = async function* () {
    for await (const piece of fileChunks(file)) {
      hash.update(piece);
      backupBytes += piece.length;
      if (backup && backupBytes <= MANIFEST_BACKUP_BYTES) backup.push(Buffer.from(piece));
      else backup = undefined;
      yield piece;
    }
  };
  let summary: ManifestSummary | undefined;
  let formatError: ManifestFormatError | undefined;
  try {
    summary = await readDriveManifest(hashed());
  } catch (error) {
    if (error instanceof ManifestFormatError) formatError = error;
    else if ((error as NodeJS.ErrnoException).code !== undefined) throw new DriveError("ReadManifestFailed", `The manifest on drive '${driveId}' could not be read: ${describeError(error)}.`);
    else throw error;
  }
  // A manifest refused part way is hashed to its end: a changed one is ManifestCorrupted first.
  const md5 = formatError ? await md5OfFile(file) : hash.digest("hex").toUpperCase();
  if (md5 !== manifestHash.toUpperCase()) {
    throw new DriveError("ManifestCorrupted", `The manifest on drive '${driveId}' does not match the job's manifestHash (MD5 ${md5}, expected ${manifestHash.toUpperCase()}).`);
  }
  if (formatError || !summary) throw new DriveError("ManifestFormatInvalid", `The manifest on drive '${driveId}' is not valid: ${formatError?.message}.`);
  // Byte counts are exact only up to 2^53 (and the API takes no more): no drive holds that much.
  if (summary.totalBytes > Number.MAX_SAFE_INTEGER) {
    throw new DriveError("ManifestFormatInvalid", `The manifest on drive '${driveId}' lists blobs adding up to more than ${Number.MAX_SAFE_INTEGER} bytes, more than any drive holds.`);
  }
  return { summary, backupText: backup && Buffer.concat(backup).toString("utf8") };
}

/** A file read from its start in pieces, through one descriptor: both passes read the file that was opened. */
async function* fileChunks(file: FileHandle): AsyncGenerator<Buffer> {
  for (let position = 0; ; ) {
    const buffer = Buffer.allocUnsafe(MANIFEST_PIECE_BYTES);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

async function md5OfFile(file: FileHandle): Promise<string> {
  const hash = createHash("md5");
  for await (const piece of fileChunks(file)) hash.update(piece);
  return hash.digest("hex").toUpperCase();
}

/** The manifest to copy: its summary from the first pass, its blobs read again as they stream. */
interface ManifestSource {
  summary: ManifestSummary;
  entries(): AsyncGenerator<ManifestEntry, unknown, undefined>;
}

/**
 * The copy proper: a pool of workers taking the manifest's blobs as they are read, sharing one budget
 * of blocks in flight. What it holds per blob is a bit (finished or not); each finished blob goes to
 * the journal and the log files.
 */
class DriveCopier {
  private readonly totalBytes: number;
  private readonly blobCount: number;
  private readonly finished: IndexSet;
  private readonly blocks: Semaphore;
  private readonly throttle?: Throttle;
  private readonly containers = new OncePerKey();
  private readonly containerClient: (name: string) => ContainerClient;
  /** The last blob started for each blob path still in flight, so two files for one blob go in order. */
  private readonly lastWithPath = new Map<string, Promise<void>>();
  private md5Worker?: Md5Worker;
  /** One buffer per block in flight, reused: memory stays at parallelism × block size and nothing churns. */
  private readonly bufferPool: Buffer[] = [];
  private bytesDone = 0;
  private bytesCopied = 0;
  private blobsDone = 0;
  /** Reports progress, and keeps what the service answered: a stop, or a refusal that halts the copy. */
  private readonly reporter: ProgressReporter;

  constructor(
    private readonly request: ImportDriveRequest,
    private readonly drive: DriveTree,
    private readonly client: BlobServiceClient,
    private readonly driveId: string,
    private readonly manifest: ManifestSource,
    private readonly journal: CopyJournal,
    private readonly logFiles: DriveLogFiles,
    private readonly resuming: boolean,
    private readonly started: number,
  ) {
    this.blobCount = manifest.summary.blobCount;
    this.totalBytes = manifest.summary.totalBytes;
    this.reporter = new ProgressReporter(request, driveId, this.totalBytes, () => this.bytesDone);
    this.finished = new IndexSet(this.blobCount);
    this.blocks = new Semaphore(Math.max(1, request.parallelism));
    this.containerClient = containerClients(client);
    if (request.capBytesPerSecond) this.throttle = new Throttle(request.capBytesPerSecond);
  }

  /** The service's refusal, when it halted the copy. */
  get halted(): OperatorApiError | undefined {
    return this.reporter.halted;
  }

  async run(): Promise<{ bytesCopied: number; cancelled: boolean; logs: WrittenDriveLogs; remove: () => void }> {
    const remove = () => this.logFiles.remove();
    try {
      const cancelled = await this.copy();
      return { bytesCopied: this.bytesCopied, cancelled, logs: this.logFiles.finish(), remove };
    } catch (error) {
      remove();
      throw error;
    }
  }

  /** Copies what is not finished yet; answers whether the job's cancellation left blobs unstarted. */
  private async copy(): Promise<boolean> {
    // What an earlier run finished (a resumed drive): counted, and in this run's logs too.
    for await (const entry of this.journal.entries()) {
      if (entry.index >= this.blobCount || this.finished.has(entry.index)) continue;
      this.finished.add(entry.index);
      this.bytesDone += entry.bytes;
      if (wasCopied(entry.log)) this.bytesCopied += entry.bytes;
      this.blobsDone++;
      this.logFiles.add(entry.log);
    }
    const entries = this.manifest.entries();
    this.reporter.start();
    try {
      // Settled, not all: a worker whose manifest read failed must not close what the others still use.
      const workers = await Promise.allSettled(Array.from({ length: Math.max(1, this.request.parallelism) }, () => this.work(entries)));
      const failed = workers.find((worker) => worker.status === "rejected");
      if (failed) throw failed.reason;
    } finally {
      this.journal.close();
      await this.reporter.stop();
      await this.md5Worker?.close();
    }
    // Stopped by the job's cancellation: the blobs never started are logged as such.
    let unstarted = 0;
    for (let next = await entries.next(); !next.done; next = await entries.next()) {
      const { blob, index } = next.value;
      if (this.finished.has(index)) continue;
      unstarted++;
      this.logFiles.add({ status: "Failed", blobPath: blob.blobPath, filePath: blob.filePath, length: blob.length, importDisposition: { status: "Cancelled", value: blob.importDisposition ?? DEFAULT_IMPORT_DISPOSITION } });
    }
    return unstarted > 0;
  }

  /** Takes the manifest's next blob until there are none (the reader holds one piece of the file ahead). */
  private async work(entries: AsyncGenerator<ManifestEntry, unknown, undefined>): Promise<void> {
    while (!this.reporter.stopRequested) {
      const next = await entries.next();
      if (next.done) return;
      const item = next.value;
      if (this.finished.has(item.index)) continue;
      // Two files for one blob go in manifest order, so the later one is the one renamed or skipped.
      const earlier = this.lastWithPath.get(item.blob.blobPath);
      let finished!: () => void;
      const mine = new Promise<void>((resolve) => (finished = resolve));
      this.lastWithPath.set(item.blob.blobPath, mine);
      try {
        await earlier;
        await this.copyItem(item);
      } finally {
        finished();
        if (this.lastWithPath.get(item.blob.blobPath) === mine) this.lastWithPath.delete(item.blob.blobPath);
      }
    }
  }

  private async copyItem(item: ManifestEntry): Promise<void> {
    let counted = 0;
    const count = (bytes: number) => {
      counted += bytes;
      this.bytesDone += bytes;
      this.report();
    };
    const log = await this.copyBlob(item, count, 1);
    this.bytesDone += item.blob.length - counted;
    if (wasCopied(log)) this.bytesCopied += item.blob.length;
    this.finished.add(item.index);
    this.blobsDone++;
    const created = log.status === "Completed" && log.importDisposition?.status === "Created";
    this.journal.record({ index: item.index, bytes: item.blob.length, log }, created);
    this.logFiles.add(log);
    this.report();
  }

  private report(): void {
    this.request.onProgress?.({ bytesDone: this.bytesDone, totalBytes: this.totalBytes, blobsDone: this.blobsDone, blobCount: this.blobCount, elapsedMs: Date.now() - this.started });
  }

  /** One blob: its checks, its disposition, its blocks and its commit. Never throws: every failure is a log entry. */
  private async copyBlob(item: ManifestEntry, count: (bytes: number) => void, attempt: number): Promise<BlobLogEntry> {
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
        if (failed || this.reporter.halted) {
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
    let text: Buffer | undefined;
    try {
      text = this.drive.readFileWithinSync(driveFileSegments(effective.path), MAX_BLOB_FILE_BYTES);
    } catch (error) {
      return { log: { status: this.cause(effective.path, fileStatus(error), error), ...where } };
    }
    // Larger than any blob's metadata or properties can be: not read.
    if (text === undefined) return { log: { status: "XmlReadFailed", ...where } };
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
