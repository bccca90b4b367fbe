/**
 * The Creating deadline follows CREATING_JOB_LIFETIME. A separate file, because the setting is
 * process-wide for the service under test.
 */
import { newSubscriptionId, startTestService, TestClock, TestService } from "../support/service";
import { api, createJob, jobUrl, readStoredJob } from "./helpers";

let service: TestService;
const clock = new TestClock();
beforeAll(async () => {
  service = await startTestService({ CREATING_JOB_LIFETIME: "PT1H" }, undefined, clock);
});
afterAll(() => service.close());

const HOUR_MS = 3_600_000;

test("with CREATING_JOB_LIFETIME=PT1H the deadline is an hour after creation and after each update", async () => {
  const sub = newSubscriptionId();
  const beforeCreate = clock.now().getTime();
  await createJob(service, sub, "life-rg", "hourly");
  const created = await readStoredJob(sub, "life-rg", "hourly");
  const createdDeadline = Date.parse(created.creatingExpiresAt);
  expect(createdDeadline).toBeGreaterThanOrEqual(beforeCreate + HOUR_MS);
  expect(createdDeadline).toBeLessThanOrEqual(clock.now().getTime() + HOUR_MS);

  clock.advance(60_000);
  const beforeUpdate = clock.now().getTime();
  expect((await api(service, "PATCH", jobUrl(sub, "life-rg", "hourly"), { tags: { t: "1" } })).status).toBe(200);
  const updated = await readStoredJob(sub, "life-rg", "hourly");
  const updatedDeadline = Date.parse(updated.creatingExpiresAt);
  expect(updatedDeadline).toBeGreaterThan(createdDeadline);
  expect(updatedDeadline).toBeGreaterThanOrEqual(beforeUpdate + HOUR_MS);
  expect(updatedDeadline).toBeLessThanOrEqual(clock.now().getTime() + HOUR_MS);
});
