/**
 * Unmatched arrivals in their own table. PartitionKey is the status (`unmatched`, `attached`,
 * `returned`, `destroyed`), so
 * the operators' list and the lookup for a job read only the small unmatched partition; RowKey is
 * the arrival id, which sorts by arrival time. `JobKey` ("<jobs PartitionKey>/<jobs RowKey>") finds
 * the arrivals a package label addressed to a job.
 *
 * Beside each unmatched arrival, in the same partition, a package key row (`~package-<hash>`)
 * holds its package: written with the arrival in one transaction that only creates, so one package
 * is one unmatched arrival even when two reports of it come at the same instant. Key rows sort
 * after every arrival id (ids start with a digit), and every read of arrivals stops before `~`.
 */
import { createHash } from "node:crypto";
import { odata, TableClient } from "@azure/data-tables";
import { Arrival, ARRIVAL_STATUSES, packageText } from "../domain/arrival";
import { JobKey } from "../domain/job";
import { partitionKeyOf, rowKeyOf } from "./jobs.store";
import { ConcurrencyError, isNotFound, statusOf } from "./storage-errors";

interface ArrivalEntity {
  partitionKey: string;
  rowKey: string;
  JobKey: string;
  ArrivedAt: Date;
  Arrival: string;
}

/** The row that holds a package for the unmatched arrival recorded for it. */
interface PackageKeyEntity {
  partitionKey: string;
  rowKey: string;
  ArrivalId: string;
}

/** Where key rows start: after every arrival id. */
const KEY_ROWS_FROM = "~";
/** How often `record` tries again after finding a package key its arrival left behind. */
const RECORD_ATTEMPTS = 4;

/**
 * The row key of a package among the unmatched arrivals: a hash of the label's job (as the jobs
 * table keys it; empty without one), the carrier and the tracking number as `packageText` compares
 * them. Hashed because the normalised text may be long (NFKC makes 18 characters of some one) and
 * hold `/`, `#` or `?`, which keys refuse: this is always 73 ASCII bytes, far below the 1 KiB limit.
 */
export function packageRowKey(arrival: Pick<Arrival, "jobKey" | "carrierName" | "trackingNumber">): string {
  const identity = JSON.stringify([jobKeyColumn(arrival.jobKey), packageText(arrival.carrierName), packageText(arrival.trackingNumber)]);
  return `${KEY_ROWS_FROM}package-${createHash("sha256").update(identity).digest("hex")}`;
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

const UNMATCHED = partitionOf("Unmatched");

/** Storage failures reach callers already translated (the clients' storage call policy). */
export class ArrivalsStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Records a new unmatched arrival, unless its package (label, carrier, tracking number) already is
   * one: then the arrival first recorded comes back. The arrival and its package key are created in
   * one entity group transaction, so of two reports at the same instant one inserts and the other's
   * insert conflicts and reads the first. A key whose arrival has left the partition (its release
   * failed) is dropped, and the insert tried again.
   */
  async record(arrival: Arrival): Promise<Arrival> {
    const keyRow = packageRowKey(arrival);
    const key: PackageKeyEntity = { partitionKey: UNMATCHED, rowKey: keyRow, ArrivalId: arrival.id };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.table.submitTransaction([
          ["create", { ...toEntity(arrival) }],
          ["create", { ...key }],
        ]);
        return arrival;
      } catch (error) {
        if (statusOf(error) !== 409) throw error; // EntityAlreadyExists: the package key
      }
      const first = await this.heldBy(keyRow);
      if (first) return first;
      if (attempt === RECORD_ATTEMPTS) throw new ConcurrencyError();
    }
  }

  /** The unmatched arrival a package key holds. A key whose arrival moved on is dropped (with its ETag). */
  private async heldBy(keyRow: string): Promise<Arrival | undefined> {
    const key = await this.packageKey(keyRow);
    if (!key) return undefined;
    const arrival = await this.unmatched(key.ArrivalId);
    if (arrival) return arrival;
    await this.deleteKey(key);
    return undefined;
  }

  /**
   * Drops the package key of an arrival that left the unmatched partition, if it still holds that
   * arrival (an arrival recorded before keys has none; a newer arrival of the package may hold it).
   */
  private async releasePackageKey(arrival: Arrival): Promise<void> {
    const key = await this.packageKey(packageRowKey(arrival));
    if (key?.ArrivalId === arrival.id) await this.deleteKey(key);
  }

  /** `releasePackageKey` after a move; a key left behind holds nothing, as `record` drops it. */
  private async releaseAfterMove(arrival: Arrival): Promise<void> {
    try {
      await this.releasePackageKey(arrival);
    } catch {
      // Left for `record` to find and drop, as said above: the move itself has happened.
    }
  }

  private async packageKey(keyRow: string): Promise<(PackageKeyEntity & { etag: string }) | undefined> {
    try {
      return await this.table.getEntity<PackageKeyEntity>(UNMATCHED, keyRow);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private async deleteKey(key: PackageKeyEntity & { etag: string }): Promise<void> {
    try {
      await this.table.deleteEntity(UNMATCHED, key.rowKey, { etag: key.etag });
    } catch (error) {
      // Gone already, or rewritten meanwhile (then it holds another arrival): either way not ours.
      if (!isNotFound(error) && !(error instanceof ConcurrencyError)) throw error;
    }
  }

  private async unmatched(id: string): Promise<Arrival | undefined> {
    try {
      return JSON.parse((await this.table.getEntity<ArrivalEntity>(UNMATCHED, id)).Arrival) as Arrival;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
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
    const filter = odata`PartitionKey eq ${UNMATCHED} and RowKey lt ${KEY_ROWS_FROM} and JobKey eq ${jobKeyColumn(key)}`;
    for await (const entity of this.table.listEntities<ArrivalEntity>({ queryOptions: { filter } })) {
      found.push(JSON.parse(entity.Arrival) as Arrival);
    }
    return found;
  }

  /** Every unmatched arrival whose label named a job, oldest first (the maintenance run's pass). */
  async unmatchedLabelled(): Promise<Arrival[]> {
    const found: Arrival[] = [];
    const filter = odata`PartitionKey eq ${UNMATCHED} and RowKey lt ${KEY_ROWS_FROM} and JobKey ne ${""}`;
    for await (const entity of this.table.listEntities<ArrivalEntity>({ queryOptions: { filter } })) {
      found.push(JSON.parse(entity.Arrival) as Arrival);
    }
    return found;
  }

  async list(status: Arrival["status"], top: number, continuationToken?: string): Promise<ArrivalPage> {
    const pages = this.table.listEntities<ArrivalEntity>({ queryOptions: { filter: odata`PartitionKey eq ${partitionOf(status)} and RowKey lt ${KEY_ROWS_FROM}` } }).byPage({ maxPageSize: top, continuationToken });
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
    await this.table.deleteEntity(UNMATCHED, arrival.id).catch((error) => {
      if (!isNotFound(error)) throw error;
    });
    await this.releaseAfterMove(arrival);
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
    if (from === "Unmatched") await this.releaseAfterMove(arrival);
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
