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
  ["Registered", "read", "allowed"],
  ["Registered", "delete", "allowed"],
  ["Registered", "write", "allowed"],
  ["Warned", "read", "allowed"],
  ["Warned", "delete", "allowed"],
  ["Warned", "write", "409 ReadOnlyDisabledSubscription"],
  ["Suspended", "read", "allowed"],
  ["Suspended", "delete", "allowed"],
  ["Suspended", "write", "409 ReadOnlyDisabledSubscription"],
  ["Unregistered", "read", "allowed"],
  ["Unregistered", "delete", "409 MissingSubscriptionRegistration"],
  ["Unregistered", "write", "409 MissingSubscriptionRegistration"],
  ["Deleted", "read", "404 SubscriptionNotFound"],
  ["Deleted", "delete", "404 SubscriptionNotFound"],
  ["Deleted", "write", "404 SubscriptionNotFound"],
])("the owner, %s, %s: %s", (state, access, expected) => {
  expect(outcome(registration(state), "tenant-a", access)).toBe(expected);
});

/** The whole answer (status, code and message), with the subscription id as it is in the message. */
function answer(value: SubscriptionRegistration | undefined, tenantId: string, access: SubscriptionAccess): unknown {
  try {
    assertSubscriptionAccess(value, SUB, tenantId, access);
    return "allowed";
  } catch (error) {
    const { status, code, message } = error as ServiceError;
    return { status, code, message };
  }
}

/**
 * Regression (issue 20): an unknown subscription answered 409 MissingSubscriptionRegistration and
 * another tenant's 403, so any tenant could tell which subscriptions use the provider.
 */
describe("not yours or not known: one answer, whatever the state and the access", () => {
  const notYours = answer(undefined, "tenant-a", "read");

  test("it is 403 InvalidAuthenticationTokenTenant, and its message says both what is and what may be", () => {
    expect(notYours).toEqual({ status: 403, code: "InvalidAuthenticationTokenTenant", message: expect.stringContaining(SUB) });
    expect((notYours as ServiceError).message).toMatch(/not associated with/);
    expect((notYours as ServiceError).message).toMatch(/not registered/);
  });

  test.each([...SUBSCRIPTION_STATES])("another tenant's subscription in state %s", (state) => {
    for (const access of ["read", "delete", "write"] as const) expect(answer(registration(state, "tenant-b"), "tenant-a", access)).toEqual(notYours);
  });

  test("a subscription nobody registered, and one whose registration names no tenant", () => {
    for (const access of ["read", "delete", "write"] as const) {
      expect(answer(undefined, "tenant-a", access)).toEqual(notYours);
      expect(answer({ ...registration("Unregistered"), tenantId: undefined }, "tenant-a", access)).toEqual(notYours);
    }
  });

  test("tenant ids are compared as tokens carry them: no case folding, no empty tenant", () => {
    expect(answer(registration("Registered", "tenant-a"), "TENANT-A", "read")).toEqual(notYours);
    expect(answer({ ...registration("Registered"), tenantId: "" }, "", "read")).toEqual(notYours);
  });
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
