/**
 * How the function app serves the portal, without a browser: the pages and their files (no token
 * needed, nothing outside the built folder), and the portal's timeline endpoint (a customer
 * operation, tenant-scoped like Get Job).
 */
import { call, devToken, importJobBody, jobPath, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain Node script, shared with `npm run build`
const { buildPortal } = require("../../scripts/build-portal") as { buildPortal: () => Promise<{ outdir: string; files: string[] }> };

let service: TestService;
beforeAll(async () => {
  const [, started] = await Promise.all([buildPortal(), startTestService()]);
  service = started;
});
afterAll(() => service.close());

async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${service.url}${path}`, { headers, redirect: "manual" });
}

describe("the portal's pages and files", () => {
  test.each([
    ["/portal/", "index.html", "/portal/customer.js"],
    ["/portal/jobs/00000000-0000-0000-0000-000000000001/demo/first-job", "index.html", "/portal/customer.js"],
    ["/portal/operator", "operator.html", "/portal/operator.js"],
    ["/portal/operator/jobs/00000000-0000-0000-0000-000000000001/demo/first-job", "operator.html", "/portal/operator.js"],
  ])("%s serves the page (%s), with no token and a strict content policy", async (path, _page, script) => {
    const response = await get(path);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(response.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await response.text()).toContain(`<script defer src="${script}"></script>`);
  });

  test("the scripts and the stylesheet, with their types", async () => {
    for (const [file, type] of [
      ["customer.js", "text/javascript; charset=utf-8"],
      ["operator.js", "text/javascript; charset=utf-8"],
      ["portal.css", "text/css; charset=utf-8"],
    ]) {
      const response = await get(`/portal/${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect((await response.text()).length).toBeGreaterThan(1000);
    }
  });

  test("a browser opening the site's root is sent to the portal; an API client still gets the ARM 404", async () => {
    const browser = await get("/", { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe("/portal/");
    expect(browser.headers.get("x-ms-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    for (const accept of ["application/json", "*/*"]) {
      const client = await get("/", { accept });
      expect([accept, client.status]).toEqual([accept, 404]);
      expect(((await client.json()) as { error: { code: string } }).error.code).toBe("NotFound");
    }
    const elsewhere = await get("/nothing/here", { accept: "text/html" });
    expect(elsewhere.status).toBe(404);
  });

  test("/portal redirects to /portal/; anything outside the built files is a 404; other methods a 405", async () => {
    const redirect = await get("/portal?subscription=x");
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/portal/?subscription=x");

    // Regression: a name past the file system's limit answered 500 (ENAMETOOLONG).
    const longNames = [`/portal/${"a".repeat(253)}.js`, `/portal/${"a".repeat(120)}.${"b".repeat(120)}.css`, `/portal/${"c".repeat(130)}.js`];
    for (const path of ["/portal/missing.js", "/portal/..%2Fpackage.json", "/portal/%2E%2E/%2E%2E/package.json", "/portal/sub/customer.js", "/portal/tsconfig.json", ...longNames]) {
      const response = await call(service, "GET", path);
      expect([path, response.status, response.body.error.code]).toEqual([path, 404, "NotFound"]);
    }
    const post = await call(service, "POST", "/portal/", {});
    expect(post.status).toBe(405);
    expect(post.body.error.code).toBe("MethodNotAllowed");
  });
});

describe("the portal's timeline of a job", () => {
  const rg = "portal-api-rg";
  const timeline = (sub: string, name: string, headers: Record<string, string> = {}) =>
    call(service, "GET", `/portal/api/subscriptions/${sub}/resourceGroups/${rg}/jobs/${name}/timeline`, undefined, headers);

  test("deadlines of the current state, the job's path of states, and the actions the state allows", async () => {
    const sub = newSubscriptionId();
    const created = await call(service, "PUT", `${jobPath(sub, rg, "timeline-job")}?api-version=2021-01-01`, importJobBody(sub));
    expect(created.status).toBe(201);

    const creating = await timeline(sub, "timeline-job");
    expect(creating.status).toBe(200);
    expect(creating.body).toMatchObject({ state: "Creating", cancelRequested: false, path: [{ from: null, to: "Creating", reason: "Job created" }] });
    expect(Date.parse(creating.body.creatingExpiresAt)).toBeGreaterThan(Date.now() + 13 * 86_400_000);
    expect(creating.body.shippingDueAt).toBeUndefined();
    expect(creating.body.actions).toEqual({ markShipping: true, changeDeliveryPackage: true, changeReturnAddress: true, cancel: true, delete: true });

    const shipped = await call(service, "PATCH", `${jobPath(sub, rg, "timeline-job")}?api-version=2021-01-01`, {
      properties: { state: "Shipping", deliveryPackage: { carrierName: "FedEx", trackingNumber: "1" }, returnAddress: RETURN_ADDRESS },
    });
    expect(shipped.status).toBe(200);
    await call(service, "POST", `/operator/subscriptions/${sub}/resourceGroups/${rg}/jobs/timeline-job/events`, { type: "FaultJob", reason: "label torn" });

    const faulted = await timeline(sub, "timeline-job");
    expect(faulted.body.state).toBe("Faulted");
    expect(faulted.body.path.map((step: { from: string | null; to: string }) => `${step.from}->${step.to}`)).toEqual(["null->Creating", "Creating->Shipping", "Shipping->Faulted"]);
    expect(faulted.body.creatingExpiresAt).toBeUndefined();
    expect(faulted.body.actions).toEqual({ markShipping: false, changeDeliveryPackage: false, changeReturnAddress: true, cancel: false, delete: false });
    // Get Job keeps its ARM shape: no deadlines, no history.
    const job = await call(service, "GET", `${jobPath(sub, rg, "timeline-job")}?api-version=2021-01-01`);
    expect(JSON.stringify(job.body)).not.toMatch(/creatingExpiresAt|shippingDueAt|history/);

    await call(service, "POST", `/operator/subscriptions/${sub}/resourceGroups/${rg}/jobs/timeline-job/events`, { type: "ClearJobFault", reason: "relabelled" });
    const resumed = await timeline(sub, "timeline-job");
    expect(resumed.body.state).toBe("Shipping");
    expect(Date.parse(resumed.body.shippingDueAt)).toBeGreaterThan(Date.now());
    expect(resumed.body.actions).toMatchObject({ markShipping: false, changeDeliveryPackage: true, cancel: true, delete: false });
  });

  test("is a customer operation: a token is needed, and another tenant is refused on the subscription", async () => {
    const sub = newSubscriptionId();
    expect((await call(service, "PUT", `${jobPath(sub, rg, "mine")}?api-version=2021-01-01`, importJobBody(sub))).status).toBe(201);

    const anonymous = await fetch(`${service.url}/portal/api/subscriptions/${sub}/resourceGroups/${rg}/jobs/mine/timeline`);
    expect(anonymous.status).toBe(401);

    const otherTenant = await timeline(sub, "mine", { authorization: `Bearer ${devToken({ tid: "11111111-2222-3333-4444-555555555555", oid: "someone-else" })}` });
    expect(otherTenant.status).toBe(403);
    expect(otherTenant.body.error.code).toBe("InvalidAuthenticationTokenTenant");

    const missing = await timeline(sub, "no-such-job");
    expect(missing.status).toBe(404);
    const badName = await timeline(sub, "-bad-");
    expect(badName.status).toBe(400);
  });
});
