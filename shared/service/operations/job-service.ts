/**
 * The customer's job operations: each loads the job, applies one pure domain operation and writes it
 * back with the ETag it read (see `retry.ts` for lost races).
 *
 * Whose a job is: its subscription's. Every operation first asks `SubscriptionService.authorize`
 * whether the subscription belongs to the caller's tenant, and that answer is the whole tenant check:
 * a job's own `tenantId` records who created it, and is not compared. So a subscription ARM moves to
 * another directory takes its jobs along the moment its registration says so, with no job rewritten.
 * That costs nothing (the registration is cached, so Get Job stays one storage transaction, and a
 * list needs no tenant condition); rewriting every job's tenant instead would be a batched migration
 * during which a subscription's jobs answer to two tenants. See docs/storage-design.md.
 */
import { ARRIVAL_DESK, attachArrival } from "../../domain/arrival";
import { Clock } from "../../domain/clock";
import { ErrorFactory } from "../../domain/errors";
import {
  Actor,
  assertDeletable,
  createJob,
  customerActions,
  Job,
  JobDefinition,
  JobKey,
  JobRules,
  JobUpdate,
  OperationContext,
  redefineJob,
  updateJob,
} from "../../domain/job";
import { assertDefinitionFits } from "../../domain/history";
import { JobFilter, JobScope, JobsContinuation, PageLimits } from "../../domain/job-filter";
import { LocationCatalog, shippingInformationOf } from "../../domain/locations";
import { jobBlobPrefix, jobHasBlobs } from "../../domain/log-blobs";
import { stateChangeMessages } from "../../domain/messages";
import { applyOperatorEvent } from "../../domain/operator-events";
import { assertPreconditions, jobETag, Preconditions } from "../../domain/preconditions";
import { ArrivalsStore } from "../../storage/arrivals.store";
import { JobsStore, StoredJob } from "../../storage/jobs.store";
import { DeadlineIndex, IndexEntry } from "../../storage/deadline-index.store";
import { LogBlobStore } from "../../storage/log-blobs.store";
import { ConcurrencyError } from "../../storage/storage-errors";
import { JobWriter } from "./job-writer";
import { withConcurrencyRetries } from "./retry";
import { SubscriptionService } from "./subscription-service";
import { CustomerAccountCheck } from "./customer-account-check";
import { LinkedAccessCheck } from "./linked-access-check";
import type { Logger } from "../../telemetry/log";

export interface JobTimeline {
  state: Job["state"];
  stateChangedAt: string;
  cancelRequested: boolean;
  /** While Creating: when the job is deleted unless it is updated or marked Shipping first. */
  creatingExpiresAt?: string;
  /** While Shipping: when the package becomes overdue. */
  shippingDueAt?: string;
  returnAddressProblem?: Job["returnAddressProblem"];
  path: { at: string; from: string | null; to: string; reason: string }[];
  actions: ReturnType<typeof customerActions>;
  /** What each drive's copy log says, for drives the copy agent finished. */
  copyLogs: { driveId: string; blobsCopied: number; issuesByKind: Record<string, number>; exportRange?: { start: number; next?: number } }[];
  /** An export's blobs that no drive held (the list itself is Get Job's incompleteBlobListUri). */
  incompleteBlobs?: number;
}

/** A job and its ETag as customers see it (`jobETag`: it changes with every write of the job). */
export interface VersionedJob {
  job: Job;
  etag: string;
}

export interface CreateOrUpdateResult extends VersionedJob {
  created: boolean;
}

export interface VersionedJobPage {
  jobs: VersionedJob[];
  /** Absent when the list is known to be over. */
  next?: JobsContinuation;
}

export class JobService {
  constructor(
    private readonly store: JobsStore,
    private readonly arrivals: ArrivalsStore,
    private readonly logs: LogBlobStore,
    private readonly writer: JobWriter,
    private readonly index: DeadlineIndex,
    private readonly locations: LocationCatalog,
    private readonly rules: JobRules,
    private readonly clock: Clock,
    /** Asked first by every operation: the subscription must belong to the caller's tenant. */
    private readonly subscriptions: SubscriptionService,
    /** Asked before the job's storage account is touched or recorded: the caller's tenant must own it. */
    private readonly linkedAccess: LinkedAccessCheck,
    private readonly log: Logger,
    private readonly accountCheck?: CustomerAccountCheck,
  ) {}

  /**
   * `preconditions` (If-Match, If-None-Match) are evaluated on every attempt's read, so a job that
   * changed since the client's ETag is a 412, never written over by a retry; likewise in update and delete.
   * `bearerToken`: the caller's own, for ARM's answer on the linked account (see linked-access-check.ts).
   */
  async createOrUpdate(key: JobKey, definition: JobDefinition, actor: Actor, tenantId: string, preconditions: Preconditions = {}, bearerToken?: string): Promise<CreateOrUpdateResult> {
    await this.subscriptions.authorize(key.subscriptionId, tenantId, "write");
    const location = this.locations.find(definition.location);
    if (!location) {
      throw ErrorFactory.badRequest(
        "InvalidLocation",
        `'${definition.location}' is not an Import/Export location. List them with GET /providers/Microsoft.ImportExport/locations.`,
        "location",
      );
    }
    // The customer's account is checked once the definition itself is valid, and once per request:
    // first that the caller owns it, and only then is it touched (the probe, the blob list), so a
    // refused job learns nothing of another tenant's account.
    let accountChecked = false;
    const checkAccount = async () => {
      if (accountChecked) return;
      await this.linkedAccess.assert(key, definition.storageAccountId, definition.jobType, { tenantId, principal: actor.id, bearerToken });
      await this.accountCheck?.check(key, definition);
      accountChecked = true;
    };
    // Most PUTs create: the insert is tried first, and the job is read only if it already exists.
    // Drives without keys can only mean a job sent back as read, so that one reads first; so does
    // If-Match, which needs the job (an If-None-Match fails, if it does, on the read after the insert).
    let exists = (definition.driveList?.some((drive) => !drive.bitLockerKey) ?? false) || preconditions.ifMatch !== undefined;
    const result = await withConcurrencyRetries(async () => {
      const context = this.context(actor);
      const existing = exists ? await this.store.get(key) : undefined;
      if (!existing) {
        assertPreconditions(preconditions, undefined, key);
        const job = { ...createJob(key, definition, shippingInformationOf(location), context), tenantId };
        assertDefinitionFits(job);
        await checkAccount();
        try {
          return { job, created: true, written: await this.writer.insert(job, stateChangeMessages(undefined, job)) };
        } catch (error) {
          if (error instanceof ConcurrencyError) exists = true; // retried as an update, with a read
          throw error;
        }
      }
      assertPreconditions(preconditions, jobETag(existing.etag), key);
      const job = redefineJob(existing.job, definition, context);
      assertDefinitionFits(job);
      await checkAccount();
      return { job, created: false, written: await this.writer.replace(job, existing, { messages: stateChangeMessages(existing.job, job) }) };
    });
    return { job: result.job, etag: jobETag(result.written.etag), created: result.created };
  }

  async get(key: JobKey, tenantId: string): Promise<VersionedJob> {
    await this.subscriptions.authorize(key.subscriptionId, tenantId, "read");
    const { job, etag } = await this.load(key);
    return { job, etag: jobETag(etag) };
  }

  /**
   * What the portal shows beside Get Job: the deadlines that matter to the customer in the current
   * state and the path of job states so far (drive changes and who acted stay out). Tenant-scoped as Get.
   */
  async timeline(key: JobKey, tenantId: string): Promise<JobTimeline> {
    const { job } = await this.get(key, tenantId);
    return {
      state: job.state,
      stateChangedAt: job.stateChangedAt,
      cancelRequested: job.cancelRequested,
      creatingExpiresAt: job.state === "Creating" ? job.creatingExpiresAt : undefined,
      shippingDueAt: job.state === "Shipping" ? job.shippingDueAt : undefined,
      returnAddressProblem: job.returnAddressProblem,
      path: job.history.filter((change) => change.driveId === undefined).map(({ at, from, to, reason }) => ({ at, from, to, reason })),
      actions: customerActions(job),
      copyLogs: job.drives.flatMap((drive) =>
        drive.copyLog
          ? [{ driveId: drive.driveId, blobsCopied: drive.copyLog.blobsCopied, issuesByKind: drive.copyLog.issuesByKind, exportRange: drive.exportRange && { start: drive.exportRange.start, next: drive.exportRange.next } }]
          : [],
      ),
      incompleteBlobs: job.exportIncomplete?.blobs,
    };
  }

  /**
   * Applies a customer update. When it marks the job Shipping and a package for it already arrived
   * (recorded as an unmatched arrival, and marked on the job by the desk), the package is received
   * in the same write.
   */
  async update(key: JobKey, update: JobUpdate, actor: Actor, tenantId: string, preconditions: Preconditions = {}, bearerToken?: string): Promise<VersionedJob> {
    await this.subscriptions.authorize(key.subscriptionId, tenantId, "write");
    let linkedChecked = false;
    const { job, attached, written } = await withConcurrencyRetries(async () => {
      const existing = await this.load(key);
      assertPreconditions(preconditions, jobETag(existing.etag), key);
      // ARM checks a linked property wherever a write carries it, whether or not it changes anything.
      if (update.storageAccountId !== undefined && !linkedChecked) {
        await this.linkedAccess.assert(key, update.storageAccountId, existing.job.jobType, { tenantId, principal: actor.id, bearerToken });
        linkedChecked = true;
      }
      let job = updateJob(existing.job, update, this.context(actor));
      assertDefinitionFits(job);
      const shipping = existing.job.state !== "Shipping" && job.state === "Shipping";
      // The arrivals are read only when the desk marked the job: most jobs have none waiting.
      const [arrival] = shipping && existing.arrivalWaiting ? await this.arrivals.unmatchedFor(key) : [];
      if (arrival) {
        const event = { type: "PackageReceived" as const, carrierName: arrival.carrierName, trackingNumber: arrival.trackingNumber, driveIds: arrival.driveIds };
        job = applyOperatorEvent(job, event, this.context(ARRIVAL_DESK)).job;
      }
      // Once Shipping the mark has served: a package that comes now is received directly.
      const written = await this.writer.replace(job, existing, { arrivalWaiting: shipping ? false : existing.arrivalWaiting, messages: stateChangeMessages(existing.job, job) });
      return { job, attached: arrival ? [arrival] : [], written };
    });
    // The job is the truth and is written, so the answer is success. The arrival's move follows it;
    // if that fails, the arrival stays listed as Unmatched and an operator's attach settles it.
    for (const arrival of attached) {
      try {
        await this.arrivals.markAttached(attachArrival(arrival, key, this.clock.now()));
      } catch (error) {
        // Left Unmatched for an operator's attach, as said above.
        this.log.warn(`Arrival ${arrival.id} was received by job '${key.name}' but stays listed as Unmatched: marking it attached failed`, { arrivalId: arrival.id, error });
      }
    }
    return { job, etag: jobETag(written.etag) };
  }

  /**
   * Deletes the job (and with it its BitLocker keys), then its log blobs. Once the job is deleted
   * the answer is success: a failure with the blobs (storage down, a blob name the store refuses)
   * leaves them to the BlobCleanup index entry written first, which brings a sweep back to them;
   * answering 503 would have the client retry a delete that happened, and get a 404.
   */
  async delete(key: JobKey, tenantId: string, preconditions: Preconditions = {}): Promise<void> {
    await this.subscriptions.authorize(key.subscriptionId, tenantId, "delete");
    let cleanup: IndexEntry | undefined;
    const job = await withConcurrencyRetries(async () => {
      // The API's Delete answers only 200, so a job that is not there is a 404, as for Get.
      const existing = await this.load(key);
      assertPreconditions(preconditions, jobETag(existing.etag), key);
      assertDeletable(existing.job, this.rules);
      // Blobs go after the entity (the other order could leave a job whose log URIs are dead); an
      // index entry written first brings a sweep back to them if the process stops in between.
      if (jobHasBlobs(existing.job) && !cleanup) {
        cleanup = await this.index.ensureBlobCleanup(existing.job, jobBlobPrefix(existing.job), this.clock.now());
      }
      await this.store.delete(key, existing.etag);
      return existing.job;
    });
    if (!cleanup) return;
    try {
      await this.logs.deleteAll(jobBlobPrefix(job));
      await this.index.remove([cleanup]);
    } catch (error) {
      // Left to the sweep (above), which tries again and logs what it could not delete.
      this.log.warn(`The blobs of deleted job '${key.name}' are left for the sweep`, { error });
    }
  }


  /** Lists the subscription's jobs (or a resource group's), once the subscription is the caller's tenant's. */
  async list(scope: JobScope, filter: JobFilter | undefined, limits: PageLimits, from: JobsContinuation | undefined, tenantId: string): Promise<VersionedJobPage> {
    await this.subscriptions.authorize(scope.subscriptionId, tenantId, "read");
    const page = await this.store.list(scope, filter, limits, from);
    return { jobs: page.jobs.map((job, i) => ({ job, etag: jobETag(page.etags[i]) })), next: page.next };
  }

  async bitLockerKeys(key: JobKey, tenantId: string): Promise<{ driveId: string; bitLockerKey: string }[]> {
    // A POST action: refused, as writes are, while the subscription is disabled.
    await this.subscriptions.authorize(key.subscriptionId, tenantId, "write");
    const keys = await this.store.bitLockerKeys(key);
    if (!keys) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    return [...keys].map(([driveId, bitLockerKey]) => ({ driveId, bitLockerKey }));
  }

  /** The job, once `authorize` has said its subscription is the caller's (see the header). */
  private async load(key: JobKey): Promise<StoredJob> {
    const stored = await this.store.get(key);
    if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    return stored;
  }

  private context(actor: Actor): OperationContext {
    return { now: this.clock.now(), actor, rules: this.rules };
  }
}
