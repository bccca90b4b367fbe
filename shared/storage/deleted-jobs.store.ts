/**
 * The deletion log: a record of each job the service deleted on its own (expired while `Creating`,
 * purged after its retention, removed with its deleted subscription), so an operator can still see
 * that it existed and why it went.
 *
 * Append-only. A sweep deletes a resource group's due jobs together, so it logs them together: one
 * entity holds the records of one such batch (as many as fit in one string column), keyed as the
 * jobs table is, PartitionKey `<subscription>:<resource group>`, RowKey `<deleted at>|<id>`. A
 * purge of a thousand jobs writes ten entities instead of a thousand, and a subscription's log is
 * one key range.
 */
import { randomUUID } from "node:crypto";
import { odata, TableClient, TransactionAction } from "@azure/data-tables";
import { JobKey } from "../domain/job";
import { partitionKeyOf } from "./jobs.store";
import { chunkBySize } from "./size-chunks";

export interface DeletedJobRecord {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  state: string;
  createdAt: string;
  deletedAt: string;
  reason: string;
}

/** What a record says of a job (all a job whose document can't be read still shows). */
export interface RecordedJob {
  key: JobKey;
  state: string;
  createdAt: string;
}

/** Table Storage strings hold 32K UTF-16 characters; a log entity stays well inside one. */
const MAX_RECORDS_CHARS = 30_000;

export class DeletedJobsStore {
  constructor(private readonly table: TableClient) {}

  async record(job: RecordedJob, reason: string, at: Date): Promise<void> {
    await this.recordMany([{ job, reason }], at);
  }

  /** Logs deletions: one transaction per resource group. Returns the requests made. */
  async recordMany(deletions: { job: RecordedJob; reason: string }[], at: Date): Promise<number> {
    const byPartition = new Map<string, DeletedJobRecord[]>();
    for (const { job, reason } of deletions) {
      const partitionKey = partitionKeyOf(job.key);
      byPartition.set(partitionKey, [...(byPartition.get(partitionKey) ?? []), recordOf(job, reason, at)]);
    }
    let requests = 0;
    for (const [partitionKey, records] of byPartition) {
      // As many records to an entity as fit in one string column (the array's brackets and commas counted).
      const chunks = chunkBySize(records, (record) => JSON.stringify(record).length + 1, MAX_RECORDS_CHARS - 2);
      const actions: TransactionAction[] = chunks.map((chunk) => [
        "create",
        { partitionKey, rowKey: `${at.toISOString()}|${randomUUID()}`, Records: JSON.stringify(chunk) },
      ]);
      // Over 100 entities only for a partition with thousands of deletions in one go.
      for (let start = 0; start < actions.length; start += 100) {
        requests++;
        await this.table.submitTransaction(actions.slice(start, start + 100));
      }
    }
    return requests;
  }

  /** Up to `top` records of a subscription's deletions, by resource group, then oldest first. */
  async list(subscriptionId: string, top: number): Promise<DeletedJobRecord[]> {
    const found: DeletedJobRecord[] = [];
    const prefix = subscriptionId.toLowerCase();
    const entities = this.table.listEntities<{ Records: string }>({
      queryOptions: { filter: odata`PartitionKey ge ${`${prefix}:`} and PartitionKey lt ${`${prefix};`}`, select: ["Records"] },
    });
    for await (const entity of entities) {
      found.push(...(JSON.parse(entity.Records) as DeletedJobRecord[]));
      if (found.length >= top) break;
    }
    return found.slice(0, top);
  }
}

function recordOf(job: RecordedJob, reason: string, at: Date): DeletedJobRecord {
  return {
    subscriptionId: job.key.subscriptionId,
    resourceGroup: job.key.resourceGroup,
    name: job.key.name,
    state: job.state,
    createdAt: job.createdAt,
    deletedAt: at.toISOString(),
    reason,
  };
}
