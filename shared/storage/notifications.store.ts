/**
 * Notices to customers and operators, kept in a table that a mailer (or the portal) reads. A notice
 * carries a deduplication key: writing it twice is a no-op, so "tell operators once" holds even when
 * two writers race.
 */
import { randomUUID } from "node:crypto";
import { odata, TableClient } from "@azure/data-tables";
import { JobKey } from "../domain/job";
import { statusOf, translateStorageError } from "./storage-errors";

export interface Notification {
  audience: "customer" | "operators";
  kind: string;
  message: string;
  job?: JobKey;
  at: string;
  /** Same key, same notice: a second send is ignored. Defaults to a fresh id. */
  dedupeKey?: string;
}

interface NotificationEntity {
  partitionKey: string;
  rowKey: string;
  Kind: string;
  Message: string;
  Job: string;
  At: Date;
}

export function audienceKey(notification: Pick<Notification, "audience" | "job">): string {
  return notification.audience === "operators" ? "operators" : `customer:${notification.job?.subscriptionId.toLowerCase() ?? "unknown"}`;
}

/** Table keys may not hold '/', '\\', '#', '?' or control characters. */
function safeRowKey(key: string): string {
  return [...key].map((char) => (/[/\\#?]/.test(char) || char.charCodeAt(0) < 32 || (char.charCodeAt(0) >= 127 && char.charCodeAt(0) < 160) ? "_" : char)).join("");
}

export class NotificationsStore {
  constructor(
    private readonly table: TableClient,
    private readonly timeoutMs: number,
  ) {}

  /** Returns false when a notice with the same key was already sent. */
  async send(notification: Notification): Promise<boolean> {
    const entity: NotificationEntity = {
      partitionKey: audienceKey(notification),
      rowKey: safeRowKey(notification.dedupeKey ?? `${notification.at}-${randomUUID()}`),
      Kind: notification.kind,
      Message: notification.message,
      Job: notification.job ? JSON.stringify(notification.job) : "",
      At: new Date(notification.at),
    };
    try {
      await this.table.createEntity(entity, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
      return true;
    } catch (error) {
      if (statusOf(error) === 409) return false;
      throw translateStorageError(error);
    }
  }

  async list(audience: Pick<Notification, "audience" | "job">, top: number): Promise<Notification[]> {
    const found: Notification[] = [];
    try {
      const filter = odata`PartitionKey eq ${audienceKey(audience)}`;
      const pages = this.table.listEntities<NotificationEntity>({ queryOptions: { filter } }).byPage({ maxPageSize: top });
      const { value: page } = await pages.next();
      for (const entity of (page ?? []) as NotificationEntity[]) {
        found.push({
          audience: audience.audience,
          kind: entity.Kind,
          message: entity.Message,
          job: entity.Job ? (JSON.parse(entity.Job) as JobKey) : undefined,
          at: new Date(entity.At).toISOString(),
          dedupeKey: entity.rowKey,
        });
      }
    } catch (error) {
      throw translateStorageError(error);
    }
    return found;
  }
}
