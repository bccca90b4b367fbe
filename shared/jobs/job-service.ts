/**
 * The customer's job operations: each loads the job, applies one pure domain operation and writes it
 * back with the ETag it read. A lost race is retried a few times with a fresh read, then reported as
 * a 409, so a concurrent writer is never silently overwritten.
 */
import { Clock } from "../domain/clock";
import { ErrorFactory } from "../domain/errors";
import {
  Actor,
  assertDeletable,
  createJob,
  Job,
  JobDefinition,
  JobKey,
  JobRules,
  JobUpdate,
  OperationContext,
  redefineJob,
  updateJob,
} from "../domain/job";
import { JobFilter } from "../domain/job-filter";
import { LocationCatalog, shippingInformationOf } from "../domain/locations";
import { JobPage, JobScope, JobsStore, StoredJob } from "../storage/jobs.store";
import { ConcurrencyError } from "../storage/storage-errors";

const MAX_ATTEMPTS = 4;

export interface CreateOrUpdateResult {
  job: Job;
  created: boolean;
}

export class JobService {
  constructor(
    private readonly store: JobsStore,
    private readonly locations: LocationCatalog,
    private readonly rules: JobRules,
    private readonly clock: Clock,
  ) {}

  async createOrUpdate(key: JobKey, definition: JobDefinition, actor: Actor, tenantId?: string): Promise<CreateOrUpdateResult> {
    const location = this.locations.find(definition.location);
    if (!location) {
      throw ErrorFactory.badRequest(
        "InvalidLocation",
        `'${definition.location}' is not an Import/Export location. List them with GET /providers/Microsoft.ImportExport/locations.`,
        "location",
      );
    }
    return this.withRetries(async () => {
      const existing = await this.store.get(key);
      const context = this.context(actor);
      if (!existing) {
        const job = { ...createJob(key, definition, shippingInformationOf(location), context), tenantId };
        await this.store.insert(job);
        return { job, created: true };
      }
      const job = redefineJob(existing.job, definition, context);
      await this.store.replace(job, existing.etag);
      return { job, created: false };
    });
  }

  async get(key: JobKey): Promise<Job> {
    return (await this.load(key)).job;
  }

  async update(key: JobKey, update: JobUpdate, actor: Actor): Promise<Job> {
    return this.withRetries(async () => {
      const existing = await this.load(key);
      const job = updateJob(existing.job, update, this.context(actor));
      await this.store.replace(job, existing.etag);
      return job;
    });
  }

  /** Deletes the job and, with its entity, its BitLocker keys. */
  async delete(key: JobKey): Promise<void> {
    await this.withRetries(async () => {
      // The API's Delete answers only 200, so a job that is not there is a 404, as for Get.
      const existing = await this.load(key);
      assertDeletable(existing.job, this.rules);
      await this.store.delete(key, existing.etag);
    });
  }

  async list(scope: JobScope, filter: JobFilter | undefined, top: number, continuationToken?: string): Promise<JobPage> {
    return this.store.list(scope, filter, top, continuationToken);
  }

  async bitLockerKeys(key: JobKey): Promise<{ driveId: string; bitLockerKey: string }[]> {
    const keys = await this.store.bitLockerKeys(key);
    if (!keys) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    return Object.entries(keys).map(([driveId, bitLockerKey]) => ({ driveId, bitLockerKey }));
  }

  private async load(key: JobKey): Promise<StoredJob> {
    const stored = await this.store.get(key);
    if (!stored) throw ErrorFactory.jobNotFound(key.resourceGroup, key.name);
    return stored;
  }

  private context(actor: Actor): OperationContext {
    return { now: this.clock.now(), actor, rules: this.rules };
  }

  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (tries >= MAX_ATTEMPTS) throw ErrorFactory.concurrencyConflict();
        await new Promise((resolve) => setTimeout(resolve, 10 * tries + Math.random() * 20));
      }
    }
  }
}
