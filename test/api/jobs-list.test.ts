/** Jobs_ListBySubscription and Jobs_ListByResourceGroup: paging, $top, $skiptoken, $filter, isolation. */
import {
  API,
  ApiResponse,
  DELIVERY_PACKAGE,
  exportJobBody,
  newSubscriptionId,
  RETURN_ADDRESS,
  startTestService,
  TestClock,
  TestService,
} from "../support/service";
import { api, createJob, expectArmError, expectRequestId, jobUrl } from "./helpers";

let service: TestService;
const clock = new TestClock();

/**
 * One subscription with five jobs in two resource groups:
 *   rg-a: a1 (Import, Creating), a2 (Import, Shipping), a3 (Export, Creating)
 *   rg-b: b1 (Import, Completed), b2 (Export, Creating)
 * `middle` is a time after a1, a2 and a3 were created and before b1 and b2 were.
 */
const sub = newSubscriptionId();
let middle: string;
const ALL = ["a1", "a2", "a3", "b1", "b2"];

beforeAll(async () => {
  service = await startTestService({}, undefined, clock);
  await createJob(service, sub, "rg-a", "a1");
  await createJob(service, sub, "rg-a", "a2");
  await api(service, "PATCH", jobUrl(sub, "rg-a", "a2"), { properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping" } });
  await createJob(service, sub, "rg-a", "a3", exportJobBody(sub));
  clock.advance(60_000);
  middle = clock.now().toISOString();
  clock.advance(60_000);
  await createJob(service, sub, "rg-b", "b1");
  await api(service, "PATCH", jobUrl(sub, "rg-b", "b1"), { properties: { cancelRequested: true } });
  await createJob(service, sub, "rg-b", "b2", exportJobBody(sub));
  // Another subscription's jobs, in resource groups of the same names, must never show up.
  const other = newSubscriptionId();
  await createJob(service, other, "rg-a", "intruder-a");
  await createJob(service, other, "rg-b", "intruder-b");
});
afterAll(() => service.close());

const bySubscription = (s: string = sub) => `/subscriptions/${s}/providers/Microsoft.ImportExport/jobs`;
const byResourceGroup = (rg: string, s: string = sub) => `/subscriptions/${s}/resourceGroups/${rg}/providers/Microsoft.ImportExport/jobs`;

function query(params: Record<string, string> = {}): string {
  return `?${API}${Object.entries(params)
    .map(([name, value]) => `&${name}=${encodeURIComponent(value)}`)
    .join("")}`;
}

/** Fetches a nextLink as it is (a full URL), asserting the request id. */
async function fetchLink(link: string): Promise<ApiResponse> {
  expect(link.startsWith(service.url)).toBe(true);
  const response = await fetch(link, { headers: { authorization: "Bearer dev" } });
  const text = await response.text();
  const result = { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  expectRequestId(result);
  return result;
}

/** Every page from `path`, following nextLink until it is absent. */
async function allPages(path: string): Promise<ApiResponse[]> {
  const pages = [await api(service, "GET", path)];
  while (pages[pages.length - 1].body?.nextLink) {
    if (pages.length > 20) throw new Error("too many pages");
    pages.push(await fetchLink(pages[pages.length - 1].body.nextLink));
  }
  for (const page of pages) expect(page.status).toBe(200);
  return pages;
}

function names(pages: ApiResponse[]): string[] {
  return pages.flatMap((page) => page.body.value.map((job: { name: string }) => job.name));
}

async function listNames(path: string): Promise<string[]> {
  return names(await allPages(path)).sort();
}

describe("paging", () => {
  test("by subscription with $top=2: pages of at most 2, every job exactly once", async () => {
    const pages = await allPages(`${bySubscription()}${query({ $top: "2" })}`);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) expect(page.body.value.length).toBeLessThanOrEqual(2);
    for (const page of pages.slice(0, -1)) {
      expect(page.body.nextLink).toContain("api-version=2021-01-01");
      expect(page.body.nextLink).toContain("$top=2");
      expect(page.body.nextLink).toContain("$skiptoken=");
    }
    expect(pages[pages.length - 1].body.nextLink).toBeUndefined();
    const listed = names(pages);
    expect(listed.sort()).toEqual(ALL);
    expect(new Set(listed).size).toBe(listed.length);
  });

  test("by resource group with $top=2: rg-a across two pages, rg-b in one", async () => {
    const pagesA = await allPages(`${byResourceGroup("rg-a")}${query({ $top: "2" })}`);
    expect(pagesA.length).toBeGreaterThanOrEqual(2);
    expect(pagesA[0].body.value).toHaveLength(2);
    expect(names(pagesA).sort()).toEqual(["a1", "a2", "a3"]);
    expect(await listNames(`${byResourceGroup("rg-b")}${query({ $top: "2" })}`)).toEqual(["b1", "b2"]);
  });

  test("$top=1 walks the jobs one at a time", async () => {
    const pages = await allPages(`${bySubscription()}${query({ $top: "1" })}`);
    for (const page of pages) expect(page.body.value.length).toBeLessThanOrEqual(1);
    expect(names(pages).sort()).toEqual(ALL);
  });

  test("without $top every job comes in one page with no nextLink", async () => {
    const response = await api(service, "GET", `${bySubscription()}?${API}`);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(["value"]);
    expect(response.body.value.map((job: { name: string }) => job.name).sort()).toEqual(ALL);
  });

  test("listed jobs have the full response shape and no BitLocker keys", async () => {
    const response = await api(service, "GET", `${byResourceGroup("rg-a")}?${API}`);
    const a1 = response.body.value.find((job: { name: string }) => job.name === "a1");
    expect(a1).toMatchObject({
      id: `/subscriptions/${sub}/resourceGroups/rg-a/providers/Microsoft.ImportExport/jobs/a1`,
      type: "Microsoft.ImportExport/jobs",
      properties: { state: "Creating", jobType: "Import", provisioningState: "Succeeded" },
    });
    expect(a1.properties.driveList).toHaveLength(2);
    expect(JSON.stringify(response.body).toLowerCase()).not.toContain("bitlocker");
  });

  test("the resource group name is case-insensitive", async () => {
    expect(await listNames(`${byResourceGroup("RG-A")}?${API}`)).toEqual(["a1", "a2", "a3"]);
  });

  test("an empty subscription or resource group → 200 with an empty value", async () => {
    const empty = await api(service, "GET", `${bySubscription(newSubscriptionId())}?${API}`);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ value: [] });
    expect((await api(service, "GET", `${byResourceGroup("rg-none")}?${API}`)).body).toEqual({ value: [] });
  });
});

describe("isolation", () => {
  test("never another subscription's jobs, by subscription or by resource group", async () => {
    const listed = [...(await listNames(`${bySubscription()}?${API}`)), ...(await listNames(`${byResourceGroup("rg-a")}?${API}`))];
    expect(listed.some((name) => name.startsWith("intruder"))).toBe(false);
  });

  test("a skiptoken pointing into another subscription's partition returns nothing of it", async () => {
    const otherSub = newSubscriptionId();
    await createJob(service, otherSub, "rg-a", "secret");
    const token = Buffer.from(JSON.stringify({ nextPartitionKey: `${otherSub}:rg-a`, nextRowKey: "secret" })).toString("base64");
    for (const path of [bySubscription(), byResourceGroup("rg-a")]) {
      const response = await api(service, "GET", `${path}${query({ $skiptoken: token })}`);
      expect(response.status).toBe(200);
      expect(response.body.value.map((job: { name: string }) => job.name)).not.toContain("secret");
    }
  });
});

describe("$top and $skiptoken validation", () => {
  test.each(["0", "101", "abc", "-1", "1.5", ""])("$top=%p → 400 InvalidQueryParameterValue", async (top) => {
    const response = await api(service, "GET", `${bySubscription()}?${API}&$top=${encodeURIComponent(top)}`);
    expectArmError(response, 400, "InvalidQueryParameterValue", { target: "$top" });
  });

  test("$top=100 is accepted", async () => {
    expect((await api(service, "GET", `${bySubscription()}${query({ $top: "100" })}`)).status).toBe(200);
  });

  test.each([
    ["not base64 JSON", "!!!garbage!!!"],
    ["JSON of the wrong shape", Buffer.from(JSON.stringify({ hello: "world" })).toString("base64")],
    ["a JSON string", Buffer.from(JSON.stringify("x")).toString("base64")],
  ])("$skiptoken that is %s → 400 InvalidSkipToken", async (_label, token) => {
    const response = await api(service, "GET", `${bySubscription()}${query({ $skiptoken: token })}`);
    expectArmError(response, 400, "InvalidSkipToken", { target: "$skiptoken" });
  });

  test("a $skiptoken longer than 4096 characters → 400", async () => {
    const response = await api(service, "GET", `${bySubscription()}${query({ $skiptoken: "A".repeat(5000) })}`);
    expect(response.status).toBe(400);
    expectArmError(response, 400, response.body.error.code);
  });
});

describe("$filter", () => {
  const cases: [string, string[]][] = [
    ["state eq 'Creating'", ["a1", "a3", "b2"]],
    ["state ne 'Creating'", ["a2", "b1"]],
    ["state eq 'creating'", ["a1", "a3", "b2"]],
    ["jobType eq 'Export'", ["a3", "b2"]],
    ["jobType ne 'Export'", ["a1", "a2", "b1"]],
    ["properties/state eq 'Shipping'", ["a2"]],
    ["properties/jobType eq 'Import'", ["a1", "a2", "b1"]],
    ["state eq 'Completed' or state eq 'Shipping'", ["a2", "b1"]],
    ["state eq 'Creating' and jobType eq 'Import'", ["a1"]],
    ["(state eq 'Completed' or state eq 'Shipping') and jobType eq 'Import'", ["a2", "b1"]],
    ["jobType eq 'Export' or (state eq 'Completed' and jobType eq 'Import')", ["a3", "b1", "b2"]],
    ["STATE EQ 'Faulted'", []],
  ];
  test.each(cases)("%s", async (filter, expected) => {
    expect(await listNames(`${bySubscription()}${query({ $filter: filter })}`)).toEqual(expected);
  });

  test("creationTime ge / lt / gt / le datetime'…' and the aliases", async () => {
    expect(await listNames(`${bySubscription()}${query({ $filter: `creationTime ge datetime'${middle}'` })}`)).toEqual(["b1", "b2"]);
    expect(await listNames(`${bySubscription()}${query({ $filter: `creationTime lt datetime'${middle}'` })}`)).toEqual(["a1", "a2", "a3"]);
    expect(await listNames(`${bySubscription()}${query({ $filter: `createdAt gt datetime'${middle}'` })}`)).toEqual(["b1", "b2"]);
    expect(await listNames(`${bySubscription()}${query({ $filter: `systemData/createdAt le datetime'${middle}'` })}`)).toEqual(["a1", "a2", "a3"]);
    const window = `creationTime ge datetime'${middle}' and creationTime lt datetime'${new Date(clock.now().getTime() + 60_000).toISOString()}'`;
    expect(await listNames(`${bySubscription()}${query({ $filter: window })}`)).toEqual(["b1", "b2"]);
    expect(await listNames(`${bySubscription()}${query({ $filter: "creationTime ge datetime'2999-01-01T00:00:00Z'" })}`)).toEqual([]);
  });

  test("combined with paging: the filter holds on every page", async () => {
    const pages = await allPages(`${bySubscription()}${query({ $filter: "state eq 'Creating'", $top: "1" })}`);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      expect(page.body.value.length).toBeLessThanOrEqual(1);
      for (const job of page.body.value) expect(job.properties.state).toBe("Creating");
    }
    expect(names(pages).sort()).toEqual(["a1", "a3", "b2"]);
  });

  test("combined with paging by resource group and a time range", async () => {
    const filter = `jobType eq 'Import' and creationTime lt datetime'${middle}'`;
    const pages = await allPages(`${byResourceGroup("rg-a")}${query({ $filter: filter, $top: "1" })}`);
    expect(names(pages).sort()).toEqual(["a1", "a2"]);
  });

  test.each([
    "name eq 'a1'",
    "state gt 'Creating'",
    "state eq Creating",
    "state eq 'Dancing'",
    "jobType eq 'Sideways'",
    "creationTime eq datetime'2020-01-01T00:00:00Z'",
    "creationTime ge datetime'yesterday'",
    "state eq 'Creating' and",
    "(state eq 'Creating'",
    "state eq 'Creating')",
    "state eq 'Creating",
    "state eq 'Creating'; drop table",
    "substringof('a', name)",
    "   ",
    "(".repeat(12) + "state eq 'Creating'" + ")".repeat(12),
    Array.from({ length: 21 }, () => "state eq 'Creating'").join(" or "),
  ])("unsupported filter %p → 400 InvalidFilter listing what is supported", async (filter) => {
    const response = await api(service, "GET", `${bySubscription()}${query({ $filter: filter })}`);
    expectArmError(response, 400, "InvalidFilter", { target: "$filter", message: /Supported:/ });
  });

  test("a filter over 2048 characters → 400 InvalidFilter", async () => {
    const filter = `state eq '${"x".repeat(2100)}'`;
    expectArmError(await api(service, "GET", `${bySubscription()}${query({ $filter: filter })}`), 400, "InvalidFilter");
  });
});

describe("nextLink", () => {
  // Regression (issue 11, item 6): `Referer: https://evil.example/<same path>` made the nextLink
  // point at evil.example. Links are built from the request's own URL (or PUBLIC_BASE_URL), never a header.
  test.each([
    ["a Referer of another host for the same path", (path: string) => ({ referer: `https://evil.example${path}` })],
    ["ARM's own host as Referer", (path: string) => ({ referer: `https://management.azure.com${path}` })],
    ["a Referer for another path", () => ({ referer: "https://portal.example/somewhere/else" })],
    ["X-Forwarded-Host and X-Forwarded-Proto", () => ({ "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" })],
  ])("ignores %s: the link is on the service's own URL, keeping the query", async (_label, headers) => {
    const sub = newSubscriptionId();
    await createJob(service, sub, "rg-a", "first");
    await createJob(service, sub, "rg-a", "second");
    const path = `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}&$top=1`;

    const response = await api(service, "GET", path, undefined, headers(path));

    expect(response.body.nextLink.startsWith(`${service.url}/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?`)).toBe(true);
    expect(response.body.nextLink).toMatch(/\$top=1.*\$skiptoken=/);
  });
});
