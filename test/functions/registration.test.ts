/**
 * The real registration: `functions/index.ts` loaded through `@azure/functions` with the worker's
 * module `@azure/functions-core` supplied (test/support/functions-worker.ts), so the library leaves
 * test mode and registers for real. Every route of the route table and every timer of the timer
 * table is registered once, as the table says; the app-start hook validates the settings; and
 * requests sent through the library's own RPC conversion reach the handlers and answer exactly as
 * the local host (devhost/) answers the same requests.
 */
import { compileTemplate } from "../../shared/service/api/route-template";
import { routes } from "../../shared/service/api/routes";
import { DEV_TOKENS } from "../../shared/service/auth/authenticator";
import { resolveAppSettings } from "../../devhost/timer-schedule";
import {
  HostHttpResponse,
  invokeHttp,
  invokeTimer,
  registered,
  registrations,
  runHooks,
  triggerBinding,
} from "../support/functions-worker";
import { API, importJobBody, jobPath, newSubscriptionId, startTestService, TestService } from "../support/service";

jest.mock("@azure/functions-core", () => jest.requireActual("../support/functions-worker").coreApi, { virtual: true });

const SCHEDULE = "0 */7 * * * *";
let service: TestService;

beforeAll(async () => {
  service = await startTestService({ SWEEP_SCHEDULE: SCHEDULE, SWEEP_RUN_ON_STARTUP: "true" });
  // The entry file, as the worker loads package.json's `main`.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("../../functions/index");
});

afterAll(async () => {
  await service?.close();
});

describe("what functions/index.ts registers with the worker", () => {
  test("the library left test mode: it set its programming model once", () => {
    expect(registrations.models).toHaveLength(1);
    expect(registrations.models[0].name).toBe("@azure/functions");
  });

  test("every route of the route table, once, with its name, methods, route template and auth level, answering through an HTTP output", () => {
    const httpFunctions = registrations.functions.filter((entry) => triggerBinding(entry.metadata)[1].type === "httpTrigger");
    expect(httpFunctions.map((entry) => entry.metadata.name).sort()).toEqual(routes.map((route) => route.name).sort());
    for (const route of routes) {
      const { metadata } = registered(route.name);
      const [, trigger] = triggerBinding(metadata);
      expect({ name: metadata.name, methods: trigger.methods, route: trigger.route, authLevel: trigger.authLevel }).toEqual({
        name: route.name,
        methods: route.methods,
        route: route.route,
        authLevel: route.authLevel ?? "function",
      });
      expect(metadata.bindings.$return).toMatchObject({ type: "http", direction: "out" });
    }
  });

  test("the maintenance timer with its schedule and run-on-startup from the settings", () => {
    const { metadata } = registered("MaintenanceSweep");
    const [, trigger] = triggerBinding(metadata);
    // The host resolves the schedule's app setting itself, as the local host does (devhost/timer-schedule.ts).
    expect(trigger).toMatchObject({ type: "timerTrigger", direction: "in", schedule: "%SWEEP_SCHEDULE%", runOnStartup: true });
    expect(resolveAppSettings(String(trigger.schedule))).toBe(SCHEDULE);
    expect(registrations.functions).toHaveLength(routes.length + 1);
  });

  test("one app-start hook, which validates the settings: a bad one stops start-up with its name", async () => {
    expect(registrations.hooks.map((hook) => hook.name)).toEqual(["appStart"]);
    await expect(runHooks("appStart")).resolves.toBeUndefined();

    const saved = process.env.CREATING_JOB_LIFETIME;
    process.env.CREATING_JOB_LIFETIME = "two weeks";
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { resetServices } = require("../../shared/service/app/composition") as typeof import("../../shared/service/app/composition");
    resetServices();
    try {
      await expect(runHooks("appStart")).rejects.toThrow(/CREATING_JOB_LIFETIME/);
    } finally {
      if (saved === undefined) delete process.env.CREATING_JOB_LIFETIME;
      else process.env.CREATING_JOB_LIFETIME = saved;
      resetServices();
    }
  });
});

/** Headers that belong to the connection or to the one request (its ids), not to the API's answer. */
const TRANSPORT_HEADERS = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding", "x-ms-request-id", "x-ms-correlation-request-id"]);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The headers an answer is compared by: not the transport's, and the throttling count only as present (it goes down every call). */
function apiHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => !TRANSPORT_HEADERS.has(name.toLowerCase()))
      .map(([name, value]) => [name.toLowerCase(), /^x-ms-ratelimit-remaining-/i.test(name) && /^\d+$/.test(value) ? "<count>" : value]),
  );
}

/** The same request, routed as the host routes it to `functionName`, through the worker's conversion. */
async function throughWorker(functionName: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer & { raw: HostHttpResponse }> {
  const url = new URL(path, service.url);
  const [, trigger] = triggerBinding(registered(functionName).metadata);
  const params = compileTemplate(String(trigger.route)).match(url.pathname);
  if (!params) throw new Error(`${functionName}'s registered route ${String(trigger.route)} does not match ${url.pathname}`);
  const raw = await invokeHttp(functionName, {
    method,
    url: url.toString(),
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    params,
    body: body === undefined ? undefined : Buffer.from(body),
  });
  return { status: raw.status, headers: raw.headers, body: raw.body.toString("utf8"), raw };
}

async function throughLocalHost(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const response = await fetch(`${service.url}${path}`, { method, headers, body, redirect: "manual" });
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => (responseHeaders[name] = value));
  return { status: response.status, headers: responseHeaders, body: await response.text() };
}

const customer = { authorization: `Bearer ${DEV_TOKENS.customer}` };
const operator = { authorization: `Bearer ${DEV_TOKENS.operator}` };
const json = { "content-type": "application/json" };

describe("an HTTP invocation through the library's request and response conversion", () => {
  const sub = newSubscriptionId();
  const rg = "registration-rg";

  beforeAll(async () => {
    const created = await throughLocalHost("PUT", `${jobPath(sub, rg, "hosted-job")}?${API}`, { ...customer, ...json }, JSON.stringify(importJobBody(sub)));
    expect(created.status).toBe(201);
  });

  interface Exchange {
    label: string;
    functionName: string;
    method: string;
    path: (sub: string) => string;
    headers: Record<string, string>;
    body?: string;
  }

  const sameAnswers: Exchange[] = [
    { label: "Get Job", functionName: "Jobs_Get", method: "GET", path: (s) => `${jobPath(s, rg, "hosted-job")}?${API}`, headers: customer },
    { label: "List by resource group", functionName: "Jobs_ListByResourceGroup", method: "GET", path: (s) => `/subscriptions/${s}/resourceGroups/${rg}/providers/Microsoft.ImportExport/jobs?${API}&$top=5`, headers: customer },
    { label: "a missing api-version", functionName: "Jobs_Get", method: "GET", path: (s) => jobPath(s, rg, "hosted-job"), headers: customer },
    { label: "an unknown job", functionName: "Jobs_Get", method: "GET", path: (s) => `${jobPath(s, rg, "no-such-job")}?${API}`, headers: customer },
    { label: "no token", functionName: "Jobs_Get", method: "GET", path: (s) => `${jobPath(s, rg, "hosted-job")}?${API}`, headers: {} },
    { label: "malformed JSON on Create", functionName: "Jobs_Create", method: "PUT", path: (s) => `${jobPath(s, rg, "bad-json")}?${API}`, headers: { ...customer, ...json }, body: "{not json" },
    { label: "a bad field on Update", functionName: "Jobs_Update", method: "PATCH", path: (s) => `${jobPath(s, rg, "hosted-job")}?${API}`, headers: { ...customer, ...json }, body: JSON.stringify({ properties: { state: "Received" } }) },
    { label: "the operator's view", functionName: "Operator_GetJob", method: "GET", path: (s) => `/operator/subscriptions/${s}/resourceGroups/${rg}/jobs/hosted-job`, headers: operator },
    { label: "the locations", functionName: "Locations_List", method: "GET", path: () => `/providers/Microsoft.ImportExport/locations?${API}`, headers: customer },
    { label: "the portal's page", functionName: "Portal_Root", method: "GET", path: () => "/portal", headers: {} },
    { label: "a portal asset", functionName: "Portal_Assets", method: "GET", path: () => "/portal/portal.css", headers: {} },
    { label: "a wrong method on a known path (the catch-all)", functionName: "Unmatched", method: "POST", path: (s) => `${jobPath(s, rg, "hosted-job")}?${API}`, headers: customer },
    { label: "an unknown path (the catch-all)", functionName: "Unmatched", method: "GET", path: () => "/no/such/path", headers: customer },
  ];

  test.each(sameAnswers)("$label: the same status, headers and body as the local host", async ({ functionName, method, path, headers, body }) => {
    const viaWorker = await throughWorker(functionName, method, path(sub), headers, body);
    const viaHost = await throughLocalHost(method, path(sub), headers, body);
    for (const perRequest of ["x-ms-request-id", "x-ms-correlation-request-id"]) {
      expect(viaWorker.headers[perRequest] === undefined).toBe(viaHost.headers[perRequest] === undefined);
    }
    expect({ status: viaWorker.status, headers: apiHeaders(viaWorker.headers), body: viaWorker.body }).toEqual({
      status: viaHost.status,
      headers: apiHeaders(viaHost.headers),
      body: viaHost.body,
    });
  });

  test("Create through the worker stores the job: the local host reads back what the worker answered", async () => {
    const created = await throughWorker("Jobs_Create", "PUT", `${jobPath(sub, rg, "worker-job")}?${API}`, { ...customer, ...json }, JSON.stringify(importJobBody(sub)));
    expect(created.status).toBe(201);
    const read = await throughLocalHost("GET", `${jobPath(sub, rg, "worker-job")}?${API}`, customer);
    expect(read.status).toBe(200);
    expect(JSON.parse(read.body)).toEqual(JSON.parse(created.body));
  });

  test("the timer runs the maintenance sweep through the worker's invocation", async () => {
    await expect(invokeTimer("MaintenanceSweep")).resolves.toBeUndefined();
    // The report is one record through the invocation's context: JSON Application Insights can query.
    const records = registrations.logs.filter((entry) => entry.category === "user" && entry.message.startsWith("{")).map((entry) => JSON.parse(entry.message));
    expect(records).toContainEqual(expect.objectContaining({ level: "info", event: "sweep", operation: "MaintenanceSweep", message: expect.stringMatching(/^MaintenanceSweep: /), durationMs: expect.any(Number) }));
  });
});
