/**
 * A subscription's registration with the provider, as ARM tells a resource provider about it (the
 * subscription lifecycle notification of the ARM RPC): which tenant the subscription belongs to, and
 * its state. In ARM a subscription belongs to one tenant, so every customer call is checked against
 * it before any job is read: a caller of another tenant gets the same answer whatever exists.
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

/**
 * Throws unless `tenantId` may do `access` on the subscription. The tenant is checked first, so a
 * caller of another tenant learns nothing of the subscription's state or its jobs.
 */
export function assertSubscriptionAccess(registration: SubscriptionRegistration | undefined, subscriptionId: string, tenantId: string, access: SubscriptionAccess): void {
  if (!registration) throw missingRegistration(subscriptionId);
  // Exactly as tokens carry it (Entra ID writes tenant ids in lower case), as jobs record it.
  if (registration.tenantId !== tenantId) throw wrongTenant(subscriptionId);
  if (ACCESS_IN[registration.state].includes(access)) return;
  switch (registration.state) {
    case "Deleted":
      throw new ServiceError(404, "SubscriptionNotFound", `The subscription '${subscriptionId}' could not be found.`);
    case "Unregistered":
      throw missingRegistration(subscriptionId);
    default:
      throw ErrorFactory.conflict(
        "ReadOnlyDisabledSubscription",
        `The subscription '${subscriptionId}' is disabled and therefore marked as read only. You cannot perform any write actions on this subscription until it is re-enabled.`,
      );
  }
}

/** ARM's answer to a token of a tenant the subscription doesn't belong to (which tenant it is stays unsaid). */
function wrongTenant(subscriptionId: string): ServiceError {
  return new ServiceError(
    403,
    "InvalidAuthenticationTokenTenant",
    `The access token is from a tenant that subscription '${subscriptionId}' is not associated with. Use a token from the subscription's own tenant.`,
  );
}

function missingRegistration(subscriptionId: string): ServiceError {
  return ErrorFactory.conflict(
    "MissingSubscriptionRegistration",
    `The subscription '${subscriptionId}' is not registered to use namespace 'Microsoft.ImportExport'. Register the resource provider for the subscription, then retry.`,
  );
}
