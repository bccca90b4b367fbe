/**
 * Unmatched arrivals in their own table. PartitionKey is the status (`unmatched`, `attached`,
 * `returned`, `destroyed`), so
 * the operators' list and the lookup for a job read only the small unmatched partition; RowKey is
 * the arrival id, which sorts by arrival time. `JobKey` ("<jobs PartitionKey>/<jobs RowKey>") finds
 * the arrivals a package label addressed to a job.
 */
import { odata, TableClient } from "@azure/data-tables";
import { Arrival, ARRIVAL_STATUSES } from "../domain/arrival";
import { JobKey } from "../domain/job";
import { partitionKeyOf, rowKeyOf } from "./jobs.store";
import { ConcurrencyError, isNotFound } from "./storage-errors";

interface ArrivalEntity {
  partitionKey: string;
  rowKey: string;
  JobKey: string;
  ArrivedAt: Date;
  Arrival: string;
}

export interface ArrivalPage {
  arrivals: Arrival[];
  continuationToken?: string;
}

function jobKeyColumn(key?: JobKey): string {
  return key ? `${partitionKeyOf(key)}/${rowKeyOf(key)}` : "";
}

function partitionOf(status: Arrival["status"]): string {
  return status.toLowerCase();
}

/** Storage failures reach callers already translated (the clients' storage call policy). */
export class ArrivalsStore {
  constructor(private readonly table: TableClient) {}

  async record(arrival: Arrival): Promise<void> {
    await this.table.upsertEntity(toEntity(arrival), "Replace");
  }

  async get(id: string): Promise<Arrival | undefined> {
    return (await this.getWithEtag(id))?.arrival;
  }

  async getWithEtag(id: string): Promise<{ arrival: Arrival; etag: string } | undefined> {
    for (const status of ARRIVAL_STATUSES) {
      try {
        const entity = await this.table.getEntity<ArrivalEntity>(partitionOf(status), id);
        return { arrival: JSON.parse(entity.Arrival) as Arrival, etag: entity.etag };
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return undefined;
  }

  /** Rewrites an arrival in place if it still has `etag` (the sweep recording a notice). */
  async replace(arrival: Arrival, etag: string): Promise<void> {
    try {
      await this.table.updateEntity(toEntity(arrival), "Replace", { etag });
    } catch (error) {
      if (isNotFound(error)) throw new ConcurrencyError();
      throw error;
    }
  }

  /** The unmatched arrivals whose label named this job (with no job: those whose label named none). */
  async unmatchedFor(key: JobKey | undefined): Promise<Arrival[]> {
    const found: Arrival[] = [];
    const filter = odata`PartitionKey eq ${partitionOf("Unmatched")} and JobKey eq ${jobKeyColumn(key)}`;
    for await (const entity of this.table.listEntities<ArrivalEntity>({ queryOptions: { filter } })) {
      found.push(JSON.parse(entity.Arrival) as Arrival);
    }
    return found;
  }

  async list(status: Arrival["status"], top: number, continuationToken?: string): Promise<ArrivalPage> {
    const pages = this.table.listEntities<ArrivalEntity>({ queryOptions: { filter: odata`PartitionKey eq ${partitionOf(status)}` } }).byPage({ maxPageSize: top, continuationToken });
    const { value: page } = await pages.next();
    const arrivals = ((page ?? []) as ArrivalEntity[]).map((entity) => JSON.parse(entity.Arrival) as Arrival);
    return { arrivals, continuationToken: (page as { continuationToken?: string } | undefined)?.continuationToken };
  }

  /**
   * Moves an arrival to the attached partition. The two partitions can't change in one transaction,
   * so the attached copy is written first: a crash in between leaves a duplicate that the next
   * attach (or sweep) removes, never a lost arrival.
   */
  async markAttached(arrival: Arrival): Promise<void> {
    await this.table.upsertEntity(toEntity(arrival), "Replace");
    await this.table.deleteEntity(partitionOf("Unmatched"), arrival.id).catch((error) => {
      if (!isNotFound(error)) throw error;
    });
  }

  /**
   * Moves an arrival read with `etag` in the `from` partition to its new status's partition. The new
   * copy is written first (a crash leaves a duplicate, never a lost arrival); if the old one changed
   * meanwhile (another operator closed or attached it), the new copy is taken back and the move is
   * a `ConcurrencyError`.
   */
  async move(arrival: Arrival, from: Arrival["status"], etag: string): Promise<void> {
    await this.table.upsertEntity(toEntity(arrival), "Replace");
    try {
      await this.table.deleteEntity(partitionOf(from), arrival.id, { etag });
    } catch (error) {
      // A 412 arrives as ConcurrencyError already (storage-pipeline.ts).
      if (!isNotFound(error) && !(error instanceof ConcurrencyError)) throw error;
      await this.table.deleteEntity(partitionOf(arrival.status), arrival.id);
      throw new ConcurrencyError();
    }
  }
}

function toEntity(arrival: Arrival): ArrivalEntity {
  return {
    partitionKey: partitionOf(arrival.status),
    rowKey: arrival.id,
    JobKey: jobKeyColumn(arrival.jobKey),
    ArrivedAt: new Date(arrival.arrivedAt),
    Arrival: JSON.stringify(arrival),
  };
}
