/**
 * ARM's subscription lifecycle notification, `PUT /subscriptions/{id}?api-version=2.0`, as the ARM RPC
 * defines it: only ARM (an operator-role caller) sends it; it names the subscription's tenant and
 * state, and the latest state wins. Registered allows everything; Warned and Suspended GET and DELETE
 * only; Unregistered GETs only; Deleted nothing. Another tenant is refused in every state.
 */
import { randomUUID } from "node:crypto";
import { getServices } from "../../shared/app/services";
import { API, devToken, importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { expectArmError, jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { bearer, send } from "./helpers";

const CAROL_TENANT = randomUUID();
const CAROL = bearer(devToken({ tid: CAROL_TENANT, upn: "carol@tenant-c.test" }));
const DAVE_TENANT = randomUUID();
const DAVE = bearer(devToken({ tid: DAVE_TENANT, upn: "dave@tenant-d.test" }));
const OPERATOR = bearer(devToken({ tid: randomUUID(), upn: "arm", roles: ["ImportExport.Operator"] }));
const RG = "lifecycle-rg";

let service: TestService;
beforeAll(async () => {
  service = await startTestService(uniqueStorageNames());
});
afterAll(() => service.close());

function notification(state: string, tenantId?: string, extra: Record<string, unknown> = {}) {
  return {
    state,
    registrationDate: "Tue, 15 Nov 1994 08:12:31 GMT",
    properties: { ...(tenantId ? { tenantId } : {}), locationPlacementId: "Internal_2014-09-01", quotaId: "Default_2014-09-01", registeredFeatures: [], ...extra },
  };
}

async function notify(sub: string, body: unknown, authorization = OPERATOR) {
  return send(service, "PUT", `/subscriptions/${sub}?api-version=2.0`, { authorization, body });
}

const listPath = (sub: string) => `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`;

describe("the notification itself", () => {
  test("answers 200 with the request as sent, unknown properties included", async () => {
    const sub = newSubscriptionId();
    const body = notification("Registered", CAROL_TENANT, { additionalProperties: { billingProperties: { channelType: "CustomerLed" } } });
    const response = await notify(sub, body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(body);
  });

  test("only an operator-role caller (ARM) may send it: no token 401, a customer token 403", async () => {
    const sub = newSubscriptionId();
    expectArmError(await notify(sub, notification("Registered", CAROL_TENANT), null as unknown as string), 401, "AuthenticationFailed");
    expectArmError(await notify(sub, notification("Registered", DAVE_TENANT), CAROL), 403, "AuthorizationFailed");
    // Carol's attempt registered nothing: the subscription is still free for its first user.
    expect((await send(service, "GET", listPath(sub), { authorization: CAROL })).status).toBe(200);
  });

  test("api-version 2.0 only; a bad state or tenant id is a 400", async () => {
    const sub = newSubscriptionId();
    expectArmError(await send(service, "PUT", `/subscriptions/${sub}?${API}`, { authorization: OPERATOR, body: notification("Registered", CAROL_TENANT) }), 400, "InvalidApiVersionParameter");
    expectArmError(await send(service, "PUT", `/subscriptions/${sub}`, { authorization: OPERATOR, body: notification("Registered", CAROL_TENANT) }), 400, "MissingApiVersionParameter");
    expectArmError(await notify(sub, notification("Enabled", CAROL_TENANT)), 400, "InvalidRequestContent");
    expectArmError(await notify(sub, { state: "Registered", properties: { tenantId: 42 } }), 400, "InvalidRequestContent");
    expectArmError(await notify("not-a-guid", notification("Registered", CAROL_TENANT)), 400, "InvalidSubscriptionId");
  });

  test("an Unregistered notice for a subscription never seen is a 200 (idempotent, as the RPC asks)", async () => {
    expect((await notify(newSubscriptionId(), notification("Unregistered"))).status).toBe(200);
  });
});

describe("what each state allows the owning tenant", () => {
  const sub = newSubscriptionId();

  beforeAll(async () => {
    expect((await notify(sub, notification("Registered", CAROL_TENANT))).status).toBe(200);
  });

  test("Registered: the notified tenant works; another tenant, even first to use it in dev mode, gets 403", async () => {
    expect((await send(service, "PUT", jobUrl(sub, RG, "carols-job"), { authorization: CAROL, body: importJobBody(sub) })).status).toBe(201);
    expectArmError(await send(service, "GET", listPath(sub), { authorization: DAVE }), 403, "InvalidAuthenticationTokenTenant");
    expectArmError(await send(service, "PUT", jobUrl(sub, RG, "daves-job"), { authorization: DAVE, body: importJobBody(sub) }), 403, "InvalidAuthenticationTokenTenant");
  });

  test.each(["Warned", "Suspended"])("%s: GET, list and DELETE work; PUT, PATCH and POST are 409 ReadOnlyDisabledSubscription", async (state) => {
    expect((await send(service, "PUT", jobUrl(sub, RG, `to-delete-${state}`), { authorization: CAROL, body: importJobBody(sub) })).status).toBe(201);
    expect((await notify(sub, notification(state, CAROL_TENANT))).status).toBe(200);

    expect((await send(service, "GET", jobUrl(sub, RG, "carols-job"), { authorization: CAROL })).status).toBe(200);
    expect((await send(service, "GET", listPath(sub), { authorization: CAROL })).status).toBe(200);
    for (const [method, path, body] of [
      ["PUT", jobUrl(sub, RG, "new-job"), importJobBody(sub)],
      ["PATCH", jobUrl(sub, RG, "carols-job"), { tags: { a: "b" } }],
      ["POST", jobUrl(sub, RG, "carols-job", "/listBitLockerKeys"), undefined],
    ] as const) {
      expectArmError(await send(service, method, path, { authorization: CAROL, body }), 409, "ReadOnlyDisabledSubscription");
    }
    expect((await send(service, "DELETE", jobUrl(sub, RG, `to-delete-${state}`), { authorization: CAROL })).status).toBe(200);
    // The tenant is checked first: a stranger learns nothing of the state.
    expectArmError(await send(service, "GET", listPath(sub), { authorization: DAVE }), 403, "InvalidAuthenticationTokenTenant");

    // Back to Registered (a restored subscription): writes work again.
    expect((await notify(sub, notification("Registered", CAROL_TENANT))).status).toBe(200);
    expect((await send(service, "PATCH", jobUrl(sub, RG, "carols-job"), { authorization: CAROL, body: { tags: { state } } })).status).toBe(200);
  });

  test("Unregistered: GETs only; anything else is 409 MissingSubscriptionRegistration", async () => {
    expect((await notify(sub, notification("Unregistered", CAROL_TENANT))).status).toBe(200);
    expect((await send(service, "GET", jobUrl(sub, RG, "carols-job"), { authorization: CAROL })).status).toBe(200);
    expectArmError(await send(service, "PUT", jobUrl(sub, RG, "new-job"), { authorization: CAROL, body: importJobBody(sub) }), 409, "MissingSubscriptionRegistration");
    expectArmError(await send(service, "DELETE", jobUrl(sub, RG, "carols-job"), { authorization: CAROL }), 409, "MissingSubscriptionRegistration");
  });

  test("a notification without a tenant keeps the one known", async () => {
    expect((await notify(sub, notification("Registered"))).status).toBe(200);
    expect((await send(service, "GET", jobUrl(sub, RG, "carols-job"), { authorization: CAROL })).status).toBe(200);
    expectArmError(await send(service, "GET", listPath(sub), { authorization: DAVE }), 403, "InvalidAuthenticationTokenTenant");
  });

  test("Deleted: every call is 404 SubscriptionNotFound", async () => {
    expect((await notify(sub, notification("Deleted", CAROL_TENANT))).status).toBe(200);
    expectArmError(await send(service, "GET", jobUrl(sub, RG, "carols-job"), { authorization: CAROL }), 404, "SubscriptionNotFound");
    expectArmError(await send(service, "GET", listPath(sub), { authorization: CAROL }), 404, "SubscriptionNotFound");
  });

  /**
   * Regression (issue 20): after a move the jobs stayed with the old tenant's id, so the new owner got
   * 404 on its own subscription's jobs and could not even reuse their names.
   */
  test("a subscription moved to another directory takes its jobs: the new tenant owns them, the old one is refused", async () => {
    const moved = newSubscriptionId();
    expect((await notify(moved, notification("Registered", CAROL_TENANT))).status).toBe(200);
    expect((await send(service, "PUT", jobUrl(moved, RG, "before-the-move"), { authorization: CAROL, body: importJobBody(moved) })).status).toBe(201);
    expect((await send(service, "PUT", jobUrl(moved, "other-rg", "second"), { authorization: CAROL, body: importJobBody(moved) })).status).toBe(201);

    expect((await notify(moved, notification("Registered", DAVE_TENANT))).status).toBe(200);

    // Dave reads, lists, updates and fetches the keys of the jobs made before the move.
    const read = await send(service, "GET", jobUrl(moved, RG, "before-the-move"), { authorization: DAVE });
    expect(read.status).toBe(200);
    expect(read.body.name).toBe("before-the-move");
    const listed = await send(service, "GET", listPath(moved), { authorization: DAVE });
    expect(listed.status).toBe(200);
    expect(listed.body.value.map((job: { name: string }) => job.name).sort()).toEqual(["before-the-move", "second"]);
    expect((await send(service, "PATCH", jobUrl(moved, RG, "before-the-move"), { authorization: DAVE, body: { tags: { owner: "dave" } } })).status).toBe(200);
    expect((await send(service, "POST", jobUrl(moved, RG, "before-the-move", "/listBitLockerKeys"), { authorization: DAVE })).status).toBe(200);
    // A name of the old owner's is Dave's to redefine, or to delete and take again.
    expect((await send(service, "PUT", jobUrl(moved, "other-rg", "second"), { authorization: DAVE, body: importJobBody(moved, { tags: { redefined: "yes" } }) })).status).toBe(200);
    expect((await send(service, "DELETE", jobUrl(moved, "other-rg", "second"), { authorization: DAVE })).status).toBe(200);
    expect((await send(service, "PUT", jobUrl(moved, "other-rg", "second"), { authorization: DAVE, body: importJobBody(moved) })).status).toBe(201);

    // Carol, the old owner, gets the stranger's answer on everything, her old jobs included.
    for (const [method, path] of [
      ["GET", listPath(moved)],
      ["GET", jobUrl(moved, RG, "before-the-move")],
      ["POST", jobUrl(moved, RG, "before-the-move", "/listBitLockerKeys")],
      ["DELETE", jobUrl(moved, RG, "before-the-move")],
    ]) {
      expectArmError(await send(service, method, path, { authorization: CAROL }), 403, "InvalidAuthenticationTokenTenant");
    }
    expect((await send(service, "GET", jobUrl(moved, RG, "before-the-move"), { authorization: DAVE })).body.tags).toEqual({ owner: "dave" });
  });
});

test("belongsTo, for checks beyond the subscription's own calls: the owner's in any state but Deleted; never another tenant's or an unknown one", async () => {
  const subscriptions = (await getServices()).subscriptions;
  const sub = newSubscriptionId();
  for (const state of ["Registered", "Warned", "Suspended", "Unregistered"]) {
    expect((await notify(sub, notification(state, CAROL_TENANT))).status).toBe(200);
    expect({ state, carol: await subscriptions.belongsTo(sub, CAROL_TENANT), dave: await subscriptions.belongsTo(sub, DAVE_TENANT) }).toEqual({ state, carol: true, dave: false });
  }
  expect((await notify(sub, notification("Deleted", CAROL_TENANT))).status).toBe(200);
  expect(await subscriptions.belongsTo(sub, CAROL_TENANT)).toBe(false);

  // Asking about an unknown subscription registers nothing, even in dev mode: its first user still gets it.
  const unknown = newSubscriptionId();
  expect(await subscriptions.belongsTo(unknown, DAVE_TENANT)).toBe(false);
  expect((await send(service, "GET", listPath(unknown), { authorization: CAROL })).status).toBe(200);
  expect(await subscriptions.belongsTo(unknown, CAROL_TENANT)).toBe(true);
});
