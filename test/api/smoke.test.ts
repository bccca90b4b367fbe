/**
 * `npm run smoke` (cli/smoke.ts), run as a process against the local service over HTTPS as a
 * deployer runs it against theirs, in both storage modes (this folder is in the identity project
 * too): a whole session passes step by step and leaves nothing behind; a failure names its step,
 * exits 1, and the job is still removed. (Its command line: smoke-usage.test.ts.)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { RestError } from "@azure/core-rest-pipeline";
import { selfSignedCertificate } from "../../devhost/certificate";
import { DEV_TOKENS } from "../../shared/auth/authenticator";
import { bundleCli, CliRun, runCli } from "../support/cli";
import { sdkClient } from "../support/sdk";
import { newSubscriptionId, startTestService, storageAccountId, TestService } from "../support/service";

const CUSTOMER_STEPS = [
  "operations.list",
  "locations.list",
  "locations.get",
  "jobs.create",
  "jobs.get",
  "jobs.listBySubscription",
  "jobs.listByResourceGroup",
  "jobs.update",
  "bitLockerKeys.list",
  "errors.notFound",
  "errors.badRequest",
];
const OPERATOR_STEPS = ["operator.getJob", "jobs.update (shipped)", "operator.event PackageReceived", "jobs.update (cancel)", "operator.event ShippedBack"];
const DELETE_STEPS = ["jobs.delete", "jobs.get (deleted)"];

let service: TestService;
let tls: { key: string; cert: string };
let certificate: string;
let folder: string;
let certificateFile: string;
let smoke: string;

beforeAll(async () => {
  tls = await selfSignedCertificate(1);
  certificate = tls.cert;
  service = await startTestService({}, tls);
  folder = mkdtempSync(path.join(tmpdir(), "smoke-"));
  certificateFile = path.join(folder, "cert.pem");
  writeFileSync(certificateFile, tls.cert);
  smoke = bundleCli("smoke");
}, 60_000);

afterAll(async () => {
  await service?.close();
  rmSync(folder, { recursive: true, force: true });
});

interface Summary {
  result: string;
  failedStep?: string;
  steps: { step: string; ms: number; ok: boolean }[];
  job: { resourceGroup: string; name: string; deleted: boolean; state?: string };
}

/** The JSON line the run ends with. */
function summaryOf(run: CliRun): Summary {
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!);
}

/** The smoke test against the service, for `subscription`, with these flags besides. */
function runSmoke(subscription: string, flags: string[], baseUrl = service.url): Promise<CliRun> {
  return runCli(smoke, ["--base-url", baseUrl, "--subscription", subscription, "--storage-account-id", storageAccountId(subscription), "--ca", certificateFile, ...flags], { timeoutMs: 60_000 });
}

/** Whether the job is there, asked through the SDK as a customer. */
async function jobExists(subscription: string, resourceGroup: string, name: string): Promise<boolean> {
  try {
    await sdkClient(service.url, subscription, certificate).jobs.get(name, resourceGroup);
    return true;
  } catch (error) {
    if (error instanceof RestError && error.statusCode === 404) return false;
    throw error;
  }
}

test("a whole session, the operator API included, passes step by step with each latency, and leaves nothing behind", async () => {
  const subscription = newSubscriptionId();
  const run = await runSmoke(subscription, ["--token", DEV_TOKENS.customer, "--operator-token", DEV_TOKENS.operator]);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });

  const summary = summaryOf(run);
  expect(summary.result).toBe("passed");
  expect(summary.steps.map((step) => step.step)).toEqual([...CUSTOMER_STEPS, ...OPERATOR_STEPS, ...DELETE_STEPS]);
  expect(summary.steps.every((step) => step.ok && Number.isInteger(step.ms) && step.ms >= 0)).toBe(true);
  // A line per step: ok, its name, its latency.
  for (const step of summary.steps) expect(run.stdout).toMatch(new RegExp(`^ {2}ok {4}${step.step.replace(/[.()]/g, "\\$&")} +\\d+ ms`, "m"));
  expect(run.stdout).toMatch(/^ {2}ok {4}errors\.badRequest +\d+ ms {2}400 ShippingInformationMissing, target properties\.state$/m);
  expect(summary.job).toEqual({ resourceGroup: "importexport-smoke", name: expect.stringMatching(/^smoke-\d{8}T\d{6}-[0-9a-f]{6}$/), deleted: true });
  expect(await jobExists(subscription, summary.job.resourceGroup, summary.job.name)).toBe(false);
  // Neither token is ever printed.
  expect(run.stdout).not.toContain(DEV_TOKENS.operator);
});

test("a customer's session alone, the token printed by a command as az prints it (JSON with accessToken), in a resource group of its own", async () => {
  const subscription = newSubscriptionId();
  const command = `node -e "console.log(JSON.stringify({ accessToken: '${DEV_TOKENS.customer}', tokenType: 'Bearer' }))"`;
  const run = await runSmoke(subscription, ["--token-command", command, "--resource-group", "smoke-own-rg"]);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
  const summary = summaryOf(run);
  expect(summary.steps.map((step) => step.step)).toEqual([...CUSTOMER_STEPS, ...DELETE_STEPS]);
  expect(summary.job).toMatchObject({ resourceGroup: "smoke-own-rg", deleted: true });
  expect(await jobExists(subscription, "smoke-own-rg", summary.job.name)).toBe(false);
});

test("a failure after the job exists names its step and why, exits 1, runs nothing after it, and the job is still removed", async () => {
  const subscription = newSubscriptionId();
  // A customer's token where the operator's belongs: the operator API refuses it, with the job made.
  const run = await runSmoke(subscription, ["--token", DEV_TOKENS.customer, "--operator-token", DEV_TOKENS.customer]);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/^ {2}FAIL {2}operator\.getJob +\d+ ms {2}403 AuthorizationFailed: .*ImportExport\.Operator.* \(request id [\w-]+\)$/m);
  expect(run.stdout).toMatch(/hint: the token lacks the operator role/);
  expect(run.stdout).toMatch(/^ {2}ok {4}cleanup: jobs\.delete +\d+ ms/m);
  const summary = summaryOf(run);
  expect(summary).toMatchObject({ result: "failed", failedStep: "operator.getJob", job: { deleted: true } });
  expect(summary.steps.map((step) => [step.step, step.ok])).toEqual([...CUSTOMER_STEPS.map((step) => [step, true]), ["operator.getJob", false]]);
  expect(await jobExists(subscription, summary.job.resourceGroup, summary.job.name)).toBe(false);
});

/**
 * An HTTPS proxy in front of the service that answers the requests `failing` picks (the first
 * `times` of them) with a 503 in ARM's error shape, as a service whose storage is not reachable yet
 * does, and forwards the rest.
 */
async function failingProxy(failing: (method: string, url: string, body: string) => boolean, times = 1): Promise<{ url: string; close(): Promise<void> }> {
  let failures = 0;
  const target = new URL(service.url);
  const server = https.createServer(tls, (request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks);
      if (failures < times && failing(request.method!, request.url!, body.toString("utf8"))) {
        failures++;
        response.writeHead(503, { "content-type": "application/json", "x-ms-request-id": "proxy-503" });
        response.end(JSON.stringify({ error: { code: "StorageUnavailable", message: "The service's storage is not reachable." } }));
        return;
      }
      const forwarded = https.request({ host: target.hostname, port: target.port, path: request.url, method: request.method, headers: { ...request.headers, host: target.host }, ca: tls.cert }, (answer) => {
        response.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(response);
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test("a failure once the job has shipped: the cleanup takes it through the operator API to Completed, then deletes it", async () => {
  const subscription = newSubscriptionId();
  const proxy = await failingProxy((method, url, body) => method === "POST" && url.endsWith("/events") && body.includes("PackageReceived"));
  try {
    const run = await runSmoke(subscription, ["--token", DEV_TOKENS.customer, "--operator-token", DEV_TOKENS.operator], proxy.url);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^ {2}FAIL {2}operator\.event PackageReceived +\d+ ms {2}503 StorageUnavailable: The service's storage is not reachable\. \(request id proxy-503\)$/m);
    expect(run.stdout).toMatch(/hint: the service can't reach its storage yet: on a first deployment the role assignments take a few minutes/);
    expect(run.stdout).toMatch(/^ {2}ok {4}cleanup: jobs\.delete +\d+ ms/m);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ result: "failed", failedStep: "operator.event PackageReceived", job: { deleted: true } });
    expect(await jobExists(subscription, summary.job.resourceGroup, summary.job.name)).toBe(false);
  } finally {
    await proxy.close();
  }
});

test("a job the cleanup cannot remove is reported with where it was left and why, and the run fails", async () => {
  const subscription = newSubscriptionId();
  // Every operator event refused: the job, shipped, can reach neither Completed nor a delete.
  const proxy = await failingProxy((method, url) => method === "POST" && url.endsWith("/events"), Infinity);
  try {
    const run = await runSmoke(subscription, ["--token", DEV_TOKENS.customer, "--operator-token", DEV_TOKENS.operator], proxy.url);
    expect(run.code).toBe(1);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ result: "failed", failedStep: "operator.event PackageReceived", job: { deleted: false, state: "Shipping" } });
    expect(run.stdout).toContain(`left behind: job importexport-smoke/${summary.job.name} in state Shipping: 503 StorageUnavailable`);
    expect(await jobExists(subscription, summary.job.resourceGroup, summary.job.name)).toBe(true);
  } finally {
    await proxy.close();
  }
});

test("a refused token fails the first step, 401 with the service's code, and nothing is created", async () => {
  const subscription = newSubscriptionId();
  const run = await runSmoke(subscription, ["--token", "not-a-token"]);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/^ {2}FAIL {2}operations\.list +\d+ ms {2}401 AuthenticationFailed: /m);
  expect(run.stdout).toMatch(/hint: the service refused the token/);
  const summary = summaryOf(run);
  expect(summary).toMatchObject({ result: "failed", failedStep: "operations.list", job: { deleted: true } });
  expect(summary.steps).toHaveLength(1);
  expect(await jobExists(subscription, summary.job.resourceGroup, summary.job.name)).toBe(false);
});
