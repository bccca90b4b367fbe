/**
 * Property-based HTTP fuzzing of the whole service through the local host against Azurite.
 *
 * Properties, for every generated request: never a 5xx; an `x-ms-request-id` on every response;
 * every 4xx in the ARM error shape; a certainly invalid request refused with a 4xx. Seeded jobs (in
 * their own subscriptions, in several states) receive only reads and certainly invalid writes, and
 * their table entities must stay exactly as they were: checked after every batch and at the end.
 *
 * Quick mode sends about 10,000 requests (batches of 16 in parallel). `FUZZ_RUNS=100000` sends that
 * many; `FUZZ_SEED=<n>` replays another seed (the seed is printed with any failure).
 */
import type { TableClient } from "@azure/data-tables";
import * as fc from "fast-check";
import { getSettings } from "../../shared/service/app/composition";
import { timerDefinitions } from "../../shared/service/app/timers";
import { API, ApiResponse, call, DELIVERY_PACKAGE, exportJobBody, importJobBody, jobPath, newSubscriptionId, RETURN_ADDRESS, startTestService, TestService } from "../support/service";
import { customerRequest, FuzzTargets, JobTarget, operatorRequest, pathRequest, queryRequest, seededRequest } from "./arbitraries";
import {
  assertProperty,
  BATCH,
  describeRequest,
  FuzzClient,
  FuzzRequest,
  jobsTable,
  QUICK_REQUESTS,
  runsFor,
  SEED,
  sendBatch,
  snapshot,
  snapshotDiff,
  TOTAL_REQUESTS,
} from "./support";

/** Generous: the quick run takes well under a minute; long runs scale with FUZZ_RUNS. */
const TIMEOUT_MS = Math.max(300_000, TOTAL_REQUESTS * 30);

let service: TestService;
let client: FuzzClient;
let table: TableClient;
let targets: FuzzTargets;
let seededSubs: string[];
let initial: Map<string, string>;
let started = 0;

async function expectStatus(what: string, status: number, response: Promise<ApiResponse>): Promise<ApiResponse> {
  const answered = await response;
  if (answered.status !== status) throw new Error(`seeding: ${what} answered ${answered.status}, not ${status}: ${JSON.stringify(answered.body)}`);
  return answered;
}

function url(job: { sub: string; rg: string; name: string }, suffix = ""): string {
  return `${jobPath(job.sub, job.rg, job.name)}${suffix}?${API}`;
}

function operatorUrl(job: { sub: string; rg: string; name: string }, suffix = ""): string {
  return `/operator/subscriptions/${job.sub}/resourceGroups/${job.rg}/jobs/${job.name}${suffix}`;
}

async function create(job: JobTarget): Promise<void> {
  const body = job.jobType === "Import" ? importJobBody(job.sub) : exportJobBody(job.sub);
  await expectStatus(`create ${job.name}`, 201, call(service, "PUT", url(job), body));
}

async function markShipping(job: JobTarget): Promise<void> {
  await expectStatus(`ship ${job.name}`, 200, call(service, "PATCH", url(job), { properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping" } }));
}

async function operatorEvent(job: JobTarget, event: Record<string, unknown>): Promise<void> {
  await expectStatus(`${String(event.type)} on ${job.name}`, 200, call(service, "POST", operatorUrl(job, "/events"), event));
}

/** The `$skiptoken` of a list's nextLink (the list must have a next page). */
async function skipTokenOf(path: string): Promise<string> {
  const response = await expectStatus(`list ${path}`, 200, call(service, "GET", path));
  const next = response.body.nextLink as string | undefined;
  if (!next) throw new Error(`seeding: ${path} has no next page`);
  const token = new URL(next).searchParams.get("$skiptoken");
  if (!token) throw new Error(`seeding: ${next} has no $skiptoken`);
  return token;
}

/** Jobs in six states across two subscriptions, a fuzz subscription with a few jobs, and arrivals. */
async function seed(): Promise<FuzzTargets> {
  const subA = newSubscriptionId();
  const subB = newSubscriptionId();
  const imported = (sub: string, rg: string, name: string): JobTarget => ({ sub, rg, name, jobType: "Import", driveIds: ["DRIVE01", "DRIVE02"] });
  const creating = imported(subA, "seed-rg", "seed-import");
  const exporting: JobTarget = { sub: subA, rg: "seed-rg", name: "seed-export", jobType: "Export", driveIds: [] };
  const shipping = imported(subA, "seed-rg", "seed-shipping");
  const transferring = imported(subB, "Seed.RG(2)_x-y", "seed-transfer");
  const completed = imported(subB, "Seed.RG(2)_x-y", "Seed_Done");
  const faulted = imported(subB, "Seed.RG(2)_x-y", "seed-faulted");
  const seeded = [creating, exporting, shipping, transferring, completed, faulted];
  for (const job of seeded) await create(job);
  await markShipping(shipping);
  await markShipping(transferring);
  await operatorEvent(transferring, { type: "PackageReceived", carrierName: "FedEx", trackingNumber: "SEED-1", driveIds: ["DRIVE01", "DRIVE02"] });
  await operatorEvent(transferring, { type: "TransferStarted", driveId: "DRIVE01" });
  await expectStatus("cancel Seed_Done", 200, call(service, "PATCH", url(completed), { properties: { cancelRequested: true } }));
  await markShipping(faulted);
  await operatorEvent(faulted, { type: "FaultJob", reason: "Seeded fault" });

  const fuzzSub = newSubscriptionId();
  const fuzzRgs = ["fuzz-rg", "Fuzz.RG(1)"];
  const fuzzNames = ["job-a", "job-b", "JOB-C", "job_d", "j1", "job-with-a-long-name-0123456789-abcdefghijklmnopqrstuvwxyz-01234", ...Array.from({ length: 10 }, (_, i) => `pool-${i}`)];
  await create(imported(fuzzSub, fuzzRgs[0], fuzzNames[0]));
  await create({ sub: fuzzSub, rg: fuzzRgs[0], name: fuzzNames[1], jobType: "Export", driveIds: [] });
  await create(imported(fuzzSub, fuzzRgs[0], fuzzNames[2]));
  await create(imported(fuzzSub, fuzzRgs[1], fuzzNames[3]));

  const arrivalIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const response = await expectStatus("record an arrival", 201, call(service, "POST", "/operator/arrivals", { carrierName: "FedEx", trackingNumber: `FUZZ-${i}`, driveIds: ["DRIVE01"] }));
    arrivalIds.push(response.body.id as string);
  }
  const skipTokens = [
    await skipTokenOf(`/subscriptions/${fuzzSub}/providers/Microsoft.ImportExport/jobs?${API}&$top=1`),
    await skipTokenOf(`/subscriptions/${fuzzSub}/resourceGroups/${fuzzRgs[0]}/providers/Microsoft.ImportExport/jobs?${API}&$top=2`),
    await skipTokenOf("/operator/jobs?$top=1"),
    await skipTokenOf("/operator/arrivals?$top=1"),
  ];
  return {
    seeded,
    fuzzSub,
    fuzzRgs,
    fuzzNames,
    arrivalIds,
    skipTokens,
    timers: timerDefinitions().map((timer) => timer.name),
    maxBodyBytes: getSettings().maxRequestBodyBytes,
  };
}

beforeAll(async () => {
  // @azure/functions warns on every GET or HEAD that carries a body; the fuzz sends thousands.
  const warn = console.warn.bind(console);
  jest.spyOn(console, "warn").mockImplementation((...args: unknown[]) => {
    if (!/cannot have a body/.test(String(args[0]))) warn(...args);
  });
  service = await startTestService();
  client = new FuzzClient(service.url);
  table = jobsTable();
  targets = await seed();
  seededSubs = [...new Set(targets.seeded.map((job) => job.sub))];
  initial = await snapshot(table, seededSubs);
  if (initial.size !== targets.seeded.length) throw new Error(`seeding: ${initial.size} entities in the seeded subscriptions, not ${targets.seeded.length}`);
  started = Date.now();
}, 120_000);

afterAll(async () => {
  client?.close();
  await service?.close();
});

/**
 * One property: batches of BATCH generated requests sent in parallel, each response checked, then
 * the seeded jobs compared with their snapshot. No shrinking: the failing batch is reported as it
 * was, since a later batch would run against a changed store.
 */
async function fuzz(name: string, seedOffset: number, share: number, requests: () => fc.Arbitrary<FuzzRequest>): Promise<void> {
  const batches = fc.array(requests(), { minLength: BATCH, maxLength: BATCH });
  await assertProperty(
    name,
    seedOffset,
    batches,
    async (batch) => {
      await sendBatch(client, batch);
      const diff = snapshotDiff(initial, await snapshot(table, seededSubs));
      if (diff.length > 0) throw new Error(`the seeded jobs changed:\n${diff.join("\n")}\nduring the batch:\n${batch.map(describeRequest).join("\n")}`);
    },
    runsFor(share),
  );
}

describe(`HTTP fuzzing (seed ${SEED}, ${TOTAL_REQUESTS} requests)`, () => {
  test(
    "requests aimed at the seeded jobs: reads, and writes that must be refused; the jobs never change",
    () => fuzz("seeded jobs", 1, 0.4, () => seededRequest(targets)),
    TIMEOUT_MS,
  );

  test(
    "near-valid creates, updates, deletes and reads at other jobs never fail on the server",
    () => fuzz("customer writes", 2, 0.22, () => customerRequest(targets)),
    TIMEOUT_MS,
  );

  test(
    "operator events, arrivals and attachments, near-valid and odd",
    () => fuzz("operator", 3, 0.14, () => operatorRequest(targets)),
    TIMEOUT_MS,
  );

  test(
    "known routes with mutated path segments, every method",
    () => fuzz("paths and methods", 4, 0.12, () => pathRequest(targets)),
    TIMEOUT_MS,
  );

  test(
    "lists with $filter, $top, $skiptoken and api-version variants",
    () => fuzz("queries", 5, 0.12, () => queryRequest(targets)),
    TIMEOUT_MS,
  );

  test("after the whole run the seeded jobs are exactly as seeded, and the budget was sent", async () => {
    expect(snapshotDiff(initial, await snapshot(table, seededSubs))).toEqual([]);
    expect(client.sent).toBeGreaterThanOrEqual(Math.min(TOTAL_REQUESTS, QUICK_REQUESTS));
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`\nfuzz: ${client.sent} requests in ${seconds.toFixed(1)} s (${(client.sent / seconds).toFixed(0)}/s), seed ${SEED}\n`);
    if (process.env.FUZZ_VERBOSE) process.stdout.write(`${client.statusReport()}\n`);
  });
});
