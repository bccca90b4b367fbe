/**
 * Storage goes away under load and comes back. A separate Azurite, persisted to a temp folder on
 * fixed ports (with OAuth over HTTPS in identity mode), serves one test service with STORAGE_TIMEOUT_MS=1000. Workers create jobs, retag
 * them, mark some Shipping, delete others and read them back in a loop while Azurite is first hung
 * (SIGSTOP: connections accepted, nothing answered, so only the timeouts end requests), resumed,
 * then stopped and started again on the same ports and folder. While it is hung or down every
 * answer is a 503 in the ARM shape with Retry-After (never a 500), each within a bounded time; once
 * it is back the same service process works again, every acknowledged write survived (a write that
 * got a 503 may or may not have happened), and the invariant checker finds nothing wrong.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { AzuritePorts, freePorts, RunningAzurite, startAzurite } from "../../devhost/azurite";
import { getServices } from "../../shared/service/app/composition";
import { azuriteModeOptions } from "../support/identity";
import { ApiResponse, DELIVERY_PACKAGE, importJobBody, newSubscriptionId, RETURN_ADDRESS, startTestService, storageSettingsFor, TestService } from "../support/service";
import { api, expectArmError, jobUrl } from "../api/helpers";
import { checkAll, describeProblems, sleep } from "./helpers";

const STORAGE_TIMEOUT_MS = 1000;
/** No request may take longer than this, storage up or down. */
const REQUEST_BOUND_MS = 10_000;
const WORKERS = 6;
const RG = "faults-rg";

let folder: string;
let ports: AzuritePorts;
let azurite: RunningAzurite | undefined;
let service: TestService;

beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), "resilience-azurite-"));
  ports = await freePorts();
  azurite = await startAzurite({ ports, location: folder, ...azuriteModeOptions() });
  service = await startTestService({ ...storageSettingsFor(azurite), STORAGE_TIMEOUT_MS: String(STORAGE_TIMEOUT_MS) });
  // Tables, container and queue, while storage is up. On a loaded machine the first calls (TLS
  // handshakes, in identity mode) can outlast the 1 s timeout; the service answers 503 and builds
  // them on a later request, which is what these tries do.
  for (let attempt = 1; ; attempt++) {
    try {
      await getServices();
      break;
    } catch (error) {
      if (attempt === 5) throw error;
    }
  }
}, 60_000);

afterAll(async () => {
  await service?.close();
  await azurite?.stop();
  rmSync(folder, { recursive: true, force: true });
}, 60_000); // a stop waits up to 15 s for connections to go idle (devhost/azurite.ts)

type Phase = "up" | "paused" | "resuming" | "resumed" | "stopping" | "down" | "starting" | "recovering" | "back";
type Operation = "create" | "retag" | "ship" | "delete" | "get";

interface Outcome {
  operation: Operation;
  name: string;
  /** A read of a job whose deletion was acknowledged or may have happened: 404 is its success. */
  gone: boolean;
  status: number;
  ms: number;
  startedIn: Phase;
  endedIn: Phase;
  response: ApiResponse;
}

/** What the workers know of a job: its acknowledged tags and state, and writes whose outcome is unknown (503). */
interface Model {
  tags: Record<string, string>;
  /** Tag sets sent after the last acknowledged one that got a 503: each may or may not have been written. */
  maybeTags: Record<string, string>[];
  state: "Creating" | "Shipping";
  maybeShipping: boolean;
  deleted: boolean;
  maybeDeleted: boolean;
}

test("Azurite hung, then stopped, under load: 503 with Retry-After within bounds, never 500; back on the same ports and folder: the data survived and the service works on", async () => {
  const sub = newSubscriptionId();
  const outcomes: Outcome[] = [];
  const jobs = new Map<string, Model>();
  let phase: Phase = "up";
  let running = true;

  async function timed(operation: Operation, name: string, send: () => Promise<ApiResponse>): Promise<ApiResponse> {
    const startedIn = phase;
    const started = Date.now();
    const response = await send();
    const model = jobs.get(name);
    const gone = operation === "get" && !!model && (model.deleted || model.maybeDeleted);
    outcomes.push({ operation, name, gone, status: response.status, ms: Date.now() - started, startedIn, endedIn: phase, response });
    return response;
  }
  // A read of a job just deleted answers 404: that is the read succeeding.
  const ok = (response: ApiResponse, gone = false) => (response.status >= 200 && response.status < 300) || (gone && response.status === 404);

  async function worker(w: number): Promise<void> {
    for (let i = 0; running; i++) {
      const name = `load-${w}-${i}`;
      const url = jobUrl(sub, RG, name);
      const tags = { worker: String(w), job: String(i), version: "0" };
      const created = await timed("create", name, () => api(service, "PUT", url, importJobBody(sub, { tags })));
      if (!ok(created)) {
        await sleep(50); // storage is down: don't spin
        continue;
      }
      const model: Model = { tags, maybeTags: [], state: "Creating", maybeShipping: false, deleted: false, maybeDeleted: false };
      jobs.set(name, model);
      for (let version = 1; version <= 2 && running; version++) {
        const next = { ...tags, version: String(version) };
        const retagged = await timed("retag", name, () => api(service, "PATCH", url, { tags: next }));
        if (ok(retagged)) Object.assign(model, { tags: next, maybeTags: [] });
        else model.maybeTags.push(next);
      }
      if (i % 3 === 1) {
        const shipped = await timed("ship", name, () =>
          api(service, "PATCH", url, { properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping" } }),
        );
        if (ok(shipped)) model.state = "Shipping";
        else model.maybeShipping = true;
      }
      if (i % 3 === 2) {
        const deleted = await timed("delete", name, () => api(service, "DELETE", url));
        if (ok(deleted)) model.deleted = true;
        else model.maybeDeleted = true;
      }
      const read = await timed("get", name, () => api(service, "GET", url));
      if (model.deleted) {
        expect([404, 503]).toContain(read.status);
      } else if (read.status === 200) {
        // A read in between sees the last acknowledged write or one whose answer was lost.
        expect([model.tags, ...model.maybeTags]).toContainEqual(read.body.tags);
        if (!model.maybeShipping) expect(read.body.properties.state).toBe(model.state);
      }
    }
  }

  /** Until a read of a job created earlier answers 200: the same process finding storage again by itself. */
  async function untilServing(): Promise<void> {
    const probe = [...jobs.keys()][0];
    const deadline = Date.now() + 15_000;
    while ((await api(service, "GET", jobUrl(sub, RG, probe))).status !== 200) {
      if (Date.now() > deadline) throw new Error("the service did not recover within 15 s of storage coming back");
      await sleep(100);
    }
  }

  /**
   * Stays in the current phase for `ms`, and longer (up to 8 s more) until `count` requests have
   * finished in it: a busy machine still gets enough load into every phase.
   */
  async function hold(ms: number, count: number): Promise<void> {
    const current = phase;
    await sleep(ms);
    const deadline = Date.now() + 8_000;
    while (outcomes.filter((outcome) => outcome.startedIn === current).length < count && Date.now() < deadline) await sleep(100);
  }

  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  let paused = false;
  try {
    await hold(1500, 30 + WORKERS);
    // Hung: Azurite accepts connections but answers nothing, so only the timeouts end requests.
    phase = "paused";
    paused = azurite!.process.kill("SIGSTOP");
    await hold(4000, 8 + WORKERS);
    azurite!.process.kill("SIGCONT");
    paused = false;
    phase = "resuming";
    await untilServing();
    phase = "resumed";
    await hold(1500, 30 + WORKERS);
    // Gone: connections refused.
    phase = "stopping";
    await azurite!.stop();
    azurite = undefined;
    phase = "down";
    await hold(3000, 15 + WORKERS);
    phase = "starting";
    azurite = await startAzurite({ ports, location: folder, ...azuriteModeOptions() });
    phase = "recovering";
    await untilServing();
    phase = "back";
    await hold(2000, 30 + WORKERS);
  } finally {
    if (paused) azurite?.process.kill("SIGCONT");
    running = false;
    await Promise.all(workers);
  }

  // Never a 500, never unbounded; only a storage outage refuses anything.
  const byStatus = (status: number) => outcomes.filter((outcome) => outcome.status === status);
  const unexpected = outcomes.filter((outcome) => ![200, 201, 503].includes(outcome.status) && !(outcome.gone && outcome.status === 404));
  expect(unexpected.map((outcome) => `${outcome.operation} ${outcome.name}: ${outcome.status} ${JSON.stringify(outcome.response.body)}`)).toEqual([]);
  const slowest = Math.max(...outcomes.map((outcome) => outcome.ms));
  expect(slowest).toBeLessThan(REQUEST_BOUND_MS);

  // Each 503 is the ARM error with Retry-After, and typically a prompt one: the storage calls give up
  // after STORAGE_TIMEOUT_MS (a hung account) or a couple of quick retries (a refused connection).
  const unavailable = byStatus(503);
  for (const outcome of unavailable) {
    expectArmError(outcome.response, 503, "ServiceUnavailable");
    expect(Number(outcome.response.headers.get("retry-after"))).toBeGreaterThan(0);
  }
  const median = unavailable.map((outcome) => outcome.ms).sort((a, b) => a - b)[Math.floor(unavailable.length / 2)];
  expect(median).toBeLessThan(2 * STORAGE_TIMEOUT_MS);

  // Storage up: everything worked. Hung or down: nothing did, and the load really hit the outage.
  const within = (p: Phase) => outcomes.filter((outcome) => outcome.startedIn === p && outcome.endedIn === p);
  const failed = (outcome: Outcome) => !ok(outcome.response, outcome.gone);
  const summary = (list: Outcome[]) => list.map((outcome) => `${outcome.operation} ${outcome.name} ${outcome.status} ${outcome.ms}ms`);
  expect(within("up").length).toBeGreaterThanOrEqual(30);
  expect(summary(within("up").filter(failed))).toEqual([]);
  expect(within("paused").length).toBeGreaterThanOrEqual(8);
  expect(summary(within("paused").filter((outcome) => outcome.status !== 503))).toEqual([]);
  expect(within("resumed").length).toBeGreaterThanOrEqual(30);
  expect(summary(within("resumed").filter(failed))).toEqual([]);
  expect(within("down").length).toBeGreaterThanOrEqual(15);
  expect(summary(within("down").filter((outcome) => outcome.status !== 503))).toEqual([]);
  expect(within("down").map((outcome) => outcome.operation)).toContain("create");
  // Back: the same process serves again without a restart, every request succeeding.
  expect(within("back").length).toBeGreaterThanOrEqual(30);
  expect(summary(within("back").filter(failed))).toEqual([]);

  // The data survived: each acknowledged write is there (or a later one whose answer was lost).
  expect(jobs.size).toBeGreaterThan(10);
  for (const [name, model] of jobs) {
    const read = await api(service, "GET", jobUrl(sub, RG, name));
    if (model.deleted) {
      expect(read.status).toBe(404);
      continue;
    }
    if (model.maybeDeleted && read.status === 404) continue;
    expect(read.status).toBe(200);
    expect([model.tags, ...model.maybeTags]).toContainEqual(read.body.tags);
    if (!model.maybeShipping) expect(read.body.properties.state).toBe(model.state);
  }

  // And the store is sound: states, history, an index entry for every deadline, no stray blobs.
  expect(describeProblems(await checkAll())).toEqual([]);
}, 90_000);
