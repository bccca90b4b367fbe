/**
 * Secrets stay where they belong. BitLocker keys appear only in listBitLockerKeys: never in another
 * response (customer or operator, success or error), a queue message or a log line. Log URIs are
 * read-only, single-blob and expiring SAS URIs. The storage account key and connection string never
 * appear in a response or a log line, even when storage is down (503) or misconfigured (500).
 */
import { randomUUID } from "node:crypto";
import { QueueClient } from "@azure/storage-queue";
import { TableClient } from "@azure/data-tables";
import { startLocalHost } from "../../devhost/local-host";
import { getServices, getSettings } from "../../shared/service/app/composition";
import { timerDefinitions } from "../../shared/service/app/timers";
import { createQueueServiceClient, createTableClient } from "../../shared/storage/clients";
import { decodeQueueMessage } from "../../shared/storage/notification-queue";
import {
  API,
  BITLOCKER_KEY,
  DELIVERY_PACKAGE,
  driveSpec,
  importJobBody,
  newSubscriptionId,
  RETURN_ADDRESS,
  TestClock,
  testEnvironment,
  TestService,
} from "../support/service";
import { expectArmError, jobUrl } from "../api/helpers";
import { uniqueStorageNames } from "../maintenance/helpers";
import { Body, expectNoSecrets, RawResponse, send, SendOptions } from "./helpers";

const SECOND_KEY = "305712-440308-121385-650507-011253-629629-105666-702075";
const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const BITLOCKER_SECRETS = [BITLOCKER_KEY, SECOND_KEY, ...[BITLOCKER_KEY, SECOND_KEY].map((key) => key.replace(/-/g, ""))];
/** The account key, in any encoding a careless writer might use, and the connection-string keyword. */
const STORAGE_SECRETS = [AZURITE_KEY, encodeURIComponent(AZURITE_KEY), Buffer.from(AZURITE_KEY, "base64").toString("hex"), "AccountKey", "SharedKey "];
const ALL_SECRETS = [...BITLOCKER_SECRETS, ...STORAGE_SECRETS];
/** Two groups of a BitLocker key: no error message should hold even that much of one. */
const KEY_FRAGMENT = /\d{6}-\d{6}/;
const LIFETIME_MS = 10 * 60_000;
const RG = "Secrets-RG";

interface Capture {
  lines: string[];
  restore(): void;
}

/** Everything written to the console or to stdout/stderr while it runs (passed through unchanged). */
function captureOutput(): Capture {
  const lines: string[] = [];
  const spies: jest.SpyInstance[] = [];
  for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
    spies.push(jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(`[console.${method}] ${args.map(String).join(" ")}`)));
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream);
    spies.push(
      jest.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
        lines.push(String(chunk));
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write),
    );
  }
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

interface LoggedService extends TestService {
  /** Every line the local host logged: one per request, timer reports, invocation errors and warnings. */
  log: string[];
}

async function startLoggedService(overrides: Record<string, string>, clock?: TestClock): Promise<LoggedService> {
  testEnvironment(overrides, clock);
  const log: string[] = [];
  const host = await startLocalHost({ port: 0, timers: timerDefinitions(), log: (line) => log.push(line) });
  return { host, url: host.url, log, close: () => host.close() };
}

describe("with storage", () => {
  let service: LoggedService;
  let output: Capture;
  const clock = new TestClock(new Date(Math.floor(Date.now() / 1000) * 1000));
  const sub = newSubscriptionId();
  const job = { sub, rg: RG, name: "secret-job" };
  const operatorPath = (suffix = "") => `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/${job.name}${suffix}`;
  /** Every response of this block, to be searched once more at the end. */
  const responses: { label: string; response: RawResponse }[] = [];

  /** A request whose response must hold no secret at all (headers included). */
  async function clean(label: string, method: string, path: string, options: SendOptions = {}, status?: number): Promise<RawResponse> {
    const response = await send(service, method, path, options);
    responses.push({ label, response });
    if (status !== undefined && response.status !== status) throw new Error(`${label}: expected ${status}, got ${response.status} ${response.text}`);
    expectNoSecrets(label, response.text, ALL_SECRETS);
    expectNoSecrets(`${label} (headers)`, response.headerText, ALL_SECRETS);
    return response;
  }

  function jobBody(properties: Record<string, unknown> = {}) {
    return importJobBody(sub, {
      properties: {
        driveList: [driveSpec("DRIVE01"), driveSpec("DRIVE02", { bitLockerKey: SECOND_KEY })],
        returnAddress: RETURN_ADDRESS,
        logLevel: "Verbose",
        backupDriveManifest: true,
        ...properties,
      },
    });
  }

  beforeAll(async () => {
    output = captureOutput();
    service = await startLoggedService({ ...uniqueStorageNames(), LOG_SAS_LIFETIME: "PT10M" }, clock);
  });
  afterAll(async () => {
    await service?.close();
    output?.restore();
  });

  test("the test's secrets are real: the connection string in use holds the Azurite key", () => {
    expect(process.env.ImportExportStorage).toContain(`AccountKey=${AZURITE_KEY}`);
    expect(BITLOCKER_KEY).not.toBe(SECOND_KEY);
  });

  test("Create, Get, Update and List responses never carry a key; listBitLockerKeys does", async () => {
    const url = jobUrl(sub, RG, job.name);
    await clean("create", "PUT", url, { body: jobBody() }, 201);
    await clean("get", "GET", url, {}, 200);
    await clean("replace (keys sent again)", "PUT", url, { body: { ...jobBody(), tags: { a: "b" } } }, 200);
    const kept = importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: undefined }), driveSpec("DRIVE02", { bitLockerKey: undefined })], returnAddress: RETURN_ADDRESS, logLevel: "Verbose", backupDriveManifest: true } });
    await clean("replace (keys kept)", "PUT", url, { body: kept }, 200);
    await clean("patch tags", "PATCH", url, { body: { tags: { c: "d" } } }, 200);
    await clean("patch drive list with keys", "PATCH", url, { body: { properties: { driveList: [driveSpec("DRIVE01"), driveSpec("DRIVE02", { bitLockerKey: SECOND_KEY })] } } }, 200);
    await clean("list by subscription", "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`, {}, 200);
    await clean("list by resource group", "GET", `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs?${API}`, {}, 200);
    const filtered = await clean("list filtered", "GET", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}&$filter=${encodeURIComponent("state eq 'Creating'")}`, {}, 200);
    expect(filtered.body.value).toHaveLength(1);
    const shipping = await clean("patch to Shipping", "PATCH", url, { body: { properties: { state: "Shipping", deliveryPackage: DELIVERY_PACKAGE } } }, 200);
    expect(shipping.body.properties.state).toBe("Shipping");

    // The one place the keys are given out (and a check that the searches above can find them).
    const keys = await send(service, "POST", jobUrl(sub, RG, job.name, "/listBitLockerKeys"));
    expect(keys.status).toBe(200);
    expect(keys.body.value).toEqual([
      { driveId: "DRIVE01", bitLockerKey: BITLOCKER_KEY },
      { driveId: "DRIVE02", bitLockerKey: SECOND_KEY },
    ]);
    expect(keys.text).toContain(BITLOCKER_KEY);
    expectNoSecrets("listBitLockerKeys", keys.text, STORAGE_SECRETS);
  });

  test("in storage, the keys are only in their own column, never in the job document the lists read", async () => {
    const entity = await createTableClient(getSettings(), getSettings().jobsTableName).getEntity<Record<string, unknown>>(`${sub}:${RG}`.toLowerCase(), job.name);
    expect(String(entity.BitLockerKeys)).toContain(SECOND_KEY);
    for (const [column, value] of Object.entries(entity)) {
      if (column !== "BitLockerKeys") expectNoSecrets(`column ${column}`, typeof value === "string" ? value : JSON.stringify(value ?? null), BITLOCKER_SECRETS);
    }
  });

  test("operator responses (events, job, history, lists) never carry a key", async () => {
    await clean("event PackageReceived", "POST", operatorPath("/events"), { body: { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "IN-1", driveIds: ["DRIVE01", "DRIVE02"] } }, 200);
    await clean("event TransferStarted", "POST", operatorPath("/events"), { body: { type: "TransferStarted", driveId: "DRIVE01", totalBytes: 100, manifest: "<DriveManifest/>" } }, 200);
    await clean("event TransferProgress", "POST", operatorPath("/events"), {
      body: { type: "TransferProgress", driveId: "DRIVE01", bytesSucceeded: 10, percentComplete: 10, errorLog: ["an error line"], verboseLog: ["a verbose line"] },
    }, 200);
    await clean("event FaultDrive", "POST", operatorPath("/events"), { body: { type: "FaultDrive", driveId: "DRIVE02", reason: "unreadable" } }, 200);
    await clean("event refused", "POST", operatorPath("/events"), { body: { type: "ShippedBack", carrierName: "UPS", trackingNumber: "R-1", driveCount: 2, shipDate: "2026-12-01" } });
    await clean("operator get", "GET", operatorPath(), {}, 200);
    const history = await clean("operator history", "GET", operatorPath("/history"), {}, 200);
    expect(history.body.value.length).toBeGreaterThan(3);
    const attention = await clean("operator list", "GET", "/operator/jobs", {}, 200);
    expect((attention.body.value as Body[]).map((item) => item.name)).toContain(job.name);
    await clean("operator list faulted", "GET", "/operator/jobs?view=faulted", {}, 200);
    await clean("operator arrivals", "GET", "/operator/arrivals?status=Attached", {}, 200);
    await clean("customer get with log URIs", "GET", jobUrl(sub, RG, job.name), {}, 200);
  });

  test("failing requests that carried a key do not echo it (or any part of it) in the error", async () => {
    const url = jobUrl(newSubscriptionId(), RG, "bad-key-job");
    const badKeys = [
      `${BITLOCKER_KEY.slice(0, -1)}X`,
      `${BITLOCKER_KEY}-123456`,
      BITLOCKER_KEY.replace(/-/g, ""),
      BITLOCKER_KEY.replace(/-/g, " "),
      ` ${BITLOCKER_KEY}`,
      `${SECOND_KEY.slice(0, 20)}`,
    ];
    for (const bad of badKeys) {
      const body = importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: bad }), driveSpec("DRIVE02", { bitLockerKey: SECOND_KEY })] } });
      const response = await clean(`bad key '${bad}'`, "PUT", url, { body }, 400);
      expectArmError(response, 400, "InvalidRequestContent", { message: /bitLockerKey/ });
      expect(response.text).not.toContain(bad.trim());
      expect(response.text).not.toMatch(KEY_FRAGMENT);
    }
    for (const bad of [123456, [BITLOCKER_KEY], { key: BITLOCKER_KEY }, true]) {
      const body = importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01", { bitLockerKey: bad })] } });
      const response = await clean(`bad key type ${typeof bad}`, "PUT", url, { body }, 400);
      expect(response.text).not.toMatch(KEY_FRAGMENT);
    }
    // Valid keys in a request that fails for another reason.
    const otherFailures: [string, string, unknown][] = [
      ["an unknown location", "PUT", { ...jobBody(), location: "Atlantis" }],
      ["a bad storage account", "PUT", jobBody({ storageAccountId: "not-an-id" })],
      ["a duplicate drive", "PUT", jobBody({ driveList: [driveSpec("DRIVE01"), driveSpec("DRIVE01", { bitLockerKey: SECOND_KEY })] })],
      ["too many drives", "PUT", jobBody({ driveList: Array.from({ length: 11 }, (_, i) => driveSpec(`DRIVE${i}`, { bitLockerKey: i % 2 ? SECOND_KEY : BITLOCKER_KEY })) })],
      ["a patch of a missing job", "PATCH", { properties: { driveList: [driveSpec("DRIVE01"), driveSpec("DRIVE02", { bitLockerKey: SECOND_KEY })] } }],
    ];
    for (const [label, method, body] of otherFailures) {
      const response = await clean(label, method, url, { body });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.text).not.toMatch(KEY_FRAGMENT);
    }
    // A key in a body that is not valid JSON (a typo next to the key): the parser's complaint must not quote it.
    const typos = [
      `{"location":"westus","properties":{"driveList":[{"driveId":"DRIVE01","bitLockerKey":'${BITLOCKER_KEY}'}]}}`,
      `{"location":"westus","properties":{"driveList":[{"driveId":"DRIVE01","bitLockerKey":${BITLOCKER_KEY}}]}}`,
      `{"location":"westus","properties":{"driveList":[{"driveId":"DRIVE01","bitLockerKey":"${BITLOCKER_KEY}" x}]}}`,
      `{"location":"westus","properties":{"driveList":[{"driveId":"DRIVE01","bitLockerKey":"${BITLOCKER_KEY}",,}]}}`,
      `{"location":"westus","properties":{"driveList":[{"bitLockerKey":"${BITLOCKER_KEY}", x:1}]}}`,
      `["${BITLOCKER_KEY}", x]`,
    ];
    for (const text of typos) {
      const response = await clean(`malformed JSON ${text.slice(-40)}`, "PUT", url, { body: text }, 400);
      expectArmError(response, 400, "InvalidRequestContent", { message: /not valid JSON/ });
      expect(response.text).not.toMatch(KEY_FRAGMENT);
      expect(response.text).not.toMatch(/\d{6}/);
    }
  });

  test("log URIs are read-only, scoped to one blob and expiring SAS URIs", async () => {
    const get = await send(service, "GET", jobUrl(sub, RG, job.name));
    const drive = (get.body.properties.driveList as Body[]).find((candidate) => candidate.driveId === "DRIVE01");
    const uris: Record<string, string> = { errorLog: drive.errorLogUri, verboseLog: drive.verboseLogUri, manifest: drive.manifestUri };
    for (const [kind, uri] of Object.entries(uris)) {
      expect({ kind, uri }).toEqual({ kind, uri: expect.any(String) });
      const parsed = new URL(uri);
      expect(parsed.searchParams.get("sp")).toBe("r");
      expect(parsed.searchParams.get("sr")).toBe("b");
      expect(parsed.searchParams.get("sig")).toEqual(expect.any(String));
      const signedAt = clock.now().getTime();
      const expiresIn = Date.parse(parsed.searchParams.get("se")!) - signedAt;
      expect(expiresIn).toBeGreaterThan(LIFETIME_MS - 60_000);
      expect(expiresIn).toBeLessThanOrEqual(LIFETIME_MS);
      expect(Date.parse(parsed.searchParams.get("st")!)).toBeLessThanOrEqual(signedAt);
      expect((await fetch(uri)).status).toBe(200);
    }

    const errorLog = uris.errorLog;
    const original = await (await fetch(errorLog)).text();
    expect(original).toContain("an error line");

    // Read-only: no write, append, delete, metadata or tier change with the same SAS.
    const withQuery = (uri: string, extra: string) => `${uri}&${extra}`;
    const writes: [string, string, RequestInit][] = [
      ["overwrite", errorLog, { method: "PUT", headers: { "x-ms-blob-type": "BlockBlob" }, body: "overwritten" }],
      ["append", withQuery(errorLog, "comp=appendblock"), { method: "PUT", body: "appended" }],
      ["delete", errorLog, { method: "DELETE" }],
      ["metadata", withQuery(errorLog, "comp=metadata"), { method: "PUT", headers: { "x-ms-meta-owner": "mallory" } }],
      ["snapshot", withQuery(errorLog, "comp=snapshot"), { method: "PUT" }],
    ];
    for (const [label, uri, init] of writes) expect({ label, status: (await fetch(uri, init)).status }).toEqual({ label, status: 403 });
    expect(await (await fetch(errorLog)).text()).toBe(original);

    // One blob: its signature does not open the job's other blobs, another job's blob or the container.
    const errorUrl = new URL(errorLog);
    const sas = errorUrl.search;
    const onPath = (uri: string) => `${new URL(uri).origin}${new URL(uri).pathname}${sas}`;
    expect((await fetch(onPath(uris.verboseLog))).status).toBe(403);
    expect((await fetch(onPath(uris.manifest))).status).toBe(403);
    const container = errorUrl.pathname.split("/").slice(0, 3).join("/");
    expect((await fetch(`${errorUrl.origin}${container}${sas}&restype=container&comp=list`)).status).toBe(403);
    const otherJob = errorUrl.pathname.replace(`/${RG.toLowerCase()}/${job.name}/`, `/${RG.toLowerCase()}/another-job/`);
    expect(otherJob).not.toBe(errorUrl.pathname);
    expect((await fetch(`${errorUrl.origin}${otherJob}${sas}`)).status).toBe(403);

    // Expiring: a URI signed 20 minutes ago (lifetime 10) is refused by storage.
    const now = clock.now();
    clock.set(new Date(now.getTime() - 20 * 60_000));
    try {
      const old = await send(service, "GET", jobUrl(sub, RG, job.name));
      const expired = (old.body.properties.driveList as Body[]).find((candidate) => candidate.driveId === "DRIVE01").errorLogUri as string;
      expect(Date.parse(new URL(expired).searchParams.get("se")!)).toBeLessThan(Date.now());
      expect((await fetch(expired)).status).toBe(403);
    } finally {
      clock.set(now);
    }
  });

  test("a 500 (an unreadable stored job) says nothing of keys or storage; it is logged as an error", async () => {
    const name = "corrupted-job";
    await clean("create the job to corrupt", "PUT", jobUrl(sub, RG, name), { body: jobBody() }, 201);
    const table: TableClient = createTableClient(getSettings(), getSettings().jobsTableName);
    await table.updateEntity({ partitionKey: `${sub}:${RG}`.toLowerCase(), rowKey: name, Job: `{"not json: ${randomUUID()}` }, "Merge");
    const failed = await clean("500 get", "GET", jobUrl(sub, RG, name), {}, 500);
    expectArmError(failed, 500, "InternalServerError");
    const list = await clean("500 list", "GET", `/subscriptions/${sub}/resourceGroups/${RG}/providers/Microsoft.ImportExport/jobs?${API}`, {}, 500);
    expectArmError(list, 500, "InternalServerError");
    // The cause is logged (as an error, with the request id the 500 names and the operation), never sent.
    expect(service.log.some((line) => /^\[error\] Request \S+ failed .*operation=Jobs_Get/.test(line))).toBe(true);
  });

  test("the maintenance sweep's report says nothing of keys", async () => {
    const sweep = await clean("sweep", "POST", "/admin/functions/MaintenanceSweep", {}, 200);
    expect(sweep.body.name).toBe("MaintenanceSweep");
    expect(service.log.some((line) => line.startsWith("MaintenanceSweep: ") && line.includes("event=sweep"))).toBe(true);
  });

  test("no queue message carries a key or storage secret", async () => {
    const services = await getServices();
    expect(services.settings.notificationsQueueName).toMatch(/^mnotices-/);
    const queue: QueueClient = createQueueServiceClient(getSettings()).getQueueClient(getSettings().notificationsQueueName);
    const peeked = await queue.peekMessages({ numberOfMessages: 32 });
    // Each message as sent, batches opened up.
    const textsOf = (items: { messageText: string }[]) => items.flatMap((item) => decodeQueueMessage(item.messageText).map((message) => JSON.stringify(message)));
    const texts = textsOf(peeked.peekedMessageItems);
    // Then every message, beyond the 32 a peek shows.
    for (;;) {
      const received = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
      if (received.receivedMessageItems.length === 0) break;
      texts.push(...textsOf(received.receivedMessageItems));
    }
    expect(texts.length).toBeGreaterThan(4);
    expect(texts.some((text) => text.includes(job.name))).toBe(true);
    texts.forEach((text, i) => expectNoSecrets(`queue message ${i}`, text, ALL_SECRETS));
  });

  test("no log line or console output holds a secret, and every response searched again holds none", () => {
    expect(service.log.length).toBeGreaterThan(20);
    expect(service.log.some((line) => /^PUT \/subscriptions\/.* 201 /.test(line))).toBe(true);
    [...service.log, ...output.lines].forEach((line, i) => expectNoSecrets(`log line ${i}: ${line.slice(0, 80)}`, line, ALL_SECRETS));
    expect(responses.length).toBeGreaterThan(30);
    for (const { label, response } of responses) expectNoSecrets(label, `${response.headerText}\n${response.text}`, ALL_SECRETS);
  });
});

/** Storage that refuses connections, reached with the real account key: every answer is a 503. */
describe("storage unreachable (503)", () => {
  let service: LoggedService;
  let output: Capture;
  beforeAll(async () => {
    output = captureOutput();
    const closed = "http://127.0.0.1:1/devstoreaccount1";
    service = await startLoggedService({
      ...uniqueStorageNames(),
      ImportExportStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=${closed};QueueEndpoint=${closed};TableEndpoint=${closed};`,
      STORAGE_TIMEOUT_MS: "2000",
    });
  });
  afterAll(async () => {
    await service?.close();
    output?.restore();
  });

  test("503 ServiceUnavailable bodies and the log name neither the key nor the connection string", async () => {
    const sub = newSubscriptionId();
    const requests: [string, string, unknown][] = [
      ["PUT", jobUrl(sub, RG, "down"), importJobBody(sub, { properties: { driveList: [driveSpec("DRIVE01"), driveSpec("DRIVE02", { bitLockerKey: SECOND_KEY })] } })],
      ["GET", jobUrl(sub, RG, "down"), undefined],
      ["POST", jobUrl(sub, RG, "down", "/listBitLockerKeys"), undefined],
      ["GET", `/operator/subscriptions/${sub}/resourceGroups/${RG}/jobs/down`, undefined],
      ["POST", "/admin/functions/MaintenanceSweep", undefined],
    ];
    for (const [method, path, body] of requests) {
      const response = await send(service, method, path, { body });
      expectArmError(response, 503, "ServiceUnavailable");
      expect(response.headers.get("retry-after")).toEqual(expect.any(String));
      expectNoSecrets(`503 ${method} ${path}`, `${response.headerText}\n${response.text}`, ALL_SECRETS);
      expect(response.text).not.toContain("127.0.0.1:1");
    }
    expect(service.log.length).toBeGreaterThanOrEqual(requests.length);
    [...service.log, ...output.lines].forEach((line, i) => expectNoSecrets(`log line ${i}: ${line.slice(0, 80)}`, line, ALL_SECRETS));
  });
});

/** A connection string the storage SDK can't use: every answer is a 500, logged as an error. */
describe("storage misconfigured (500)", () => {
  let service: LoggedService;
  let output: Capture;
  beforeAll(async () => {
    output = captureOutput();
    service = await startLoggedService({
      ...uniqueStorageNames(),
      ImportExportStorage: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_KEY};BlobEndpoint=not a url;QueueEndpoint=not a url;TableEndpoint=not a url;`,
    });
  });
  afterAll(async () => {
    await service?.close();
    output?.restore();
  });

  test("500 InternalServerError bodies and the error log name neither the key nor the connection string", async () => {
    const sub = newSubscriptionId();
    for (const [method, path, body] of [
      ["PUT", jobUrl(sub, RG, "broken"), importJobBody(sub)],
      ["GET", jobUrl(sub, RG, "broken"), undefined],
      ["POST", jobUrl(sub, RG, "broken", "/listBitLockerKeys"), undefined],
    ] as [string, string, unknown][]) {
      const response = await send(service, method, path, { body });
      expectArmError(response, 500, "InternalServerError", { message: /request id/ });
      expectNoSecrets(`500 ${method} ${path}`, `${response.headerText}\n${response.text}`, ALL_SECRETS);
      expect(response.text).not.toMatch(/not a url|Endpoint|Invalid URL|TypeError|at .*\.ts/);
    }
    expect(service.log.filter((line) => line.startsWith("[error]")).length).toBeGreaterThanOrEqual(3);
    [...service.log, ...output.lines].forEach((line, i) => expectNoSecrets(`log line ${i}: ${line.slice(0, 80)}`, line, ALL_SECRETS));
  });
});
