/**
 * The 5xx the HTTP fuzzing found, each as a fixed request: whatever seed the fuzz runs with, these
 * stay covered. Every answer must also meet the fuzz's properties (request id, ARM error shape).
 */
import { API, devToken, newSubscriptionId, startTestService, TestService } from "../support/service";
import { FuzzClient, FuzzRequest, FuzzResponse, violations } from "./support";

let service: TestService;
let client: FuzzClient;

beforeAll(async () => {
  service = await startTestService();
  client = new FuzzClient(service.url);
});

afterAll(async () => {
  client.close();
  await service.close();
});

async function send(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<FuzzResponse & { code?: string }> {
  const request: FuzzRequest = {
    label: "regression",
    method,
    path,
    headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    mustReject: true,
  };
  const response = await client.send(request);
  expect(violations(request, response)).toEqual([]);
  return { ...response, code: response.text ? (JSON.parse(response.text) as { error?: { code?: string } }).error?.code : undefined };
}

const CUSTOMER = { authorization: "Bearer dev" };
const OPERATOR = { authorization: "Bearer dev-operator" };

test("a Host header that is no host name, or carries credentials → 400 InvalidHostHeader (was a 500)", async () => {
  for (const host of ["a b", "[", "x:99999", "%", "a@b"]) {
    const response = await send("GET", `/providers/Microsoft.ImportExport/operations?${API}`, { ...CUSTOMER, host });
    expect([response.status, response.code, host]).toEqual([400, "InvalidHostHeader", host]);
  }
  // An empty Host (allowed by HTTP/1.1) is served as usual.
  expect((await client.send({ label: "empty host", method: "GET", path: `/providers/Microsoft.ImportExport/operations?${API}`, headers: { ...CUSTOMER, host: "" }, mustReject: false })).status).toBe(200);
});

test("POST /admin/functions/{name} with a name that is not valid %-encoding → 404 FunctionNotFound (was a 500)", async () => {
  for (const name of ["%E0%A4%A", "x%", "%zz"]) {
    const response = await send("POST", `/admin/functions/${name}`, OPERATOR);
    expect([response.status, response.code]).toEqual([404, "FunctionNotFound"]);
  }
});

test("an arrival or attachment naming a job by a name no job path takes → 400 (one with a '/' was a 503 from storage)", async () => {
  const sub = newSubscriptionId();
  const arrival = { carrierName: "FedEx", trackingNumber: "REG-1", driveIds: ["D1"], subscriptionId: sub };
  for (const [resourceGroupName, jobName] of [
    ["a/b", "job1"],
    ["rg", "a/b"],
    ["rg", "a?b"],
    ["a#b", "job1"],
    ["rg", "a\\b"],
  ]) {
    const response = await send("POST", "/operator/arrivals", OPERATOR, { ...arrival, resourceGroupName, jobName });
    expect([response.status, response.code, resourceGroupName, jobName]).toEqual([400, "InvalidRequestContent", resourceGroupName, jobName]);
  }
  const attach = await send("POST", "/operator/arrivals/20260101T000000000Z-0123abcd/attach", OPERATOR, { subscriptionId: sub, resourceGroupName: "a/b", jobName: "job1" });
  expect([attach.status, attach.code]).toEqual([400, "InvalidRequestContent"]);
});

test("a $skiptoken whose keys hold a lone surrogate → 400 InvalidSkipToken (was a 500)", async () => {
  const sub = newSubscriptionId();
  for (const token of [{ nextPartitionKey: "a", nextRowKey: "\ud800" }, { nextPartitionKey: "\udc00x" }]) {
    const encoded = encodeURIComponent(Buffer.from(JSON.stringify(token)).toString("base64"));
    for (const path of [`/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}&$skiptoken=${encoded}`, `/operator/jobs?$skiptoken=${encoded}`, `/operator/arrivals?$skiptoken=${encoded}`]) {
      const response = await send("GET", path, path.startsWith("/operator") ? OPERATOR : CUSTOMER);
      expect([response.status, response.code]).toEqual([400, "InvalidSkipToken"]);
    }
  }
});

test("a token whose tenant id holds a lone surrogate → 401 (a list was a 500)", async () => {
  const sub = newSubscriptionId();
  const authorization = `Bearer ${devToken({ tid: "\ud800" })}`;
  const response = await send("GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`, { authorization });
  expect([response.status, response.code]).toEqual([401, "AuthenticationFailed"]);
});

test("every /admin answer carries x-ms-request-id, success and error alike (the successes had none)", async () => {
  const answers = [
    await client.send({ label: "admin", method: "GET", path: "/admin/storage-requests", headers: OPERATOR, mustReject: false }),
    await client.send({ label: "admin", method: "POST", path: "/admin/functions/MaintenanceSweep", headers: OPERATOR, mustReject: false }),
    await client.send({ label: "admin", method: "POST", path: "/admin/functions/NoSuchTimer", headers: OPERATOR, mustReject: true }),
    await client.send({ label: "admin", method: "GET", path: "/admin/storage-requests", headers: CUSTOMER, mustReject: true }),
  ];
  expect(answers.map((answer) => answer.status)).toEqual([200, 200, 404, 403]);
  for (const answer of answers) expect(answer.headers["x-ms-request-id"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
});
