/**
 * An invariant checker over every job of the configured storage, for tests and for an operator who
 * wants to know the store is sound after an incident. `checkJob` is pure (states, drives against
 * the job, history without gaps); `checkStorage` adds what needs storage: a job with a deadline has
 * an expiry-index entry at or before its earliest one (and the entry its `IndexedDue` names, which
 * later writes rely on), every blob a job claims exists, and no blob is left under the prefix of
 * a job that is gone. An empty list means healthy; problems of severity `cleanup` (orphan blobs)
 * are tolerated leftovers, not broken rules.
 */
import { earliestDeadline, MaintenanceRules } from "../../shared/domain/deadlines";
import { DRIVE_STATES, DriveState } from "../../shared/domain/drive-state-machine";
import { driveNeedsWork, Job } from "../../shared/domain/job";
import { JOB_STATES, JobState } from "../../shared/domain/job-state-machine";
import { driveBlobName, DriveBlobKind, incompleteBlobListName, jobBlobPrefix } from "../../shared/domain/log-blobs";
import { DeadlineIndex } from "../../shared/storage/deadline-index.store";
import { JobsStore, partitionKeyOf, rowKeyOf } from "../../shared/storage/jobs.store";
import { LogBlobStore } from "../../shared/storage/log-blobs.store";

const isJobState = (value: string): value is JobState => (JOB_STATES as readonly string[]).includes(value);
const isDriveState = (value: string): value is DriveState => (DRIVE_STATES as readonly string[]).includes(value);

export interface InvariantProblem {
  code:
    | "IllegalJobState"
    | "IllegalDriveState"
    | "FaultBookkeeping"
    | "DriveStateInconsistent"
    | "HistoryGap"
    | "HistoryEnd"
    | "MissingIndexEntry"
    | "MissingBlob"
    | "OrphanBlob";
  /** "sub/rg/job", "sub/rg/job drive D1", or a blob name. */
  subject: string;
  message: string;
  /** `cleanup`: a leftover a later sweep or operator may remove, not a broken rule. */
  severity: "error" | "cleanup";
}

/** The drive states each (effective) job state allows; a job's drives move only while it is Received or Transferring. */
const DRIVES_ALLOWED_IN: Partial<Record<JobState, readonly DriveState[]>> = {
  Creating: ["Specified", "NeverReceived"],
  Shipping: ["Specified", "NeverReceived"],
  Received: ["Received", "NeverReceived", "Faulted", "ShippedBack"],
  Transferring: DRIVE_STATES.filter((state) => state !== "Specified" && state !== "Destroyed"),
  Completed: DRIVE_STATES.filter((state) => state !== "Transferring" && state !== "Destroyed"),
  // Only a closed job's drives are ever destroyed (no return address, see DrivesDestroyed).
  Closed: DRIVE_STATES.filter((state) => state !== "Transferring"),
};

function jobName(job: Job): string {
  return `${job.key.subscriptionId}/${job.key.resourceGroup}/${job.key.name}`;
}

/** The rules one job must satisfy on its own. */
export function checkJob(job: Job): InvariantProblem[] {
  const problems: InvariantProblem[] = [];
  const subject = jobName(job);
  const problem = (code: InvariantProblem["code"], message: string, about = subject) => problems.push({ code, subject: about, message, severity: "error" });

  if (!isJobState(job.state)) problem("IllegalJobState", `unknown job state '${job.state}'`);
  if (job.state === "Faulted" && (!job.stateBeforeFault || job.stateBeforeFault === "Faulted" || !isJobState(job.stateBeforeFault))) {
    problem("FaultBookkeeping", `a Faulted job needs the state it left, not '${job.stateBeforeFault}'`);
  }
  if (job.state !== "Faulted" && job.stateBeforeFault !== undefined) problem("FaultBookkeeping", `a '${job.state}' job keeps stateBeforeFault '${job.stateBeforeFault}'`);

  // A faulted job's drives are as the state it left them in.
  const effective = job.state === "Faulted" ? job.stateBeforeFault : job.state;
  const allowed = effective ? DRIVES_ALLOWED_IN[effective] : undefined;
  for (const drive of job.drives) {
    const about = `${subject} drive ${drive.driveId}`;
    if (!isDriveState(drive.state)) {
      problem("IllegalDriveState", `unknown drive state '${drive.state}'`, about);
      continue;
    }
    if (drive.state === "Faulted" && (!drive.stateBeforeFault || drive.stateBeforeFault === "Faulted" || !isDriveState(drive.stateBeforeFault))) {
      problem("FaultBookkeeping", `a Faulted drive needs the state it left, not '${drive.stateBeforeFault}'`, about);
    }
    if (drive.state !== "Faulted" && drive.stateBeforeFault !== undefined) problem("FaultBookkeeping", `a '${drive.state}' drive keeps stateBeforeFault '${drive.stateBeforeFault}'`, about);
    if (allowed && !allowed.includes(drive.state)) problem("DriveStateInconsistent", `a '${drive.state}' drive in a '${job.state}' job`, about);
    if (effective === "Packaging" && driveNeedsWork(drive)) problem("DriveStateInconsistent", `a Packaging job has drive work left ('${drive.state}')`, about);
  }

  problems.push(...checkHistory(job));
  return problems;
}

/** Each entry starts where the previous one of the same subject ended, and the last ends at the current state. */
function checkHistory(job: Job): InvariantProblem[] {
  const problems: InvariantProblem[] = [];
  const subject = jobName(job);
  const jobEntries = job.history.filter((entry) => entry.driveId === undefined);
  // With older entries archived, the carried history starts wherever its first entry starts.
  const archived = !!job.historyArchived;
  let at: string | null = archived ? (jobEntries[0]?.from ?? job.state) : null;
  for (const [i, entry] of jobEntries.entries()) {
    if (entry.from !== at) problems.push({ code: "HistoryGap", subject, message: `job history entry ${i} goes ${entry.from} → ${entry.to}, but the job was '${at}'`, severity: "error" });
    at = entry.to;
  }
  if (at !== job.state) problems.push({ code: "HistoryEnd", subject, message: `the job history ends at '${at}' but the job is '${job.state}'`, severity: "error" });

  const known = new Map(job.drives.map((drive) => [drive.driveId.toUpperCase(), drive]));
  const byDrive = new Map<string, typeof job.history>();
  for (const entry of job.history) {
    if (entry.driveId === undefined) continue;
    const id = entry.driveId.toUpperCase();
    byDrive.set(id, [...(byDrive.get(id) ?? []), entry]);
  }
  for (const [id, entries] of byDrive) {
    if (!known.has(id)) problems.push({ code: "HistoryGap", subject, message: `history names drive '${entries[0].driveId}', which the job does not have`, severity: "error" });
  }
  for (const drive of job.drives) {
    const about = `${subject} drive ${drive.driveId}`;
    const entries = byDrive.get(drive.driveId.toUpperCase()) ?? [];
    // An import drive starts Specified without an entry; an export drive enters with one from null.
    let state: string | null = archived ? (entries.length ? entries[0].from : drive.state) : entries[0]?.from === null ? null : "Specified";
    for (const [i, entry] of entries.entries()) {
      if (entry.from !== state) problems.push({ code: "HistoryGap", subject: about, message: `drive history entry ${i} goes ${entry.from} → ${entry.to}, but the drive was '${state}'`, severity: "error" });
      state = entry.to;
    }
    if (state !== drive.state) problems.push({ code: "HistoryEnd", subject: about, message: `the drive history ends at '${state}' but the drive is '${drive.state}'`, severity: "error" });
  }
  return problems;
}

/** The blobs a job says it has (drive logs, manifests, the export's incomplete-blob list). */
export function claimedBlobs(job: Job): string[] {
  const names: string[] = [];
  for (const drive of job.drives) {
    for (const [kind, exists] of Object.entries(drive.blobs ?? {})) if (exists) names.push(driveBlobName(job, drive.driveId, kind as DriveBlobKind));
  }
  if (job.hasIncompleteBlobList) names.push(incompleteBlobListName(job));
  return names;
}

export interface InvariantStorage {
  jobs: JobsStore;
  index: DeadlineIndex;
  logs: LogBlobStore;
  rules: MaintenanceRules;
}

/** Every job of the store (scanned page by page) against `checkJob`, the expiry index and the blobs. */
export async function checkStorage(storage: InvariantStorage, pageSize = 200): Promise<InvariantProblem[]> {
  const problems: InvariantProblem[] = [];
  const prefixes = new Set<string>();
  const claimed: { job: Job; blob: string }[] = [];
  const indexed = await indexedDues(storage.index);
  let token: string | undefined;
  do {
    const page = await storage.jobs.scan(pageSize, token);
    token = page.continuationToken;
    for (const { job, indexedDue } of page.jobs) {
      problems.push(...checkJob(job));
      problems.push(...missingIndexEntry(storage.rules, job, indexedDue, indexed.get(`${partitionKeyOf(job.key)}|${rowKeyOf(job.key)}`) ?? []));
      prefixes.add(jobBlobPrefix(job));
      claimed.push(...claimedBlobs(job).map((blob) => ({ job, blob })));
    }
  } while (token);

  const blobs = await storage.logs.list("");
  const existing = new Set(blobs);
  for (const { job, blob } of claimed) {
    if (!existing.has(blob)) problems.push({ code: "MissingBlob", subject: jobName(job), message: `the job names blob '${blob}', which does not exist`, severity: "error" });
  }
  for (const blob of blobs) {
    // A job's prefix is "<diagnosticsPath>/<sub>/<rg>/<job>/": try each leading run of segments.
    const segments = blob.split("/");
    const owned = segments.some((_, i) => i > 0 && prefixes.has(`${segments.slice(0, i).join("/")}/`));
    if (!owned) problems.push({ code: "OrphanBlob", subject: blob, message: "a blob under the prefix of a job that no longer exists", severity: "cleanup" });
  }
  return problems;
}

/** The due times of every job's index entries, by "<jobs PK>|<jobs RK>" (one read of the whole index). */
async function indexedDues(index: DeadlineIndex): Promise<Map<string, string[]>> {
  const dues = new Map<string, string[]>();
  for await (const entry of index.allEntries()) {
    if (entry.subject.type !== "job") continue;
    const subject = `${entry.subject.partitionKey}|${entry.subject.rowKey}`;
    dues.set(subject, [...(dues.get(subject) ?? []), entry.dueAt]);
  }
  return dues;
}

/** The chained-deadline rule: an entry at or before the earliest deadline, and the one the job records. */
function missingIndexEntry(rules: MaintenanceRules, job: Job, indexedDue: string | undefined, dues: string[]): InvariantProblem[] {
  const earliest = earliestDeadline(job, rules);
  if (!earliest) return [];
  const problem = (message: string): InvariantProblem[] => [{ code: "MissingIndexEntry", subject: jobName(job), message, severity: "error" }];
  if (!dues.some((dueAt) => dueAt <= earliest.dueAt)) return problem(`no index entry at or before its ${earliest.kind} deadline due ${earliest.dueAt}`);
  if (indexedDue && !dues.includes(indexedDue)) return problem(`no index entry due ${indexedDue}, which the job records as covering it (IndexedDue)`);
  return [];
}
