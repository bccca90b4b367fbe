/**
 * Subscription registrations (which tenant a subscription belongs to, and its state) in their own
 * table: PartitionKey is the subscription id in lower case, RowKey is empty, so a lookup is one
 * point read. Every write carries an ETag: an insert fails if another writer registered the
 * subscription first (two tenants racing to use a fresh subscription can't both win), a replace if
 * it changed since it was read.
 *
 * The subscriptions whose jobs are to be removed (ARM said `Deleted`) are marked in one partition of
 * their own, `purges` (no subscription id, a GUID, is that), RowKey the subscription id: the
 * maintenance run finds them with one partition query, and the marks last only while the work does.
 */
import { odata, TableClient } from "@azure/data-tables";
import { SubscriptionRegistration } from "../domain/subscription";
import { ConcurrencyError, isNotFound, statusOf } from "./storage-errors";

interface SubscriptionEntity {
  partitionKey: string;
  rowKey: string;
  TenantId?: string;
  State: string;
  RegistrationDate?: string;
  UpdatedAt: string;
  Source: string;
}

export interface StoredRegistration {
  registration: SubscriptionRegistration;
  etag: string;
}

const ROW_KEY = "";
const PURGE_PARTITION = "purges";

/** A subscription marked for the removal of its jobs, as read (its ETag guards dropping the mark). */
export interface PurgeMark {
  subscriptionId: string;
  etag: string;
}

export class SubscriptionsStore {
  // Timeouts and the translation of storage failures are the client's pipeline's (storage-pipeline.ts);
  // only what a status means for this table is decided here.
  constructor(private readonly table: TableClient) {}

  async get(subscriptionId: string): Promise<StoredRegistration | undefined> {
    try {
      const entity = await this.table.getEntity<SubscriptionEntity>(subscriptionId.toLowerCase(), ROW_KEY);
      return { registration: fromEntity(subscriptionId, entity), etag: entity.etag };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Registers a subscription nobody registered yet; throws `ConcurrencyError` if someone did first. */
  async insert(registration: SubscriptionRegistration): Promise<string> {
    try {
      return (await this.table.createEntity(toEntity(registration))).etag!;
    } catch (error) {
      if (statusOf(error) === 409) throw new ConcurrencyError();
      throw error;
    }
  }

  /** Replaces a registration if it still has `etag`; throws `ConcurrencyError` otherwise. */
  async replace(registration: SubscriptionRegistration, etag: string): Promise<string> {
    try {
      return (await this.table.updateEntity(toEntity(registration), "Replace", { etag })).etag!;
    } catch (error) {
      if (isNotFound(error)) throw new ConcurrencyError();
      throw error;
    }
  }

  /** Marks the subscription for the removal of its jobs; marking it again changes nothing. */
  async markForPurge(subscriptionId: string, at: Date): Promise<void> {
    try {
      await this.table.createEntity({ partitionKey: PURGE_PARTITION, rowKey: subscriptionId.toLowerCase(), MarkedAt: at.toISOString() });
    } catch (error) {
      if (statusOf(error) !== 409) throw error; // marked already: the one mark stands
    }
  }

  /** The marked subscriptions in id order, read as the caller goes on (one partition query, paged). */
  async *purgeMarks(): AsyncIterable<PurgeMark> {
    const entities = this.table.listEntities<{ MarkedAt: string }>({ queryOptions: { filter: odata`PartitionKey eq ${PURGE_PARTITION}`, select: ["RowKey"] } });
    for await (const entity of entities) yield { subscriptionId: entity.rowKey!, etag: entity.etag };
  }

  /** Drops a mark as read; one dropped or changed meanwhile (by another run) is left as it is. */
  async dropPurgeMark(mark: PurgeMark): Promise<void> {
    try {
      await this.table.deleteEntity(PURGE_PARTITION, mark.subscriptionId, { etag: mark.etag });
    } catch (error) {
      if (!isNotFound(error) && !(error instanceof ConcurrencyError)) throw error;
    }
  }
}

function toEntity(registration: SubscriptionRegistration): SubscriptionEntity {
  return {
    partitionKey: registration.subscriptionId.toLowerCase(),
    rowKey: ROW_KEY,
    TenantId: registration.tenantId,
    State: registration.state,
    RegistrationDate: registration.registrationDate,
    UpdatedAt: registration.updatedAt,
    Source: registration.source,
  };
}

function fromEntity(subscriptionId: string, entity: SubscriptionEntity): SubscriptionRegistration {
  return {
    subscriptionId,
    tenantId: entity.TenantId,
    state: entity.State as SubscriptionRegistration["state"],
    registrationDate: entity.RegistrationDate,
    updatedAt: entity.UpdatedAt,
    source: entity.Source as SubscriptionRegistration["source"],
  };
}
