/**
 * Subscriptions and their tenants: ARM's lifecycle notifications register them, and every customer
 * operation asks `authorize` first, before any job is read. The registration is the one record of
 * whose a subscription's jobs are: a subscription moved to another tenant takes its jobs along (see
 * job-service.ts), and a `Deleted` one is marked for the removal of its jobs (subscription-purge.ts).
 * In dev mode (no ARM in front) the first tenant to use an unknown subscription registers it, with a
 * conditional insert so that of two tenants racing for the same fresh subscription exactly one wins.
 *
 * Registrations are cached per process for a short while, so the hot path (Get Job) stays one storage
 * transaction; a notification handled by this process takes effect here at once, on other instances
 * within `REGISTRATION_CACHE_MS`.
 */
import { Clock } from "../domain/clock";
import {
  applyNotification,
  assertSubscriptionAccess,
  firstUseRegistration,
  isOwner,
  SubscriptionAccess,
  SubscriptionNotification,
  SubscriptionRegistration,
} from "../domain/subscription";
import { ConcurrencyError } from "../storage/storage-errors";
import { SubscriptionsStore } from "../storage/subscriptions.store";
import { withConcurrencyRetries } from "./retry";

export const REGISTRATION_CACHE_MS = 30_000;
/** The cache forgets its oldest entries beyond this many subscriptions. */
const MAX_CACHED_SUBSCRIPTIONS = 10_000;

export class SubscriptionService {
  private readonly cache = new Map<string, { registration?: SubscriptionRegistration; until: number }>();

  constructor(
    private readonly store: SubscriptionsStore,
    private readonly clock: Clock,
    /** Dev mode: the first tenant to use an unknown subscription registers it. */
    private readonly firstUseRegisters: boolean,
  ) {}

  /** Throws unless `tenantId` may do `access` on the subscription (see `assertSubscriptionAccess`). */
  async authorize(subscriptionId: string, tenantId: string, access: SubscriptionAccess): Promise<void> {
    let registration = await this.registration(subscriptionId);
    if (!registration && this.firstUseRegisters) registration = await this.registerOnFirstUse(subscriptionId, tenantId);
    assertSubscriptionAccess(registration, subscriptionId, tenantId, access);
  }

  /**
   * Whether the subscription belongs to `tenantId`, as its registration says: for checks that are not
   * a customer call on the subscription itself (an account named in a job, say). It never registers
   * an unknown subscription, even in dev mode; a `Deleted` subscription belongs to nobody.
   */
  async belongsTo(subscriptionId: string, tenantId: string): Promise<boolean> {
    const registration = await this.registration(subscriptionId);
    return isOwner(registration, tenantId) && registration!.state !== "Deleted";
  }

  /** The tenant a subscription's jobs belong to now, as its registration says (none when unknown or `Deleted`). */
  async ownerOf(subscriptionId: string): Promise<string | undefined> {
    const registration = await this.registration(subscriptionId);
    return registration && registration.state !== "Deleted" ? registration.tenantId : undefined;
  }

  /**
   * ARM's subscription lifecycle notification: the latest state always wins. `Deleted` marks the
   * subscription for the removal of its jobs first, so a stop in between leaves a mark (the purge
   * checks the state), never a Deleted subscription whose jobs stay; ARM retries until it gets 200.
   */
  async notify(subscriptionId: string, notification: SubscriptionNotification): Promise<SubscriptionRegistration> {
    if (notification.state === "Deleted") await this.store.markForPurge(subscriptionId, this.clock.now());
    const registration = await withConcurrencyRetries(async () => {
      const current = await this.store.get(subscriptionId);
      const next = applyNotification(subscriptionId, current?.registration, notification, this.clock.now());
      if (current) await this.store.replace(next, current.etag);
      else await this.store.insert(next);
      return next;
    });
    this.remember(subscriptionId, registration);
    return registration;
  }

  private async registerOnFirstUse(subscriptionId: string, tenantId: string): Promise<SubscriptionRegistration | undefined> {
    const registration = firstUseRegistration(subscriptionId, tenantId, this.clock.now());
    try {
      await this.store.insert(registration);
      this.remember(subscriptionId, registration);
      return registration;
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      // Someone registered it in between: theirs stands, whoever they are.
      const stored = (await this.store.get(subscriptionId))?.registration;
      this.remember(subscriptionId, stored);
      return stored;
    }
  }

  private async registration(subscriptionId: string): Promise<SubscriptionRegistration | undefined> {
    const cached = this.cache.get(subscriptionId.toLowerCase());
    if (cached && cached.until > this.clock.now().getTime()) return cached.registration;
    const registration = (await this.store.get(subscriptionId))?.registration;
    this.remember(subscriptionId, registration);
    return registration;
  }

  private remember(subscriptionId: string, registration: SubscriptionRegistration | undefined): void {
    const key = subscriptionId.toLowerCase();
    this.cache.delete(key);
    if (this.cache.size >= MAX_CACHED_SUBSCRIPTIONS) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { registration, until: this.clock.now().getTime() + REGISTRATION_CACHE_MS });
  }
}
