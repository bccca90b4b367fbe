/**
 * Pages bounded by bytes, through the API (issue 20 §3, a noisy tenant: pages of 100 jobs of ~120 KB
 * were 12 MB each). With `LIST_PAGE_MAX_BYTES` small, pages of large jobs end early, every nextLink
 * resumes right after its page's last job, and following them lists every job exactly once.
 */
import { API, ApiResponse, exportJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, createJob, expectArmError } from "./helpers";

const PAGE_BYTES = 16 * 1024;
let service: TestService;
const sub = newSubscriptionId();
/** The jobs in the table's order (resource group, then name), with their export lists' sizes. */
const jobs: { rg: string; name: string }[] = [];

/** An export job whose blob list is about `kib` KiB. */
function exportOf(kib: number) {
  return exportJobBody(sub, { export: { blobList: { blobPath: Array.from({ length: kib }, (_, i) => `/container/${String(i).padStart(4, "0")}/${"b".repeat(1000)}`) } } });
}

beforeAll(async () => {
  service = await startTestService({ LIST_PAGE_MAX_BYTES: String(PAGE_BYTES) });
  for (const rg of ["rg-a", "rg-b"]) {
    for (let i = 0; i < 7; i++) {
      const name = `job-${i}`;
      await createJob(service, sub, rg, name, exportOf(1 + ((i * 3) % 7)));
      jobs.push({ rg, name });
    }
  }
});
afterAll(() => service.close());

const bySubscription = `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs`;

async function follow(first: string): Promise<ApiResponse[]> {
  const pages = [await api(service, "GET", first)];
  while (pages[pages.length - 1].body.nextLink) {
    if (pages.length > 30) throw new Error("too many pages");
    const next = new URL(pages[pages.length - 1].body.nextLink);
    pages.push(await api(service, "GET", `${next.pathname}${next.search}`));
  }
  for (const page of pages) expect(page.status).toBe(200);
  return pages;
}

const listed = (pages: ApiResponse[]) => pages.flatMap((page) => page.body.value.map((job: { id: string }) => job.id.split("/").slice(4).join("/")));
const expected = (filter: (job: { rg: string; name: string }) => boolean = () => true) =>
  jobs.filter(filter).map(({ rg, name }) => `${rg}/providers/Microsoft.ImportExport/jobs/${name}`);

test("pages of large jobs stay within the byte budget, and following nextLink lists every job exactly once, in order", async () => {
  const pages = await follow(`${bySubscription}?${API}`);

  expect(pages.length).toBeGreaterThan(3);
  for (const page of pages) {
    expect(page.body.value.length).toBeGreaterThanOrEqual(1);
    if (page.body.value.length > 1) expect(Buffer.byteLength(JSON.stringify(page.body.value))).toBeLessThanOrEqual(PAGE_BYTES);
  }
  expect(listed(pages)).toEqual(expected());
});

test("with $top and $filter, by resource group too: still every job once", async () => {
  const filtered = await follow(`${bySubscription}?${API}&$top=2&$filter=${encodeURIComponent("jobType eq 'Export'")}`);
  for (const page of filtered) expect(page.body.value.length).toBeLessThanOrEqual(2);
  expect(listed(filtered)).toEqual(expected());

  const group = await follow(`/subscriptions/${sub}/resourceGroups/RG-B/providers/Microsoft.ImportExport/jobs?${API}`);
  expect(listed(group)).toEqual(expected((job) => job.rg === "rg-b"));
});

test("a nextLink's $skiptoken naming another subscription's job lists nothing of it", async () => {
  const other = newSubscriptionId();
  await createJob(service, other, "rg-a", "secret", exportOf(1));
  const token = Buffer.from(JSON.stringify({ afterPartitionKey: `${other}:rg-a`, afterRowKey: "" })).toString("base64url");

  for (const path of [bySubscription, `/subscriptions/${sub}/resourceGroups/rg-a/providers/Microsoft.ImportExport/jobs`]) {
    const pages = await follow(`${path}?${API}&$skiptoken=${token}`);
    expect(listed(pages).some((id) => id.endsWith("/secret"))).toBe(false);
  }
});

test.each([
  ["a missing row key", { afterPartitionKey: "x" }],
  ["keys that are not strings", { afterPartitionKey: 1, afterRowKey: ["a"] }],
  ["a lone surrogate", { afterPartitionKey: `${sub}:rg-a`, afterRowKey: "\ud800" }],
  ["a key over 1024 characters", { afterPartitionKey: `${sub}:rg-a`, afterRowKey: "k".repeat(1025) }],
])("a $skiptoken with %s → 400 InvalidSkipToken", async (_label, token) => {
  const encoded = Buffer.from(JSON.stringify(token)).toString("base64url");
  expectArmError(await api(service, "GET", `${bySubscription}?${API}&$skiptoken=${encoded}`), 400, "InvalidSkipToken", { target: "$skiptoken" });
});
