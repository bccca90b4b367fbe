/** Concurrent writers: every lost ETag race is retried or reported as a 409, never lost or a 5xx. */
import { newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob, expectArmError, jobUrl, readEntity } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "concurrency-rg";

test("10 concurrent PATCHes with different tags: each 200 or 409 ConcurrentUpdateConflict; the final tags are one writer's", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "contended");
  const tagSets = Array.from({ length: 10 }, (_, i) => ({ [`writer${i}`]: String(i), shared: `from-${i}` }));
  const responses = await Promise.all(tagSets.map((tags) => api(service, "PATCH", jobUrl(sub, RG, "contended"), { tags })));

  const succeeded: Record<string, string>[] = [];
  responses.forEach((response, i) => {
    expect(response.status).toBeLessThan(500);
    if (response.status === 200) {
      expect(response.body.tags).toEqual(tagSets[i]);
      succeeded.push(tagSets[i]);
    } else {
      expectArmError(response, 409, "ConcurrentUpdateConflict");
    }
  });
  expect(succeeded.length).toBeGreaterThanOrEqual(1);

  const final = await api(service, "GET", jobUrl(sub, RG, "contended"));
  expect(final.status).toBe(200);
  // Whole tag sets are written: the result is exactly one successful writer's set, never a blend.
  expect(succeeded).toContainEqual(final.body.tags);
  expect(Object.keys(final.body.tags)).toHaveLength(2);
  // The stored document and the response agree.
  expect(JSON.parse((await readEntity(sub, RG, "contended")).Job).tags).toEqual(final.body.tags);
});

test("concurrent cancel and tag updates: the cancellation is never lost", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "cancel-race");
  const requests = [
    api(service, "PATCH", jobUrl(sub, RG, "cancel-race"), { properties: { cancelRequested: true } }),
    ...Array.from({ length: 5 }, (_, i) => api(service, "PATCH", jobUrl(sub, RG, "cancel-race"), { tags: { [`t${i}`]: "x" } })),
  ];
  const [cancel, ...others] = await Promise.all(requests);
  for (const response of [cancel, ...others]) {
    if (response.status !== 200) expectArmError(response, 409, "ConcurrentUpdateConflict");
  }
  const final = await api(service, "GET", jobUrl(sub, RG, "cancel-race"));
  if (cancel.status === 200) {
    expect(final.body.properties).toMatchObject({ state: "Completed", cancelRequested: true });
  } else {
    expect(final.body.properties).toMatchObject({ state: "Creating", cancelRequested: false });
  }
});

test("concurrent delete and update: the job ends deleted or updated, never half of each, never 5xx", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, RG, "delete-race");
  const [deleted, updated] = await Promise.all([
    api(service, "DELETE", jobUrl(sub, RG, "delete-race")),
    api(service, "PATCH", jobUrl(sub, RG, "delete-race"), { tags: { late: "yes" } }),
  ]);
  expect(deleted.status).toBe(200);
  expect([200, 404, 409]).toContain(updated.status);
  if (updated.status !== 200) expectArmError(updated, updated.status, updated.status === 404 ? "ResourceNotFound" : "ConcurrentUpdateConflict");
  expectArmError(await api(service, "GET", jobUrl(sub, RG, "delete-race")), 404, "ResourceNotFound");
});
