/** Subscription registrations: what each state allows, and how notifications change them (pure). */
import {
  ACCESS_IN,
  applyNotification,
  assertSubscriptionAccess,
  firstUseRegistration,
  SUBSCRIPTION_STATES,
  SubscriptionAccess,
  SubscriptionRegistration,
  SubscriptionState,
} from "../../shared/domain/subscription";
import { ServiceError } from "../../shared/domain/errors";

const SUB = "6e2b5f6a-0000-4000-8000-000000000001";
const NOW = new Date("2026-11-25T12:00:00Z");

function registration(state: SubscriptionState, tenantId = "tenant-a"): SubscriptionRegistration {
  return { subscriptionId: SUB, tenantId, state, updatedAt: NOW.toISOString(), source: "notification" };
}

function outcome(value: SubscriptionRegistration | undefined, tenantId: string, access: SubscriptionAccess): string {
  try {
    assertSubscriptionAccess(value, SUB, tenantId, access);
    return "allowed";
  } catch (error) {
    return `${(error as ServiceError).status} ${(error as ServiceError).code}`;
  }
}

test("the states' rules, as the ARM RPC defines them", () => {
  expect(ACCESS_IN).toEqual({
    Registered: ["read", "delete", "write"],
    Warned: ["read", "delete"],
    Suspended: ["read", "delete"],
    Unregistered: ["read"],
    Deleted: [],
  });
});

test.each<[SubscriptionState, SubscriptionAccess, string]>([
  ["Registered", "write", "allowed"],
  ["Warned", "read", "allowed"],
  ["Warned", "delete", "allowed"],
  ["Warned", "write", "409 ReadOnlyDisabledSubscription"],
  ["Suspended", "write", "409 ReadOnlyDisabledSubscription"],
  ["Unregistered", "read", "allowed"],
  ["Unregistered", "delete", "409 MissingSubscriptionRegistration"],
  ["Deleted", "read", "404 SubscriptionNotFound"],
])("the owner, %s, %s: %s", (state, access, expected) => {
  expect(outcome(registration(state), "tenant-a", access)).toBe(expected);
});

test.each([...SUBSCRIPTION_STATES])("another tenant is refused alike in state %s", (state) => {
  for (const access of ["read", "delete", "write"] as const) expect(outcome(registration(state), "tenant-b", access)).toBe("403 InvalidAuthenticationTokenTenant");
});


test("no registration at all: 409 MissingSubscriptionRegistration; a registration without a tenant belongs to nobody", () => {
  expect(outcome(undefined, "tenant-a", "read")).toBe("409 MissingSubscriptionRegistration");
  expect(outcome({ ...registration("Registered"), tenantId: undefined }, "tenant-a", "read")).toBe("403 InvalidAuthenticationTokenTenant");
});

test("a notification: the latest state wins; a missing tenant or date keeps the known one", () => {
  const first = applyNotification(SUB, undefined, { state: "Registered", tenantId: "tenant-a", registrationDate: "Tue, 15 Nov 1994 08:12:31 GMT" }, NOW);
  expect(first).toEqual({ subscriptionId: SUB, tenantId: "tenant-a", state: "Registered", registrationDate: "Tue, 15 Nov 1994 08:12:31 GMT", updatedAt: NOW.toISOString(), source: "notification" });
  const warned = applyNotification(SUB, first, { state: "Warned" }, NOW);
  expect(warned).toMatchObject({ tenantId: "tenant-a", state: "Warned", registrationDate: "Tue, 15 Nov 1994 08:12:31 GMT" });
  expect(applyNotification(SUB, warned, { state: "Registered", tenantId: "tenant-b" }, NOW).tenantId).toBe("tenant-b");
});

test("first use registers the subscription to the caller's tenant", () => {
  expect(firstUseRegistration(SUB, "tenant-a", NOW)).toEqual({ subscriptionId: SUB, tenantId: "tenant-a", state: "Registered", updatedAt: NOW.toISOString(), source: "firstUse" });
});
