/**
 * A subscription's registration with the provider, as ARM tells a resource provider about it (the
 * subscription lifecycle notification of the ARM RPC): which tenant the subscription belongs to, and
 * its state. In ARM a subscription belongs to one tenant, so every customer call is checked against
 * it before any job is read: a caller of another tenant gets the same answer whatever exists. The
 * registration is the only record of whom a subscription's jobs belong to (see `isOwner`).
 */
import { ErrorFactory, ServiceError } from "./errors";

export const SUBSCRIPTION_STATES = ["Registered", "Warned", "Suspended", "Deleted", "Unregistered"] as const;
export type SubscriptionState = (typeof SUBSCRIPTION_STATES)[number];

export interface SubscriptionRegistration {
  subscriptionId: string;
  /** The Entra ID tenant the subscription belongs to; unknown until a notification (or first use) says. */
  tenantId?: string;
  state: SubscriptionState;
  /** As ARM sent it, when it did. */
  registrationDate?: string;
  updatedAt: string;
  /** How the service learned of it: ARM's notification, or the first tenant to use it (dev mode only). */
  source: "notification" | "firstUse";
}

/** What a customer call does to the subscription's jobs. */
export type SubscriptionAccess = "read" | "delete" | "write";

/**
 * What each state allows, as the ARM RPC defines the states: Warned and Suspended keep GET and
 * DELETE working and refuse PUT/PATCH/POST; Unregistered allows GETs only; Deleted nothing.
 */
export const ACCESS_IN: Record<SubscriptionState, readonly SubscriptionAccess[]> = {
  Registered: ["read", "delete", "write"],
  Warned: ["read", "delete"],
  Suspended: ["read", "delete"],
  Unregistered: ["read"],
  Deleted: [],
};

/** What the ARM notification says, as the service keeps it (the rest of its property bag is dropped). */
export interface SubscriptionNotification {
  state: SubscriptionState;
  registrationDate?: string;
  tenantId?: string;
}

/** The registration after a notification: ARM's latest state always wins; a missing tenant keeps the known one. */
export function applyNotification(
  subscriptionId: string,
  current: SubscriptionRegistration | undefined,
  notification: SubscriptionNotification,
  now: Date,
): SubscriptionRegistration {
  return {
    subscriptionId,
    tenantId: notification.tenantId ?? current?.tenantId,
    state: notification.state,
    registrationDate: notification.registrationDate ?? current?.registrationDate,
    updatedAt: now.toISOString(),
    source: "notification",
  };
}

/** The registration a tenant makes by using an unknown subscription first (dev mode only). */
export function firstUseRegistration(subscriptionId: string, tenantId: string, now: Date): SubscriptionRegistration {
  return { subscriptionId, tenantId, state: "Registered", updatedAt: now.toISOString(), source: "firstUse" };
}

/** Whether the registration says the subscription belongs to `tenantId` (exactly as tokens carry tenant ids). */
export function isOwner(registration: SubscriptionRegistration | undefined, tenantId: string): boolean {
  return !!registration?.tenantId && registration.tenantId === tenantId;
}

/**
 * Throws unless `tenantId` may do `access` on the subscription. The owner learns the state of its
 * own subscription; anyone else gets one answer, `notYours`, whether the subscription is another
 * tenant's (in any state) or unknown to the service: 403 `InvalidAuthenticationTokenTenant`, ARM's
 * answer to a token of a tenant the subscription is not associated with. An unknown subscription
 * gets it too, because the service can't tell whether it is the caller's own (ARM has not registered
 * it with the provider yet) or someone else's; answering it otherwise (ARM's 409
 * `MissingSubscriptionRegistration`) would tell any tenant which subscriptions use the provider. The
 * message says both, as true for the owner-to-be as for a stranger.
 * `MissingSubscriptionRegistration` stays for the owner's own subscription that ARM says is `Unregistered`.
 */
export function assertSubscriptionAccess(registration: SubscriptionRegistration | undefined, subscriptionId: string, tenantId: string, access: SubscriptionAccess): void {
  if (!registration || !isOwner(registration, tenantId)) throw notYours(subscriptionId);
  if (ACCESS_IN[registration.state].includes(access)) return;
  switch (registration.state) {
    case "Deleted":
      throw new ServiceError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
    case "Unregistered":
      throw ErrorFactory.conflict(
        "MissingSubscriptionRegistration",
        `The subscription '${subscriptionId}' is not registered to use namespace 'Microsoft.ImportExport'. Register the resource provider for the subscription, then retry.`,
      );
    default:
      throw ErrorFactory.conflict(
        "ReadOnlyDisabledSubscription",
        `The subscription '${subscriptionId}' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled.`,
      );
  }
}

/** The one answer for a subscription that is not the caller's tenant's, or not known (which tenant owns it stays unsaid). */
function notYours(subscriptionId: string): ServiceError {
  return new ServiceError(
    403,
    "InvalidAuthenticationTokenTenant",
    `The access token is from a tenant that subscription '${subscriptionId}' is not associated with, or the subscription is not registered to use namespace 'Microsoft.ImportExport'. Use a token from the subscription's own tenant, and register the resource provider for the subscription.`,
  );
}
