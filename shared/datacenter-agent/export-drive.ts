/**
 * The data-center copy of an export job's blobs onto one of its drives: what
 * `npm run datacenter -- export` runs. It talks to the service only through the operator API.
 *
 * 1. The plan. The job's blobs are resolved in the list's order (see export-selection.ts); the drive
 *    starts where the job's earlier drives stopped (their `exportRange.next`) and takes blobs until
 *    the next does not fit (see export-packing.ts, the rule the preview uses too). Drives of one job
 *    are filled one after another, so each knows where to start. The plan is kept beside the resume
 *    journal, so a killed agent resumes the same blobs.
 * 2. The drive is locked with a fresh BitLocker key (its key record written at the root; the key
 *    recorded on the job with `TransferStarted`, where List BitLocker Keys gives it to the customer).
 * 3. Each blob becomes a file `\container\name`, downloaded in ranges of 4 MiB (at most
 *    `parallelism` in memory), every range on the ETag the listing saw: a blob that changes or
 *    disappears meanwhile is a blob error in the log, and its partial file is removed (with any file
 *    a killed run left at its name, see removeUnfinished). A file of
 *    more than one range is written under a short temporary name (in `_ImportExport\.partial`) and
 *    renamed when whole, so a name of 255 characters is written as well as any; a file of one range
 *    is one write at its name. A blob whose name Windows cannot hold as a
 *    file (`CON`, `a:b`, a trailing dot, see blob-names.ts) is not written: it is `FileNameInvalid` in
 *    the log, and listed with the blobs not exported.
 *    Each copied blob's metadata and properties files follow (see formats/export-blob-files.ts).
 * 4. The drive manifest (documented format, with each block's MD5 and the blob's metadata and
 *    properties files with theirs) and the copy logs are written;
 *    the last drive of the job writes the blobs no drive could hold to the incomplete-blob list in
 *    the customer's account, in the `<BlobList>` form a follow-up export job takes as is.
 *
 * Every write onto the drive goes through drive-fs.ts: whatever the drive holds where the agent
 * writes (a link, a special file) is replaced, never written through.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RestError } from "@azure/storage-blob";
import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { storageAccountName } from "../config/customer-accounts";
import { DriveManifest, driveFileSegments, MANIFEST_FILE, ManifestBlob, md5Hex, writeDriveManifest } from "../formats/drive-manifest";
import { BlobListFormatError, splitBlobPath, writeExportBlobList } from "../formats/export-blob-list";
import { DrivePathError, DriveTree, exportDriveTree, exportFileSegments, PartialFile } from "../drive-access/drive-fs";
import { exportedBlobFilePath, exportedFilesInManifest, writeExportedBlobFiles } from "../formats/export-blob-files";
import { EXPORT_BLOCK_BYTES, exportFilePath, fillDrive } from "../formats/export-packing";
import { driveFileNameProblem } from "../formats/blob-names";
import { createKeyRecord, generateRecoveryPassword, KEY_RECORD_FILE, serializeKeyRecord } from "../formats/key-record";
import { copyLogLocation, runStateName } from "../formats/copy-log-names";
import { describeError, DriveError, FaultedResult, jobForNames, RefusedResult, runClaimedCopy } from "./drive-fault";
import { CopyHalted } from "./agent-claim";
import type { LogBlobStore } from "../storage/log-blobs.store";
import { BlobLogEntry, BlockLogEntry, copyDriveStatus, CopySummary, DriveLog, DriveStatus, errorLogOf, summarize, wasCopied, writeDriveLog } from "../formats/copy-log";
import { CopyJournal } from "./copy-journal";
import { ProgressReporter, Semaphore, Throttle } from "./copy-pacing";
import { BlobListNotFoundError, ExportBlob, jobSelection, resolveSelection } from "../storage/export-selection";
import type { DriveCopyRequest } from "./import-drive";
import { Md5Worker } from "./md5-worker";
import { BlobRangeReader } from "./range-download";
import { containerClients } from "./run-caches";
import { ExportRangeView, OperatorApiError, OperatorJob } from "./operator-client";

export interface ExportDriveRequest extends DriveCopyRequest {
  /** The drive's size in bytes; default: the free space of the folder. */
  capacityBytes?: number;
}

export type ExportResult =
  | {
      outcome: "Completed" | "CompletedMoreInfo" | "Cancelled";
      driveStatus: DriveStatus;
      bytesCopied: number;
      totalBytes: number;
      summary: CopySummary;
      /** Where in the job's blob list this drive started, and where the next drive carries on. */
      exportStart: number;
      exportNext: number;
      listLength: number;
      /** Blobs left for the job's later drives, or (on its last drive) in the incomplete-blob list. */
      blobsLeft: number;
      errorLogUri?: string;
      verboseLogUri?: string;
      incompleteBlobListUri?: string;
      durationMs: number;
    }
  | FaultedResult
  | { outcome: "NotCopied"; reason: string; durationMs: number }
  | RefusedResult;

/** The drive's share of the job's blob list, kept beside the journal so a resumed run copies the same blobs. */
interface ExportPlan {
  start: number;
  next: number;
  listLength: number;
  /** The blobs this drive takes, with their index in the list. */
  blobs: (ExportBlob & { index: number })[];
  tooLarge: string[];
  /** The blobs of the drive's stretch whose names cannot be files on it: logged, not exported. */
  unnamable?: { blobPath: string; length: number }[];
  /** Those of the earlier drives' stretches, for the incomplete list the last drive writes. */
  unnamableBefore?: string[];
  /** The job's paths and prefixes that named no blob: in the log of the drive that starts the list. Absent in a plan kept by an earlier version. */
  missing?: string[];
  /** The list from `next` on: what the job's later drives (or the incomplete list) get. */
  rest: string[];
}

export async function exportDrive(request: ExportDriveRequest): Promise<ExportResult> {
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  const job = await request.operator.getJob(request.job);
  if (job.properties.jobType !== "Export") return { outcome: "NotCopied", reason: `Job '${job.name}' is an import job: run 'import' for its drives.`, durationMs: elapsed() };
  const drives = job.properties.driveList ?? [];
  const drive = drives.find((candidate) => candidate.driveId.toUpperCase() === request.driveId.toUpperCase());
  if (!drive) return { outcome: "NotCopied", reason: `Job '${job.name}' has no drive '${request.driveId}'.`, durationMs: elapsed() };
  const driveId = drive.driveId;
  if (drive.state !== "Received" && drive.state !== "Transferring") {
    return { outcome: "NotCopied", reason: `Drive '${driveId}' is '${drive.state}': the agent fills a drive that is 'Received' (or resumes one that is 'Transferring').`, durationMs: elapsed() };
  }
  if (drive.state === "Received" && job.properties.cancelRequested) {
    return { outcome: "NotCopied", reason: `Job '${job.name}' was cancelled before drive '${driveId}' started: it goes back empty.`, durationMs: elapsed() };
  }
  const ranges = new Map((job.operator.exportRanges ?? []).map((range) => [range.driveId, range]));
  const busy = drives.find((candidate) => candidate.driveId !== driveId && candidate.state === "Transferring");
  if (busy) {
    return { outcome: "NotCopied", reason: `Drive '${busy.driveId}' of job '${job.name}' is being filled: an export's drives are filled one after another, each carrying on where the last stopped.`, durationMs: elapsed() };
  }

  // The claim, then the account's owner re-checked, then the filling (drive-fault.ts).
  return runClaimedCopy(request, job, driveId, elapsed, (client, logs) => fillClaimedDrive(request, job, drive, client, logs, ranges, started));
}

/** The filling of a drive this agent holds the claim on; any failure is the caller's to fault the drive with. */
async function fillClaimedDrive(
  request: ExportDriveRequest,
  job: OperatorJob,
  drive: NonNullable<OperatorJob["properties"]["driveList"]>[number],
  client: BlobServiceClient,
  logs: LogBlobStore,
  ranges: Map<string, ExportRangeView>,
  started: number,
): Promise<ExportResult> {
  const elapsed = () => Date.now() - started;
  const driveId = drive.driveId;
  const drives = job.properties.driveList ?? [];
  const resuming = drive.state === "Transferring";
  const stateName = runStateName({ ...request.job, name: request.job.jobName, creationId: job.operator.creationId }, driveId);
  const journal = CopyJournal.at(request.stateDir, stateName);
  const planFile = path.join(request.stateDir, `${stateName}.plan.json`);
  if (!resuming) journal.reset();
  const names = jobForNames(job);

  // Every write onto the drive goes through this: a link or special file planted where the agent
  // writes is replaced, never written through, and nothing outside the drive is touched.
  const driveTree = exportDriveTree(request.drivePath);
  const bitLockerKey = resuming ? undefined : generateRecoveryPassword();
  await logs.ensureContainer().catch((error) => {
    throw new DriveError("BlobRequestForbidden", `Storage account '${storageAccountName(job.properties.storageAccountId)}' is not reachable: ${describeError(error)}.`);
  });
  mkdirSync(request.drivePath, { recursive: true });
  checkAgentFileNames(driveTree, driveId);
  const kept = resuming && existsSync(planFile) ? (JSON.parse(readFileSync(planFile, "utf8")) as ExportPlan) : undefined;
  const plan = kept ?? (await planDrive(request, job, client, resuming ? (ranges.get(driveId)?.start ?? startOf(ranges)) : startOf(ranges)));
  writeFileSync(planFile, JSON.stringify(plan));
  if (bitLockerKey) writeAgentFile(driveTree, driveId, KEY_RECORD_FILE, "key record", serializeKeyRecord(createKeyRecord(driveId, bitLockerKey)));

  const total = plan.blobs.reduce((sum, blob) => sum + blob.length, 0);
  if (bitLockerKey) {
    try {
      await request.operator.event(request.job, { type: "TransferStarted", driveId, totalBytes: Math.max(total, 1), exportStart: plan.start, bitLockerKey });
    } catch (error) {
      // Cancelled meanwhile, or another agent took the job's next stretch first: nothing copied.
      if (error instanceof OperatorApiError && ["JobCancelled", "ExportDriveBusy", "ExportStartMismatch"].includes(error.code)) {
        rmSync(planFile, { force: true });
        await request.operator.releaseClaim(request.job, driveId).catch(() => undefined); // else it expires
        return { outcome: "NotCopied", reason: error.message, durationMs: elapsed() };
      }
      throw error;
    }
  }

  const copier = new ExportCopier(request, driveTree, client, driveId, plan, journal, started);
  const copied = await copier.run();
  if (copier.halted) throw new CopyHalted(copier.halted);
  const unnamable = plan.unnamable ?? [];
  for (const blob of unnamable) copied.entries.push({ status: "FileNameInvalid", blobPath: blob.blobPath, filePath: exportFilePath(blob.blobPath), length: blob.length });

  const onDrive: ManifestBlob[] = [];
  for (const entry of copied.entries) {
    // A 0-byte blob has no block in the manifest: the format's blocks hold 1 byte to 4 MiB (its reader refuses an empty one).
    const blockList = (entry.blocks ?? []).filter((block) => block.length > 0).map((block) => ({ offset: block.offset, length: block.length, hash: block.hash! }));
    if (wasCopied(entry)) onDrive.push({ blobPath: entry.blobPath, filePath: entry.filePath, length: entry.length, blockList, ...exportedFilesInManifest(entry) });
  }
  const manifest: DriveManifest = { version: "2014-11-01", driveId, clientCreator: "import-export-service export agent", blobLists: [{ blobs: onDrive }] };
  // A drive error here (a folder where the manifest goes) faults the drive, as any failure of the claimed copy does.
  writeAgentFile(driveTree, driveId, MANIFEST_FILE, "manifest", writeDriveManifest(manifest));
  // What failed writes left under temporary names goes with the folder that held them.
  driveTree.removePartialFolder();

  // What the job named that is not in the account: blob errors, counted as the drive count preview counts them.
  const missing: BlobLogEntry[] = (plan.missing ?? []).map((blobPath) => ({ status: "BlobRequestFailed", blobPath, filePath: "", length: 0 }));
  const entries = [...copied.entries, ...missing];
  const verbose: DriveLog = { driveId, blobs: entries, status: copyDriveStatus(entries) };
  const summary = summarize(verbose);
  const anyIssue = Object.keys(summary.issuesByKind).length > 0;
  const writeVerbose = job.properties.logLevel === "Verbose";
  if (anyIssue) await logs.put(copyLogLocation(names, driveId, "error").blobName, writeDriveLog(errorLogOf(verbose)), "application/xml");
  if (writeVerbose) await logs.put(copyLogLocation(names, driveId, "verbose").blobName, writeDriveLog(verbose), "application/xml");

  // The job's last drive to fill leaves the list of what no drive held, for a follow-up job.
  const last = !copied.cancelled && !drives.some((candidate) => candidate.driveId !== driveId && candidate.state === "Received");
  let incompleteBlobList: { blobs: number } | undefined;
  if (last) {
    const earlierTooLarge = [...ranges.values()].flatMap((range) => (range.driveId !== driveId ? (range.tooLarge ?? []) : []));
    const left = [...earlierTooLarge, ...(plan.unnamableBefore ?? []), ...plan.tooLarge, ...unnamable.map((blob) => blob.blobPath), ...plan.rest];
    if (left.length > 0) await logs.put(copyLogLocation(names, driveId, "incompleteBlobList").blobName, writeExportBlobList({ blobPath: left }), "application/xml");
    incompleteBlobList = { blobs: left.length };
  }

  const outcome = anyIssue || copied.cancelled ? "CompletedMoreInfo" : "Completed";
  const finished = await request.operator.event(request.job, {
    type: "TransferFinished",
    driveId,
    outcome,
    bytesSucceeded: copied.bytesCopied,
    copyStatus: copied.cancelled ? "Cancelled" : verbose.status,
    copyLog: { errorLog: anyIssue, verboseLog: writeVerbose, blobsCopied: summary.blobsCopied, issuesByKind: summary.issuesByKind },
    exportNext: plan.next,
    exportTooLarge: plan.tooLarge.length > 0 ? plan.tooLarge.slice(0, 1000) : undefined,
    incompleteBlobList,
  });
  journal.reset();
  rmSync(planFile, { force: true });
  const status = finished.properties.driveList?.find((candidate) => candidate.driveId === driveId);
  return {
    outcome: copied.cancelled ? "Cancelled" : outcome,
    driveStatus: verbose.status,
    bytesCopied: copied.bytesCopied,
    totalBytes: total,
    summary,
    exportStart: plan.start,
    exportNext: plan.next,
    listLength: plan.listLength,
    blobsLeft: plan.rest.length + plan.tooLarge.length + unnamable.length,
    errorLogUri: status?.errorLogUri,
    verboseLogUri: status?.verboseLogUri,
    incompleteBlobListUri: finished.properties.incompleteBlobListUri,
    durationMs: elapsed(),
  };
}

/**
 * The names the agent writes at the drive's root (the key record, the manifest): a link or special
 * file there is replaced when written, but a folder cannot be, and is a drive error before any copy.
 */
function checkAgentFileNames(driveTree: DriveTree, driveId: string): void {
  for (const [name, what] of [[KEY_RECORD_FILE, "key record"], [MANIFEST_FILE, "manifest"]]) {
    try {
      driveTree.file([name]);
    } catch (error) {
      if (error instanceof DrivePathError && error.problem === "folder") throw new DriveError("DiskOperationFailed", `Drive '${driveId}' cannot take the ${what}: ${error.message}.`);
    }
  }
}

/** One of the agent's own files at the drive's root, synced to the disk; a drive that cannot take it is a drive error. */
function writeAgentFile(driveTree: DriveTree, driveId: string, name: string, what: string, text: string): void {
  try {
    driveTree.writeFileSync([name], text, { durable: true });
  } catch (error) {
    if (!(error instanceof DrivePathError)) throw error;
    throw new DriveError("DiskOperationFailed", `Drive '${driveId}' cannot take the ${what}: ${error.message}.`);
  }
}

/** Where a new drive of the job starts: after the furthest any finished drive reached. */
function startOf(ranges: Map<string, ExportRangeView>): number {
  return [...ranges.values()].reduce((furthest, range) => Math.max(furthest, range.next ?? 0), 0);
}

async function planDrive(request: ExportDriveRequest, job: OperatorJob, client: BlobServiceClient, start: number): Promise<ExportPlan> {
  let list: ExportBlob[];
  let nonexistent: string[];
  try {
    ({ blobs: list, nonexistent } = await resolveSelection(client, await jobSelection(client, job.properties.export && flattenExport(job.properties.export))));
  } catch (error) {
    if (error instanceof BlobListNotFoundError || error instanceof BlobListFormatError) throw new DriveError("InternalError", `The job's blob list cannot be read: ${error.message}.`);
    if (error instanceof RestError) throw new DriveError("BlobRequestForbidden", `The job's blobs cannot be listed: ${describeError(error)}.`);
    throw error;
  }
  const capacity = request.capacityBytes ?? freeBytes(request.drivePath);
  const fill = fillDrive(list, start, capacity);
  return {
    start,
    next: fill.next,
    listLength: list.length,
    blobs: fill.taken.map((index) => ({ ...list[index], index })),
    tooLarge: fill.tooLarge.map((index) => list[index].blobPath),
    unnamable: fill.unnamable.map((index) => ({ blobPath: list[index].blobPath, length: list[index].length })),
    unnamableBefore: list.slice(0, start).flatMap((blob) => (driveFileNameProblem(blob.blobPath) !== undefined ? [blob.blobPath] : [])),
    rest: list.slice(fill.next).map((blob) => blob.blobPath),
    // Reported once, by the drive that starts the list (the job's first).
    missing: start === 0 ? nonexistent : [],
  };
}

function flattenExport(spec: NonNullable<OperatorJob["properties"]["export"]>): { blobListBlobPath?: string; blobPath?: string[]; blobPathPrefix?: string[] } {
  return { blobListBlobPath: spec.blobListBlobPath, blobPath: spec.blobList?.blobPath, blobPathPrefix: spec.blobList?.blobPathPrefix };
}

function freeBytes(folder: string): number {
  const stats = statfsSync(folder);
  return Number(stats.bavail) * Number(stats.bsize);
}

/** A blob whose ETag moved (412) or that is gone (404) changed under the copy. */
class BlobChanged extends Error {}

/** The copy proper: workers over the plan's blobs, sharing one budget of ranges in flight. */
class ExportCopier {
  private readonly entries: (BlobLogEntry | undefined)[];
  private readonly ranges: Semaphore;
  private readonly throttle?: Throttle;
  private readonly totalBytes: number;
  private md5Worker?: Md5Worker;
  private readonly buffers: Buffer[] = [];
  private readonly containerClient: (name: string) => ContainerClient;
  private readonly readers = new Map<string, BlobRangeReader>();
  private next = 0;
  private bytesDone = 0;
  private bytesCopied = 0;
  private blobsDone = 0;
  /** Reports progress, and keeps what the service answered: a stop, or a refusal that halts the copy. */
  private readonly reporter: ProgressReporter;

  constructor(
    private readonly request: ExportDriveRequest,
    private readonly drive: DriveTree,
    private readonly client: BlobServiceClient,
    private readonly driveId: string,
    private readonly plan: ExportPlan,
    private readonly journal: CopyJournal,
    private readonly started: number,
  ) {
    this.entries = new Array(plan.blobs.length);
    this.totalBytes = plan.blobs.reduce((sum, blob) => sum + blob.length, 0);
    this.reporter = new ProgressReporter(request, driveId, this.totalBytes, () => this.bytesDone);
    this.ranges = new Semaphore(Math.max(1, request.parallelism));
    this.containerClient = containerClients(client);
    if (request.capBytesPerSecond) this.throttle = new Throttle(request.capBytesPerSecond);
  }

  /** The service's refusal, when it halted the copy. */
  get halted(): OperatorApiError | undefined {
    return this.reporter.halted;
  }

  async run(): Promise<{ entries: BlobLogEntry[]; bytesCopied: number; cancelled: boolean }> {
    const position = new Map(this.plan.blobs.map((blob, at) => [blob.index, at]));
    for (const entry of this.journal.read().values()) {
      const at = position.get(entry.index);
      if (at === undefined) continue;
      this.entries[at] = entry.log;
      this.bytesDone += entry.bytes;
      if (wasCopied(entry.log)) this.bytesCopied += entry.bytes;
      this.blobsDone++;
    }
    this.reporter.start();
    try {
      await Promise.all(Array.from({ length: Math.max(1, this.request.parallelism) }, () => this.work()));
    } finally {
      this.journal.close();
      await this.reporter.stop();
      await this.md5Worker?.close();
    }
    const cancelled = this.reporter.stopRequested && this.plan.blobs.some((_, at) => this.entries[at] === undefined);
    // Blobs a cancelled run never reached: what a killed run left for them goes too.
    if (cancelled) this.plan.blobs.forEach((blob, at) => {
      if (this.entries[at] === undefined) this.removeUnfinished(blob);
    });
    const entries = this.plan.blobs.map(
      (blob, at) => this.entries[at] ?? { status: "Failed" as const, blobPath: blob.blobPath, filePath: exportFilePath(blob.blobPath), length: blob.length },
    );
    return { entries, bytesCopied: this.bytesCopied, cancelled };
  }

  private async work(): Promise<void> {
    while (!this.reporter.stopRequested) {
      const at = this.next++;
      const blob = this.plan.blobs[at];
      if (!blob) return;
      if (this.entries[at]) continue;
      let counted = 0;
      let entry = await this.copyBlob(blob, (bytes) => {
        counted += bytes;
        this.bytesDone += bytes;
        this.report();
      });
      // The blob's metadata and properties files, from what the listing said (its ETag held for the copy).
      if (wasCopied(entry) && blob.details) entry = { ...entry, ...writeExportedBlobFiles(this.drive, blob.blobPath, blob.details, (filePath, error) => this.cause(filePath, "IOFailed", error)) };
      if (!wasCopied(entry)) this.removeUnfinished(blob);
      // Whatever happened, the blob's share of the drive is done.
      this.bytesDone += blob.length - counted;
      if (wasCopied(entry)) this.bytesCopied += blob.length;
      this.blobsDone++;
      this.entries[at] = entry;
      // Written at once: until the manifest is written, only the journal knows a file is finished.
      this.journal.record({ index: blob.index, bytes: blob.length, log: entry }, false);
      this.report();
    }
  }

  /**
   * A blob not exported has no files on the drive. A killed run can leave its file at its name (files
   * are written there, and journaled once whole) and its metadata and properties files: a resumed run
   * writes them again, or, when the blob cannot be copied now, removes them here.
   */
  private removeUnfinished(blob: ExportBlob): void {
    let files: string[][];
    try {
      files = [exportFileSegments(blob.blobPath)];
    } catch {
      // A name that cannot be a file on the drive (FileNameInvalid, logged as such): nothing was written for it.
      return;
    }
    // Both, whether or not the blob has metadata: where nothing stands, nothing is removed.
    for (const kind of ["metadata", "properties"] as const) files.push(driveFileSegments(exportedBlobFilePath(blob.blobPath, kind)));
    for (const segments of files) {
      try {
        this.drive.removeFileSync(segments);
      } catch (error) {
        this.request.log.warn(`${blob.blobPath}: '${segments.join("/")}' could not be removed`, { path: blob.blobPath, error });
      }
    }
  }

  /** Logs what a blob failed with, and why; returns the status its copy log entry takes. */
  private cause<S extends string>(blobPath: string, status: S, error: unknown): S {
    this.request.log.warn(`${blobPath}: ${status}`, { path: blobPath, status, error });
    return status;
  }

  private report(): void {
    this.request.onProgress?.({ bytesDone: this.bytesDone, totalBytes: this.totalBytes, blobsDone: this.blobsDone, blobCount: this.plan.blobs.length, elapsedMs: Date.now() - this.started });
  }

  private async copyBlob(blob: ExportBlob, count: (bytes: number) => void): Promise<BlobLogEntry> {
    const filePath = exportFilePath(blob.blobPath);
    const entry: BlobLogEntry = { status: "Completed", blobPath: blob.blobPath, filePath, length: blob.length };
    let segments: string[];
    try {
      segments = exportFileSegments(blob.blobPath);
    } catch {
      // The status says all there is: the blob's name is no file name on a drive.
      return { ...entry, status: "FileNameInvalid" };
    }
    const { container: containerName, blobName } = splitBlobPath(blob.blobPath);
    const source = this.reader(containerName);
    const conditions = blob.etag ? { ifMatch: blob.etag } : undefined;
    const blocks: BlockLogEntry[] = [];
    for (let offset = 0; offset < blob.length || (offset === 0 && blocks.length === 0); offset += EXPORT_BLOCK_BYTES) {
      blocks.push({ offset, length: Math.min(EXPORT_BLOCK_BYTES, blob.length - offset), status: "Uncommitted" });
    }
    let failure: { status: BlobLogEntry["status"]; block?: BlockLogEntry["status"] } | undefined;
    // Its folder made (a link in a folder's place replaced); a file of more than one range is written under a temporary name.
    try {
      this.drive.makeFolder(segments.slice(0, -1));
    } catch (error) {
      return { ...entry, status: this.cause(blob.blobPath, "IOFailed", error) };
    }
    if (blocks.length === 1 && blob.length > 0) return this.copySmallBlob(source, blobName, blob, entry, blocks, segments, count);
    let partial: PartialFile;
    try {
      partial = await this.drive.createPartial(segments);
    } catch (error) {
      return { ...entry, status: this.cause(blob.blobPath, "IOFailed", error) };
    }
    const file = partial.handle;
    const downloads: Promise<void>[] = [];
    try {
      if (blob.length === 0) {
        await this.containerClient(containerName).getBlobClient(blobName).getProperties({ conditions }).catch((error) => {
          throw changed(error);
        });
        blocks[0].hash = md5Hex(Buffer.alloc(0));
        blocks[0].status = "Completed";
      }
      for (const block of blob.length === 0 ? [] : blocks) {
        if (!failure && this.reporter.halted) failure = { status: "BlobRequestFailed" };
        if (failure) {
          block.status = "Cancelled";
          continue;
        }
        await this.ranges.acquire();
        await this.throttle?.take(block.length);
        downloads.push(
          (async () => {
            let pooled: Buffer | undefined;
            try {
              // Pooled shared buffers: the worker hashes them in place, and at most `parallelism` exist.
              pooled = this.buffers.pop() ?? Md5Worker.blockBuffer(EXPORT_BLOCK_BYTES);
              const buffer = pooled.subarray(0, block.length);
              await source.read(blobName, buffer, block.offset, blob.etag);
              // The block's MD5 (for the manifest) on a hashing thread while the main thread writes it.
              const [digest] = await Promise.all([this.hasher().blockDigest(buffer), file.write(buffer, 0, buffer.length, block.offset)]);
              block.hash = digest.toString("hex").toUpperCase();
              block.status = "Completed";
              count(block.length);
            } catch (error) {
              const gone = changed(error);
              block.status = this.cause(blob.blobPath, gone instanceof BlobChanged ? "BlobUnexpectedEnd" : "BlobRequestFailed", error);
              failure ??= { status: gone instanceof BlobChanged ? "BlobUnexpectedChange" : "BlobRequestFailed" };
            } finally {
              if (pooled) this.buffers.push(pooled);
              this.ranges.release();
            }
          })(),
        );
      }
      await Promise.all(downloads);
    } catch (error) {
      failure = { status: changed(error) instanceof BlobChanged ? "BlobUnexpectedChange" : "BlobRequestFailed" };
    } finally {
      await file.close();
    }
    if (failure) {
      // A failed clean-up leaves a file in the partial folder (removed with it at the end), never a crash.
      await partial.discard();
      return { ...entry, status: failure.status, blocks: blocks.filter((block) => block.status !== "Completed") };
    }
    try {
      await partial.commit();
    } catch (error) {
      return { ...entry, status: this.cause(blob.blobPath, "IOFailed", error) };
    }
    return { ...entry, blocks };
  }

  /** A blob of one range: one Get Blob into one buffer, one write at its name. */
  private async copySmallBlob(
    source: BlobRangeReader,
    blobName: string,
    blob: ExportBlob,
    entry: BlobLogEntry,
    blocks: BlockLogEntry[],
    segments: string[],
    count: (bytes: number) => void,
  ): Promise<BlobLogEntry> {
    const [block] = blocks;
    const buffer = Buffer.allocUnsafe(block.length);
    await this.ranges.acquire();
    try {
      await this.throttle?.take(block.length);
      await source.read(blobName, buffer, 0, blob.etag);
      block.hash = createHash("md5").update(buffer).digest("hex").toUpperCase();
    } catch (error) {
      const gone = changed(error) instanceof BlobChanged;
      return { ...entry, status: this.cause(blob.blobPath, gone ? "BlobUnexpectedChange" : "BlobRequestFailed", error), blocks: [{ ...block, status: gone ? "BlobUnexpectedEnd" : "BlobRequestFailed" }] };
    } finally {
      this.ranges.release();
    }
    // Written in place, not through the thread pool: for a small file the hand-offs of an
    // asynchronous open, write and close cost more CPU than the calls themselves. One write at its
    // name (see DriveTree.createFileSync): the journal, then the manifest, are what say it is whole.
    try {
      this.drive.createFileSync(segments, buffer);
    } catch (error) {
      return { ...entry, status: this.cause(blob.blobPath, "IOFailed", error) };
    }
    count(block.length);
    block.status = "Completed";
    return { ...entry, blocks };
  }

  /** The reader of a container's blobs: one per container, as its client. */
  private reader(containerName: string): BlobRangeReader {
    let reader = this.readers.get(containerName);
    if (!reader) this.readers.set(containerName, (reader = BlobRangeReader.of(this.containerClient(containerName))));
    return reader;
  }

  private hasher(): Md5Worker {
    this.md5Worker ??= new Md5Worker();
    return this.md5Worker;
  }

}

function changed(error: unknown): unknown {
  if (error instanceof RestError && (error.statusCode === 412 || error.statusCode === 404)) return new BlobChanged(describeError(error));
  return error;
}
