/**
 * Subscription registrations (which tenant a subscription belongs to, and its state) in their own
 * table: PartitionKey is the subscription id in lower case, RowKey is empty, so a lookup is one
 * point read. Every write carries an ETag: an insert fails if another writer registered the
 * subscription first (two tenants racing to use a fresh subscription can't both win), a replace if
 * it changed since it was read.
 */
import { TableClient } from "@azure/data-tables";
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
