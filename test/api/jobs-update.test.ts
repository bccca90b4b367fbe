/** Jobs_Update (PATCH): what may change in which state, marking Shipping, cancellation, the Creating clock. */
import {
  DELIVERY_PACKAGE,
  driveSpec,
  exportJobBody,
  importJobBody,
  newSubscriptionId,
  RETURN_ADDRESS,
  startTestService,
  TestClock,
  TestService,
} from "../support/service";
import { devToken } from "../support/service";
import { DEV_TENANT } from "../../shared/service/auth/authenticator";
import { api, createJob, expectArmError, jobUrl, readEntity, readStoredJob, setStoredState } from "./helpers";

let service: TestService;
// The service's time: a test moves it on to see a timestamp change.
const clock = new TestClock();
beforeAll(async () => {
  service = await startTestService({}, undefined, clock);
});
afterAll(() => service.close());

const RG = "update-rg";
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

async function patch(sub: string, name: string, body: unknown) {
  return api(service, "PATCH", jobUrl(sub, RG, name), body);
}

async function get(sub: string, name: string) {
  const response = await api(service, "GET", jobUrl(sub, RG, name));
  expect(response.status).toBe(200);
  return response.body;
}

/** A new import job, optionally moved to Shipping through the API. */
async function newJob(name: string, options: { shipping?: boolean } = {}) {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, name);
  if (options.shipping) {
    const response = await patch(sub, name, { properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping" } });
    expect(response.body.properties.state).toBe("Shipping");
  }
  return sub;
}

describe("tags and fields", () => {
  test("tags replace the job's tags", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "tags", importJobBody(sub, { tags: { old: "1" } }));
    const response = await patch(sub, "tags", { tags: { fresh: "2", other: "3" } });
    expect(response.status).toBe(200);
    expect(response.body.tags).toEqual({ fresh: "2", other: "3" });
    expect((await get(sub, "tags")).tags).toEqual({ fresh: "2", other: "3" });
  });

  test("lastModifiedBy/At follow the update; createdAt does not move", async () => {
    const sub = await newJob("modified");
    const before = await get(sub, "modified");
    clock.advance(MINUTE_MS);
    const response = await api(service, "PATCH", jobUrl(sub, RG, "modified"), { tags: { a: "b" } }, { authorization: `Bearer ${devToken({ tid: DEV_TENANT, upn: "bob" })}` });
    expect(response.body.systemData.lastModifiedBy).toBe("bob");
    expect(response.body.systemData.createdBy).toBe("dev-user");
    expect(response.body.systemData.createdAt).toBe(before.systemData.createdAt);
    expect(Date.parse(response.body.systemData.lastModifiedAt)).toBeGreaterThan(Date.parse(before.systemData.lastModifiedAt));
  });

  test("an empty body object is accepted and changes nothing", async () => {
    const sub = await newJob("emptypatch");
    const response = await patch(sub, "emptypatch", {});
    expect(response.status).toBe(200);
    expect(response.body.properties.state).toBe("Creating");
    expect(response.body.properties.driveList).toHaveLength(2);
  });

  test("a new drive list while Creating; on an export job → 400 DriveListNotAllowed", async () => {
    const sub = await newJob("newdrives");
    const response = await patch(sub, "newdrives", { properties: { driveList: [driveSpec("X1"), driveSpec("X2"), driveSpec("X3")] } });
    expect(response.status).toBe(200);
    expect(response.body.properties.driveList.map((d: { driveId: string }) => d.driveId)).toEqual(["X1", "X2", "X3"]);
    await createJob(service, sub, RG, "exportjob", exportJobBody(sub));
    expectArmError(await patch(sub, "exportjob", { properties: { driveList: [driveSpec("X1")] } }), 400, "DriveListNotAllowed");
  });

  test("duplicate drive ids in a PATCH → 400 DuplicateDriveId, stored job unchanged", async () => {
    const sub = await newJob("patchdupes");
    expectArmError(await patch(sub, "patchdupes", { properties: { driveList: [driveSpec("Y"), driveSpec("Y")] } }), 400, "DuplicateDriveId");
    expect((await get(sub, "patchdupes")).properties.driveList.map((d: { driveId: string }) => d.driveId)).toEqual(["DRIVE01", "DRIVE02"]);
  });

  test("a bad field value → 400 with the field as the detail's target", async () => {
    const sub = await newJob("badfield");
    const response = await patch(sub, "badfield", { properties: { deliveryPackage: { carrierName: "FedEx", trackingNumber: "1", driveCount: 11 } } });
    expectArmError(response, 400, "InvalidRequestContent");
    expect(response.body.error.details).toEqual([expect.objectContaining({ target: "properties.deliveryPackage.driveCount" })]);
  });

  test("an unknown job → 404", async () => {
    expectArmError(await patch(newSubscriptionId(), "ghost", { tags: {} }), 404, "ResourceNotFound");
  });

  // Regression: the shipDate form of Microsoft's own examples was refused with 400.
  test("shipDate in Microsoft's example form (M/D/YYYY h:mm:ss AM/PM) is accepted and returned as ISO 8601; ISO stays ISO; anything else is a 400 naming both forms", async () => {
    const sub = await newJob("shipdate");
    const us = await patch(sub, "shipdate", { properties: { deliveryPackage: { ...DELIVERY_PACKAGE, shipDate: "9/29/2017 10:28:35 PM" } } });
    expect(us.status).toBe(200);
    expect(us.body.properties.deliveryPackage.shipDate).toBe("2017-09-29T22:28:35.000Z");
    expect((await get(sub, "shipdate")).properties.deliveryPackage.shipDate).toBe("2017-09-29T22:28:35.000Z");

    const iso = await patch(sub, "shipdate", { properties: { deliveryPackage: { ...DELIVERY_PACKAGE, shipDate: "2026-11-23" } } });
    expect(iso.body.properties.deliveryPackage.shipDate).toBe("2026-11-23");

    const bad = await patch(sub, "shipdate", { properties: { deliveryPackage: { ...DELIVERY_PACKAGE, shipDate: "next tuesday" } } });
    expectArmError(bad, 400, "InvalidRequestContent");
    expect(bad.body.error.details).toEqual([expect.objectContaining({ target: "properties.deliveryPackage.shipDate", message: expect.stringMatching(/ISO-8601.*M\/D\/YYYY/) })]);
    expect((await get(sub, "shipdate")).properties.deliveryPackage.shipDate).toBe("2026-11-23");
  });
});

describe("marking Shipping", () => {
  test("deliveryPackage + returnAddress + state Shipping in one request → Shipping", async () => {
    const sub = await newJob("ship1");
    const response = await patch(sub, "ship1", { properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping" } });
    expect(response.status).toBe(200);
    expect(response.body.properties.state).toBe("Shipping");
    expect(response.body.properties.deliveryPackage).toEqual(DELIVERY_PACKAGE);
    expect(response.body.properties.returnAddress).toEqual(RETURN_ADDRESS);
    expect((await get(sub, "ship1")).properties.state).toBe("Shipping");
    // The Creating deadline no longer applies once shipped.
    expect((await readStoredJob(sub, RG, "ship1")).creatingExpiresAt).toBeUndefined();
    expect((await readEntity(sub, RG, "ship1")).State).toBe("Shipping");
  });

  test("the package and address from an earlier request count; state is case-insensitive", async () => {
    const sub = await newJob("ship2");
    expect((await patch(sub, "ship2", { properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS } })).body.properties.state).toBe(
      "Creating",
    );
    const response = await patch(sub, "ship2", { properties: { state: "shipping" } });
    expect(response.status).toBe(200);
    expect(response.body.properties.state).toBe("Shipping");
  });

  test("Shipping without a delivery package → 400 ShippingInformationMissing, stored job unchanged", async () => {
    const sub = await newJob("ship3");
    const before = await get(sub, "ship3");
    const response = await patch(sub, "ship3", { tags: { changed: "yes" }, properties: { returnAddress: RETURN_ADDRESS, state: "Shipping" } });
    expectArmError(response, 400, "ShippingInformationMissing", { target: "properties.state", message: /deliveryPackage/ });
    expect(response.body.error.message).not.toMatch(/returnAddress/);
    const after = await get(sub, "ship3");
    expect(after).toEqual(before);
    expect(after.properties.state).toBe("Creating");
    expect(after.tags).toEqual({});
    expect(after.properties.returnAddress).toBeUndefined();
  });

  test("Shipping without a return address → 400 ShippingInformationMissing naming it", async () => {
    const sub = await newJob("ship4");
    const response = await patch(sub, "ship4", { properties: { deliveryPackage: DELIVERY_PACKAGE, state: "Shipping" } });
    expectArmError(response, 400, "ShippingInformationMissing", { message: /returnAddress/ });
    expect((await get(sub, "ship4")).properties.deliveryPackage).toBeUndefined();
  });

  test('state "" is no change', async () => {
    const sub = await newJob("ship5");
    const response = await patch(sub, "ship5", { tags: { k: "v" }, properties: { state: "" } });
    expect(response.status).toBe(200);
    expect(response.body.properties.state).toBe("Creating");
    expect(response.body.tags).toEqual({ k: "v" });
  });

  test.each(["Received", "Completed", "Creating", "Bogus"])("state %p → 400 naming properties.state", async (state) => {
    const sub = await newJob("ship6");
    const response = await patch(sub, "ship6", { properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state } });
    expectArmError(response, 400, "InvalidRequestContent");
    expect(response.body.error.details).toEqual([expect.objectContaining({ target: "properties.state", code: "InvalidPropertyValue" })]);
    expect((await get(sub, "ship6")).properties.state).toBe("Creating");
  });

  test("Shipping again on a Shipping job is a no-op 200", async () => {
    const sub = await newJob("ship7", { shipping: true });
    const response = await patch(sub, "ship7", { properties: { state: "Shipping" } });
    expect(response.status).toBe(200);
    expect(response.body.properties.state).toBe("Shipping");
  });

  test("Shipping on a Completed job → 409 InvalidJobStateTransition", async () => {
    const sub = await newJob("ship8");
    await patch(sub, "ship8", { properties: { cancelRequested: true } });
    const response = await patch(sub, "ship8", { properties: { state: "Shipping" } });
    expectArmError(response, 409, "InvalidJobStateTransition", { message: /Completed/ });
  });

  test("cancel and Shipping in one request → 400 ConflictingUpdate", async () => {
    const sub = await newJob("ship9");
    const response = await patch(sub, "ship9", {
      properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping", cancelRequested: true },
    });
    expectArmError(response, 400, "ConflictingUpdate");
    expect((await get(sub, "ship9")).properties).toMatchObject({ state: "Creating", cancelRequested: false });
  });
});

describe("the two-week Creating clock", () => {
  test("set at creation and restarted by each update while Creating", async () => {
    const sub = await newJob("clock");
    const created = await readStoredJob(sub, RG, "clock");
    expect(Date.parse(created.creatingExpiresAt) - Date.parse(created.createdAt)).toBe(14 * DAY_MS);
    clock.advance(MINUTE_MS);
    const before = clock.now().getTime();
    const response = await patch(sub, "clock", { tags: { touch: "1" } });
    const after = clock.now().getTime();
    expect(response.status).toBe(200);
    const updated = await readStoredJob(sub, RG, "clock");
    const deadline = Date.parse(updated.creatingExpiresAt);
    expect(deadline).toBeGreaterThan(Date.parse(created.creatingExpiresAt));
    expect(deadline).toBeGreaterThanOrEqual(before + 14 * DAY_MS);
    expect(deadline).toBeLessThanOrEqual(after + 14 * DAY_MS);
    expect(deadline - Date.parse(updated.lastModifiedAt)).toBe(14 * DAY_MS);
  });

  test("a PUT on the existing job restarts it too", async () => {
    const sub = await newJob("clock2");
    const created = await readStoredJob(sub, RG, "clock2");
    clock.advance(MINUTE_MS);
    expect((await api(service, "PUT", jobUrl(sub, RG, "clock2"), importJobBody(sub, { tags: { p: "1" } }))).status).toBe(200);
    const updated = await readStoredJob(sub, RG, "clock2");
    expect(Date.parse(updated.creatingExpiresAt)).toBeGreaterThan(Date.parse(created.creatingExpiresAt));
  });

  test("a refused update does not restart it", async () => {
    const sub = await newJob("clock3");
    const created = await readStoredJob(sub, RG, "clock3");
    clock.advance(MINUTE_MS);
    expectArmError(await patch(sub, "clock3", { properties: { state: "Shipping" } }), 400, "ShippingInformationMissing");
    expect((await readStoredJob(sub, RG, "clock3")).creatingExpiresAt).toBe(created.creatingExpiresAt);
  });
});

describe("cancellation", () => {
  test("in Creating → Completed with cancelRequested true, 100% complete", async () => {
    const sub = await newJob("cancel1");
    const response = await patch(sub, "cancel1", { properties: { cancelRequested: true } });
    expect(response.status).toBe(200);
    expect(response.body.properties).toMatchObject({ state: "Completed", cancelRequested: true, percentComplete: 100 });
    expect((await get(sub, "cancel1")).properties.state).toBe("Completed");
    const stored = await readStoredJob(sub, RG, "cancel1");
    expect(stored.creatingExpiresAt).toBeUndefined();
    expect((await readEntity(sub, RG, "cancel1")).State).toBe("Completed");
  });

  test("in Shipping → stays Shipping with cancelRequested true", async () => {
    const sub = await newJob("cancel2", { shipping: true });
    const response = await patch(sub, "cancel2", { properties: { cancelRequested: true } });
    expect(response.status).toBe(200);
    expect(response.body.properties).toMatchObject({ state: "Shipping", cancelRequested: true });
    expect((await get(sub, "cancel2")).properties.cancelRequested).toBe(true);
  });

  test("in Received (operator state) → stays Received with cancelRequested true", async () => {
    const sub = await newJob("cancel2b", { shipping: true });
    await setStoredState(sub, RG, "cancel2b", "Received");
    const response = await patch(sub, "cancel2b", { properties: { cancelRequested: true } });
    expect(response.status).toBe(200);
    expect(response.body.properties).toMatchObject({ state: "Received", cancelRequested: true });
  });

  test("cancelling a cancelled job is idempotent", async () => {
    const sub = await newJob("cancel3");
    const first = await patch(sub, "cancel3", { properties: { cancelRequested: true } });
    const second = await patch(sub, "cancel3", { properties: { cancelRequested: true } });
    expect(second.status).toBe(200);
    expect(second.body.properties).toMatchObject({ state: "Completed", cancelRequested: true });
    expect(second.body.properties.state).toBe(first.body.properties.state);
    const shipped = await newJob("cancel3b", { shipping: true });
    await patch(shipped, "cancel3b", { properties: { cancelRequested: true } });
    const again = await patch(shipped, "cancel3b", { properties: { cancelRequested: true } });
    expect(again.status).toBe(200);
    expect(again.body.properties).toMatchObject({ state: "Shipping", cancelRequested: true });
  });

  test("cancelRequested false after a cancel → 409; false on an uncancelled job is no change", async () => {
    const sub = await newJob("cancel4", { shipping: true });
    const noop = await patch(sub, "cancel4", { properties: { cancelRequested: false } });
    expect(noop.status).toBe(200);
    expect(noop.body.properties.cancelRequested).toBe(false);
    await patch(sub, "cancel4", { properties: { cancelRequested: true } });
    const response = await patch(sub, "cancel4", { properties: { cancelRequested: false } });
    expectArmError(response, 409, "CancellationCannotBeWithdrawn", { target: "properties.cancelRequested" });
    expect((await get(sub, "cancel4")).properties.cancelRequested).toBe(true);
  });

  test("in Packaging → 409 CancellationNotAllowed", async () => {
    const sub = await newJob("cancel5", { shipping: true });
    await setStoredState(sub, RG, "cancel5", "Packaging");
    const response = await patch(sub, "cancel5", { properties: { cancelRequested: true } });
    expectArmError(response, 409, "CancellationNotAllowed", { target: "properties.cancelRequested", message: /Packaging/ });
    expect((await get(sub, "cancel5")).properties).toMatchObject({ state: "Packaging", cancelRequested: false });
  });

  test("in Closed → 409 CancellationNotAllowed", async () => {
    const sub = await newJob("cancel6", { shipping: true });
    await setStoredState(sub, RG, "cancel6", "Closed");
    expectArmError(await patch(sub, "cancel6", { properties: { cancelRequested: true } }), 409, "CancellationNotAllowed", { message: /Closed/ });
  });

  test("in Faulted → 409 JobFaulted mentioning an operator", async () => {
    const sub = await newJob("cancel7", { shipping: true });
    await setStoredState(sub, RG, "cancel7", "Faulted");
    const response = await patch(sub, "cancel7", { properties: { cancelRequested: true } });
    expectArmError(response, 409, "JobFaulted", { message: /operator/ });
    expect((await get(sub, "cancel7")).properties).toMatchObject({ state: "Faulted", cancelRequested: false });
  });
});

describe("what may change after Creating", () => {
  test("deliveryPackage after Completed → 409 PropertyNotUpdatable; the same value is no change", async () => {
    const sub = await newJob("late1");
    await patch(sub, "late1", { properties: { deliveryPackage: DELIVERY_PACKAGE } });
    await patch(sub, "late1", { properties: { cancelRequested: true } });
    const changed = await patch(sub, "late1", { properties: { deliveryPackage: { ...DELIVERY_PACKAGE, trackingNumber: "999" } } });
    expectArmError(changed, 409, "PropertyNotUpdatable", { target: "properties.deliveryPackage", message: /Completed/ });
    expect((await get(sub, "late1")).properties.deliveryPackage).toEqual(DELIVERY_PACKAGE);
    expect((await patch(sub, "late1", { properties: { deliveryPackage: DELIVERY_PACKAGE } })).status).toBe(200);
  });

  test("tags on a Completed job are allowed", async () => {
    const sub = await newJob("late2");
    await patch(sub, "late2", { properties: { cancelRequested: true } });
    const response = await patch(sub, "late2", { tags: { archived: "true" } });
    expect(response.status).toBe(200);
    expect(response.body.tags).toEqual({ archived: "true" });
    expect(response.body.properties.state).toBe("Completed");
  });

  test("in Shipping: the delivery package may still change, the drive list may not", async () => {
    const sub = await newJob("late3", { shipping: true });
    const moved = await patch(sub, "late3", { properties: { deliveryPackage: { ...DELIVERY_PACKAGE, trackingNumber: "555" } } });
    expect(moved.status).toBe(200);
    expect(moved.body.properties.deliveryPackage.trackingNumber).toBe("555");
    expectArmError(await patch(sub, "late3", { properties: { driveList: [driveSpec("Z")] } }), 409, "PropertyNotUpdatable", {
      target: "properties.driveList",
    });
  });

  test("in Received: the return address may change, the delivery package may not", async () => {
    const sub = await newJob("late4", { shipping: true });
    await setStoredState(sub, RG, "late4", "Received");
    const address = await patch(sub, "late4", { properties: { returnAddress: { ...RETURN_ADDRESS, city: "Seattle" } } });
    expect(address.status).toBe(200);
    expect(address.body.properties.returnAddress.city).toBe("Seattle");
    expectArmError(
      await patch(sub, "late4", { properties: { deliveryPackage: { ...DELIVERY_PACKAGE, carrierName: "UPS" } } }),
      409,
      "PropertyNotUpdatable",
    );
  });
});
