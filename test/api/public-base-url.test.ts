/**
 * PUBLIC_BASE_URL: behind ARM or a gateway, links in responses (nextLink) are built on the configured
 * public base URL and the request's own path and query, whatever headers the client sends.
 */
import { API, newSubscriptionId, startTestService, TestService } from "../support/service";
import { markShipping, operatorJobPath } from "../operator/helpers";
import { api, createJob } from "./helpers";

const PUBLIC_BASE_URL = "https://gateway.example.test/importexport/";
let service: TestService;

beforeAll(async () => {
  service = await startTestService({ PUBLIC_BASE_URL });
});
afterAll(() => service.close());

test("customer lists: nextLink is on PUBLIC_BASE_URL with the request's path and query; Referer is ignored", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, "rg-a", "first");
  await createJob(service, sub, "rg-a", "second");
  for (const path of [`/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}&$top=1`, `/subscriptions/${sub}/resourceGroups/rg-a/providers/Microsoft.ImportExport/jobs?${API}&$top=1`]) {
    const response = await api(service, "GET", path, undefined, { referer: `https://evil.example${path}` });
    expect(response.status).toBe(200);
    const link = new URL(response.body.nextLink);
    expect(`${link.origin}${link.pathname}`).toBe(`https://gateway.example.test/importexport${path.split("?")[0]}`);
    expect(link.searchParams.get("api-version")).toBe("2021-01-01");
    expect(link.searchParams.get("$top")).toBe("1");
    expect(link.searchParams.get("$skiptoken")).toEqual(expect.any(String));
  }
});

test("operator lists use the same base", async () => {
  const sub = newSubscriptionId();
  await createJob(service, sub, "rg-a", "one");
  await createJob(service, sub, "rg-a", "two");
  const response = await api(service, "GET", "/operator/jobs?state=Creating&$top=1", undefined, { referer: "https://evil.example/operator/jobs" });
  expect(response.status).toBe(200);
  expect(response.body.nextLink.startsWith("https://gateway.example.test/importexport/operator/jobs?")).toBe(true);
});

// Regression (issue 20): the operator history's nextLink was built on the request's own URL.
test("the operator history of a job uses the same base", async () => {
  const job = { sub: newSubscriptionId(), rg: "rg-a", name: "with-history" };
  await createJob(service, job.sub, job.rg, job.name);
  await markShipping(service, job);
  const path = operatorJobPath(job, "/history?$top=1");
  const response = await api(service, "GET", path, undefined, { referer: "https://evil.example/operator" });
  expect(response.status).toBe(200);
  const link = new URL(response.body.nextLink);
  expect(`${link.origin}${link.pathname}`).toBe(`https://gateway.example.test/importexport${path.split("?")[0]}`);
  expect(link.searchParams.get("$top")).toBe("1");
  expect(link.searchParams.get("$skiptoken")).toBe("1");
});
