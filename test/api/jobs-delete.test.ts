/** Jobs_Delete: which states may be deleted, and that the keys go with the job. */
import { DELIVERY_PACKAGE, importJobBody, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";
import { api, createJob, entityExists, expectArmError, jobUrl, setStoredState } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "delete-rg";

async function shippedJob(name: string): Promise<string> {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, name);
  const response = await api(service, "PATCH", jobUrl(sub, RG, name), {
    properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping" },
  });
  expect(response.body.properties.state).toBe("Shipping");
  return sub;
}

test("in Creating → 200; then Get, listBitLockerKeys → 404 and the entity is gone", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "doomed");
  expect(await entityExists(sub, RG, "doomed")).toBe(true);
  const response = await api(service, "DELETE", jobUrl(sub, RG, "doomed"));
  expect(response.status).toBe(200);
  expect(response.body).toBeUndefined();
  expectArmError(await api(service, "GET", jobUrl(sub, RG, "doomed")), 404, "ResourceNotFound");
  expectArmError(await api(service, "POST", jobUrl(sub, RG, "doomed", "/listBitLockerKeys")), 404, "ResourceNotFound");
  expect(await entityExists(sub, RG, "doomed")).toBe(false);
});

test("the job name in another case deletes the job", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "CaseDelete");
  expect((await api(service, "DELETE", jobUrl(sub, RG.toUpperCase(), "casedelete"))).status).toBe(200);
  expect(await entityExists(sub, RG, "CaseDelete")).toBe(false);
});

test("in Completed (cancelled) → 200", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "cancelled");
  const cancel = await api(service, "PATCH", jobUrl(sub, RG, "cancelled"), { properties: { cancelRequested: true } });
  expect(cancel.body.properties.state).toBe("Completed");
  expect((await api(service, "DELETE", jobUrl(sub, RG, "cancelled"))).status).toBe(200);
  expect(await entityExists(sub, RG, "cancelled")).toBe(false);
});

test("a deleted job's name can be used again", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "reborn", importJobBody(sub, { tags: { first: "life" } }));
  expect((await api(service, "DELETE", jobUrl(sub, RG, "reborn"))).status).toBe(200);
  const again = await createJob(service, sub, RG, "reborn");
  expect(again.status).toBe(201);
  expect(again.body.tags).toEqual({});
});

test("an unknown job, or a second delete → 404 ResourceNotFound", async () => {
  const sub = newSubscriptionId();
  expectArmError(await api(service, "DELETE", jobUrl(sub, RG, "never")), 404, "ResourceNotFound");
  await createJob(service, sub, RG, "twice");
  expect((await api(service, "DELETE", jobUrl(sub, RG, "twice"))).status).toBe(200);
  expectArmError(await api(service, "DELETE", jobUrl(sub, RG, "twice")), 404, "ResourceNotFound");
});

test("in Shipping → 409 JobNotDeletable saying when; the job stays", async () => {
  const sub = await shippedJob("inflight");
  const response = await api(service, "DELETE", jobUrl(sub, RG, "inflight"));
  expectArmError(response, 409, "JobNotDeletable", { message: /'Shipping'.*once it is 'Completed'/ });
  expect(await entityExists(sub, RG, "inflight")).toBe(true);
  expect((await api(service, "GET", jobUrl(sub, RG, "inflight"))).status).toBe(200);
});

test("in Closed → 409 JobNotDeletable mentioning the 90-day purge", async () => {
  const sub = await shippedJob("closed");
  await setStoredState(sub, RG, "closed", "Closed");
  const response = await api(service, "DELETE", jobUrl(sub, RG, "closed"));
  expectArmError(response, 409, "JobNotDeletable", { message: /90 days/ });
  expect(await entityExists(sub, RG, "closed")).toBe(true);
});

test.each(["Received", "Transferring", "Packaging", "Faulted"])("in %s → 409 JobNotDeletable", async (state) => {
  const sub = await shippedJob(`in-${state.toLowerCase()}`);
  await setStoredState(sub, RG, `in-${state.toLowerCase()}`, state);
  const response = await api(service, "DELETE", jobUrl(sub, RG, `in-${state.toLowerCase()}`));
  expectArmError(response, 409, "JobNotDeletable", { message: new RegExp(`'${state}'`) });
  expect(await entityExists(sub, RG, `in-${state.toLowerCase()}`)).toBe(true);
});

test("in Completed after the drives came back (operator state) → 200", async () => {
  const sub = await shippedJob("returned");
  await setStoredState(sub, RG, "returned", "Completed");
  expect((await api(service, "DELETE", jobUrl(sub, RG, "returned"))).status).toBe(200);
  expect(await entityExists(sub, RG, "returned")).toBe(false);
});
