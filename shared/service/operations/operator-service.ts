/**
 * The data center's operations on jobs: record an event (through `applyOperatorEvent`), record and
 * attach unmatched arrivals, and read history and queues. Blob writes an event asks for happen
 * once, before the job is saved; notices go out after it is saved, deduplicated.
 */
import { Arrival, ARRIVAL_DESK, attachArrival, disposeOfArrival, newArrival, receivedBy, samePackage } from "../../domain/arrival";
import { Clock } from "../../domain/clock";
import { ErrorFactory, ServiceError } from "../../domain/errors";
import { firstCarriedSequence, historyLength } from "../../domain/history";
import { Actor, findDrive, Job, JobKey, JobRules, OperationContext, StateChange } from "../../domain/job";
import { breakClaim, ClaimRequest, claimDrive, DriveClaim } from "../../domain/drive-claims";
import { driveBlobName, incompleteBlobListName } from "../../domain/log-blobs";
import { applyOperatorEvent, BlobWrite, DriveDisposalEvent, OperatorEvent } from "../../domain/operator-events";
import { ArrivalPage, ArrivalsStore } from "../../storage/arrivals.store";
import { JobsContinuation, PageLimits } from "../../domain/job-filter";
import { JobPage, JobsStore, OperatorJobQuery, partitionKeyOf, rowKeyOf, StoredJob } from "../../storage/jobs.store";
import { ConcurrencyError } from "../../storage/storage-errors";
import { LogBlobStore } from "../../storage/log-blobs.store";
import { noticeMessage, stateChangeMessages } from "../../domain/messages";
import { DeadlineIndex } from "../../storage/deadline-index.store";
import { HistoryArchiveStore } from "../../storage/history-archive.store";
import { JobWriter } from "./job-writer";
import { LinkedAccessCheck } from "./linked-access-check";
import { withConcurrencyRetries } from "./retry";
import type { Logger } from "../../telemetry/log";

/** How often the desk re-reads a job whose writes race its arrival mark. */
const MARK_ATTEMPTS = 4;

export interface EventResult {
  /** The job after the event; absent when the package became an unmatched arrival. */
  job?: Job;
  arrival?: Arrival;
  stopTransfer?: boolean;
}

export interface HistoryPage {
  entries: StateChange[];
  /** The sequence number the next page starts at. */
  next?: number;
}

/** What the maintenance run's pass over labelled unmatched arrivals did (see `settleArrivals`). */
export interface ArrivalSettlement {
  /** Jobs named by an unmatched arrival's label, each checked once. */
  checked: number;
  /** `Creating` jobs marked, so marking them `Shipping` receives the package. */
  marked: number;
  /** `Shipping` jobs that received their package now. */
  received: number;
  /** Jobs the pass could not settle (left for the next run). */
  failed: number;
}

export interface ArrivalInput {
  carrierName: string;
  trackingNumber: string;
  driveIds: string[];
  jobKey?: JobKey;
}

export class OperatorService {
  constructor(
    private readonly jobs: JobsStore,
    private readonly arrivals: ArrivalsStore,
    private readonly logs: LogBlobStore,
    private readonly writer: JobWriter,
    private readonly deadlines: DeadlineIndex,
    private readonly rules: JobRules,
    private readonly clock: Clock,
    /** The linked access check, asked again for the job's own tenant before the copy agent touches its account. */
    private readonly linkedAccess: LinkedAccessCheck,
    private readonly log: Logger,
    private readonly historyArchive?: HistoryArchiveStore,
  ) {}

  /** Whether the job's tenant still owns the job's storage account (see linked-access-check.ts). */
  async checkLinkedAccess(key: JobKey): Promise<{ storageAccountId: string; granted: boolean; reason?: string }> {
    const job = await this.get(key);
    const verdict = await this.linkedAccess.recheck(job);
    return verdict.granted ? { storageAccountId: job.storageAccountId, granted: true } : { storageAccountId: job.storageAccountId, granted: false, reason: verdict.reason };
  }

  async recordEvent(key: JobKey, event: OperatorEvent, actor: Actor): Promise<EventResult> {
    if (event.type === "PackageReceived") {
      const stored = await this.jobs.get(key);
      // A package for no known job, or for one not Shipping, is recorded, never dropped; the same
      // package reported again (a retry) falls through to the state check and its 409.
      const repeated = !!stored?.job.receivedPackage && samePackage(stored.job.receivedPackage, event);
      if (!stored || (stored.job.state !== "Shipping" && !repeated)) {
        const arrival = await this.recordArrival({ ...event, jobKey: key }, stored ? "JobNotShipping" : "NoSuchJob");
        const waiting = stored && (await this.markArrivalWaiting(stored, arrival, actor));
        return typeof waiting === "object" ? waiting : { arrival };
      }
    }
    let blobsWritten = false;
    return withConcurrencyRetries(async (): Promise<EventResult> => {
      const stored = await this.jobs.get(key);
      if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
      const outcome = applyOperatorEvent(stored.job, event, this.context(actor));
      // An agent's event sent again after a lost answer: answered with the job as it is.
      if (outcome.repeated) return { job: stored.job, stopTransfer: undefined };
      if (!blobsWritten) {
        await this.writeBlobs(outcome.job, outcome.blobWrites);
        blobsWritten = true;
      }
      const at = this.clock.now().toISOString();
      const messages = [
        ...stateChangeMessages(stored.job, outcome.job),
        ...outcome.notices.map((notice) => noticeMessage(outcome.job, notice.audience, notice.kind, notice.message, at, `${event.type}@${at}`)),
      ];
      await this.writer.replace(outcome.job, stored, { messages });
      return { job: outcome.job, stopTransfer: outcome.stopTransfer };
    });
  }

  /** A copy agent claims a drive (or renews its claim), under the job's ETag: two agents can't both win. */
  async claimDrive(key: JobKey, driveId: string, request: ClaimRequest): Promise<{ job: Job; claim: DriveClaim }> {
    return withConcurrencyRetries(async () => {
      const stored = await this.jobs.get(key);
      if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
      const claimed = claimDrive(stored.job, driveId, request, this.clock.now());
      await this.writer.replace(claimed.job, stored);
      return claimed;
    });
  }

  /** An operator breaks a drive's claim (its agent is gone, or must stop); no claim is no change. */
  async breakDriveClaim(key: JobKey, driveId: string): Promise<Job> {
    return withConcurrencyRetries(async () => {
      const stored = await this.jobs.get(key);
      if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
      const next = breakClaim(stored.job, driveId);
      if (next !== stored.job) await this.writer.replace(next, stored);
      return next;
    });
  }

  /**
   * A package reported at the desk. When its label names a job, it is handled as that job's
   * PackageReceived (received if the job is Shipping, else an unmatched arrival with the reason);
   * without a job name it is an unmatched arrival for operators to match.
   */
  async receivePackage(input: ArrivalInput, actor: Actor): Promise<EventResult> {
    if (!input.jobKey) return { arrival: await this.recordArrival(input, "NoJobNamed") };
    const event = { type: "PackageReceived" as const, carrierName: input.carrierName, trackingNumber: input.trackingNumber, driveIds: input.driveIds };
    return this.recordEvent(input.jobKey, event, actor);
  }

  /**
   * Records a package as an unmatched arrival. The same package (label, carrier and tracking number,
   * compared as `packageText` gives them) reported again, by a retry or the desk scanning it twice,
   * is the arrival first recorded, with its clocks. A repeat is found by one query of the small
   * unmatched partition, which writes nothing and also finds arrivals recorded before package keys;
   * two reports at the same instant both pass it, and the package key makes one of them the first.
   */
  private async recordArrival(input: ArrivalInput, reason: Arrival["reason"]): Promise<Arrival> {
    const recorded = (await this.arrivals.unmatchedFor(input.jobKey)).find((arrival) => samePackage(arrival, input));
    if (recorded) return recorded;
    const arrival = newArrival({ ...input, reason }, this.clock.now());
    // Index first, as for jobs: the return and destroy clocks must not be lost in a crash. The report
    // that loses a race leaves an entry for an arrival never recorded, which the sweep drops.
    await this.deadlines.ensureForArrival(arrival);
    return this.arrivals.record(arrival);
  }

  /**
   * After an arrival for a job that is not Shipping was recorded: marks the job (ETag-guarded) if it
   * can still become Shipping, so that marking it Shipping looks the arrival up. The arrival is
   * recorded first, so a customer's write that lost to the mark finds it on its retry; if the
   * customer marked the job Shipping first, the package is received now. Says "marked" when it
   * marked the job, the result when the job received the package.
   */
  private async markArrivalWaiting(stored: StoredJob, arrival: Arrival, actor: Actor): Promise<EventResult | "marked" | undefined> {
    const key = stored.job.key;
    for (let attempt = 1; ; attempt++) {
      if (stored.job.state === "Shipping") return this.receiveWaiting(arrival, key, actor);
      if (stored.job.state !== "Creating" || stored.arrivalWaiting) return undefined;
      try {
        await this.jobs.mark(stored, { arrivalWaiting: true });
        return "marked";
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt === MARK_ATTEMPTS) throw error;
      }
      const reread = await this.jobs.get(key);
      if (!reread) return undefined;
      stored = reread;
    }
  }

  /**
   * The desk's or the maintenance run's attach of a waiting arrival to its Shipping job. Another
   * attach (the customer's update, an operator, the other of the two) may have come first: the
   * arrival is then attached already, which is what was wanted.
   */
  private async receiveWaiting(arrival: Arrival, key: JobKey, actor: Actor): Promise<EventResult> {
    try {
      return await this.attachArrival(arrival.id, key, actor);
    } catch (error) {
      if (!(error instanceof ServiceError && error.code === "ArrivalAlreadyAttached")) throw error;
      return { job: await this.get(key) };
    }
  }

  /**
   * The maintenance run's pass over the unmatched arrivals whose label names a job the desk could
   * not mark: one created after its package came (`NoSuchJob`), one deleted and created again, or a
   * mark lost in a crash. For each job named (its oldest arrival): a `Creating` job is marked, so
   * marking it `Shipping` receives the package; a `Shipping` job receives it now. Only the label
   * counts: it names the subscription, and only the subscription's tenant can create jobs in it,
   * whereas a tracking number proves nothing (anyone can copy one into a delivery package), so a
   * package without a label waits for an operator. Costs one query of the unmatched partition and a
   * point read per job named; the customer's requests pay nothing for it.
   */
  async settleArrivals(): Promise<ArrivalSettlement> {
    const settlement: ArrivalSettlement = { checked: 0, marked: 0, received: 0, failed: 0 };
    const oldestByJob = new Map<string, Arrival & { jobKey: JobKey }>();
    for (const arrival of await this.arrivals.unmatchedLabelled()) {
      const jobKey = arrival.jobKey!;
      const name = `${partitionKeyOf(jobKey)}/${rowKeyOf(jobKey)}`;
      if (!oldestByJob.has(name)) oldestByJob.set(name, { ...arrival, jobKey });
    }
    for (const arrival of oldestByJob.values()) {
      settlement.checked++;
      try {
        const stored = await this.jobs.get(arrival.jobKey);
        const outcome = stored && (await this.markArrivalWaiting(stored, arrival, ARRIVAL_DESK));
        if (outcome === "marked") settlement.marked++;
        else if (outcome?.job) settlement.received++;
      } catch (error) {
        // One job's failure (storage, a job that refuses the package) must not stop the others; the
        // arrival stays unmatched, and the next run tries again.
        settlement.failed++;
        this.log.warn(`Arrival ${arrival.id} for job '${arrival.jobKey.name}' stays unmatched until the next run`, { arrivalId: arrival.id, subscriptionId: arrival.jobKey.subscriptionId, resourceGroup: arrival.jobKey.resourceGroup, job: arrival.jobKey.name, error });
      }
    }
    return settlement;
  }

  /** Attaches an unmatched arrival to a job that is Shipping: the job receives the package. */
  async attachArrival(arrivalId: string, key: JobKey, actor: Actor): Promise<EventResult> {
    const arrival = await this.arrivals.get(arrivalId);
    if (!arrival) throw ErrorFactory.arrivalNotFound(arrivalId);
    if (arrival.status === "Attached") {
      throw ErrorFactory.conflict("ArrivalAlreadyAttached", `Arrival '${arrivalId}' was already attached to job '${arrival.attachedTo?.name}'.`);
    }
    if (arrival.status !== "Unmatched") {
      throw ErrorFactory.conflict("ArrivalClosed", `Arrival '${arrivalId}' is '${arrival.status}': its drives are no longer at the data center.`);
    }
    const stored = await this.jobs.get(key);
    if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    if (receivedBy(arrival, stored.job)) {
      await this.arrivals.markAttached(attachArrival(arrival, key, this.clock.now()));
      return { job: stored.job };
    }
    if (stored.job.state !== "Shipping") {
      throw ErrorFactory.conflict(
        "JobNotShipping",
        `Job '${key.name}' is '${stored.job.state}'; an arrival is attached to a job that is 'Shipping'. A 'Creating' job's arrival is attached when the customer marks it 'Shipping'.`,
      );
    }
    const event = { type: "PackageReceived" as const, carrierName: arrival.carrierName, trackingNumber: arrival.trackingNumber, driveIds: arrival.driveIds };
    const result = await this.recordEvent(key, event, actor);
    if (!result.job) {
      // The job left Shipping between the check and the event: that recorded a second arrival.
      throw ErrorFactory.conflict("JobNotShipping", `Job '${key.name}' stopped being 'Shipping' while the arrival was being attached; list the arrivals and try again.`);
    }
    await this.arrivals.markAttached(attachArrival(arrival, key, this.clock.now()));
    return result;
  }

  /** Closes out an unmatched arrival: its drives returned to the sender or destroyed. */
  async recordArrivalEvent(arrivalId: string, event: DriveDisposalEvent, actor: Actor): Promise<Arrival> {
    return withConcurrencyRetries(async () => {
      const stored = await this.arrivals.getWithEtag(arrivalId);
      if (!stored) throw ErrorFactory.arrivalNotFound(arrivalId);
      const closed = disposeOfArrival(stored.arrival, event, actor.id, this.clock.now());
      await this.arrivals.move(closed, stored.arrival.status, stored.etag);
      return closed;
    });
  }

  /**
   * The BitLocker key of one drive, for the copy agent that unlocks it: only while the drive is at
   * the data center to be copied (Received or Transferring), never before or after.
   */
  async driveKey(key: JobKey, driveId: string): Promise<{ driveId: string; bitLockerKey: string }> {
    const stored = await this.jobs.get(key);
    if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    const drive = findDrive(stored.job, driveId);
    if (drive.state !== "Received" && drive.state !== "Transferring") {
      throw ErrorFactory.conflict("InvalidDriveState", `Drive '${drive.driveId}' is '${drive.state}'; its key is given out only while it is 'Received' or 'Transferring'.`, drive.driveId);
    }
    if (!drive.bitLockerKey) throw ErrorFactory.conflict("BitLockerKeyMissing", `Drive '${drive.driveId}' has no BitLocker key on record.`, drive.driveId);
    return { driveId: drive.driveId, bitLockerKey: drive.bitLockerKey };
  }

  /**
   * A page of the job's history, oldest first, from entry `from` (0 is the creation): the archived
   * entries, then those the job carries. `next` is where the following page starts, if any.
   */
  async history(key: JobKey, from: number, top: number): Promise<HistoryPage> {
    const stored = await this.jobs.get(key);
    if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    const job = stored.job;
    const carriedFrom = firstCarriedSequence(job);
    const to = Math.min(from + top, historyLength(job));
    const archived = from < carriedFrom && this.historyArchive ? await this.historyArchive.read(job, from, Math.min(to, carriedFrom)) : [];
    const carried = job.history.slice(Math.max(from, carriedFrom) - carriedFrom, Math.max(to, carriedFrom) - carriedFrom);
    return { entries: [...archived, ...carried], next: to < historyLength(job) ? to : undefined };
  }

  async get(key: JobKey): Promise<Job> {
    const stored = await this.jobs.get(key);
    if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    return stored.job;
  }

  async listJobs(query: Omit<OperatorJobQuery, "now">, limits: PageLimits, from?: JobsContinuation): Promise<JobPage> {
    return this.jobs.listForOperators({ ...query, now: this.clock.now() }, limits, from);
  }

  async listArrivals(status: Arrival["status"], top: number, continuationToken?: string): Promise<ArrivalPage> {
    return this.arrivals.list(status, top, continuationToken);
  }

  private async writeBlobs(job: Job, writes: BlobWrite[]): Promise<void> {
    const at = this.clock.now();
    for (const write of writes) {
      const name = write.blob === "incompleteBlobList" ? incompleteBlobListName(job) : driveBlobName(job, write.driveId!, write.blob);
      // Log lines carry their time; the list of blobs that did not fit is a plain list.
      if (write.kind === "append") await this.logs.append(name, write.lines ?? [], write.blob === "incompleteBlobList" ? undefined : at);
      else await this.logs.put(name, write.content ?? "", write.blob === "manifest" ? "application/xml" : "text/plain; charset=utf-8");
    }
  }

  private context(actor: Actor): OperationContext {
    return { now: this.clock.now(), actor: { ...actor, role: actor.role ?? "operator" }, rules: this.rules };
  }
}
