/**
 * A record of each job the service deleted on its own (expired while `Creating`, purged after its
 * retention), so an operator can still see that it existed and why it went. Keyed by subscription,
 * then the job and its creation time, so recording the same deletion twice writes one entity.
 */
import { odata, TableClient } from "@azure/data-tables";
import { Job } from "../domain/job";
import { translateStorageError } from "./storage-errors";

export interface DeletedJobRecord {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  state: string;
  createdAt: string;
  deletedAt: string;
  reason: string;
}

export class DeletedJobsStore {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutMs: number,
  ) {}

  async record(job: Job, reason: string, at: Date): Promise<void> {
    const record: DeletedJobRecord = {
      subscriptionId: job.key.subscriptionId,
      resourceGroup: job.key.resourceGroup,
      name: job.key.name,
      state: job.state,
      createdAt: job.createdAt,
      deletedAt: at.toISOString(),
      reason,
    };
    try {
      await this.table.upsertEntity(
        { partitionKey: job.key.subscriptionId.toLowerCase(), rowKey: `${job.key.resourceGroup}|${job.key.name}|${job.createdAt}`.toLowerCase(), Record: JSON.stringify(record) },
        "Replace",
        { abortSignal: AbortSignal.timeout(this.timeoutMs) },
      );
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  async list(subscriptionId: string, top: number): Promise<DeletedJobRecord[]> {
    const found: DeletedJobRecord[] = [];
    try {
      const pages = this.table
        .listEntities<{ Record: string }>({ queryOptions: { filter: odata`PartitionKey eq ${subscriptionId.toLowerCase()}` } })
        .byPage({ maxPageSize: top });
      const { value: page } = await pages.next();
      for (const entity of (page ?? []) as { Record: string }[]) found.push(JSON.parse(entity.Record) as DeletedJobRecord);
    } catch (error) {
      throw translateStorageError(error);
    }
    return found;
  }
}
