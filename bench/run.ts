/**
 * `npm run bench`: measures the service against its storage floor, side by side in one run, because
 * these machines are shared and noisy. Starts its own in-memory Azurite and runs the service in its
 * own process (as in production); prints a table and writes bench/results.json. Absolute times are
 * printed but never asserted; targets are ratios, each from service and floor rounds that alternate
 * (so both meet the same load) and whose pairwise ratios' median is reported. The service reaches
 * storage through its production clients (shared/storage/clients.ts); the floor is the plain
 * data-tables client with the same account key. `npm run bench -- --help` lists the options.
 *
 * A run of only some benchmarks keeps the other benchmarks' rows of the previous results.json.
 */
import { silentLogger } from "../shared/telemetry/log";
import { serviceMetrics } from "../shared/telemetry/metrics";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { TableClient, TableEntity, TableServiceClient, TransactionAction } from "@azure/data-tables";
import { QueueServiceClient } from "@azure/storage-queue";
import { freePorts, RunningAzurite, startAzurite } from "../devhost/azurite";
import { CliSpec, exitWithUsageError, parseCommandLine } from "../cli/args";
import { createDeadlineIndex, getServices, getSettings, resetServices } from "../shared/service/app/composition";
import { createQueueServiceClient, createTableClient } from "../shared/storage/clients";
import { NotificationQueue } from "../shared/storage/notification-queue";
import { JobWriter } from "../shared/service/operations/job-writer";
import { createJob, Job, JobKey, OperationContext, transition } from "../shared/domain/job";
import { JobsStore, partitionKeyOf, rowKeyOf } from "../shared/storage/jobs.store";
import { benchCopy, CopyOptions } from "./copy";
import { benchAccount, benchAccountRegistry, benchNoisy } from "./noisy";
import { benchScale, ScaleOptions } from "./scale";

interface Options {
  rounds: number;
  roundMs: number;
  sweepSizes: number[];
  due: number;
  only: Set<string>;
  copy: CopyOptions;
  scale: ScaleOptions;
  profileDir?: string;
}


interface Spread {
  min: number;
  median: number;
  max: number;
}

interface Row {
  benchmark: string;
  measure: string;
  api: Spread;
  floor?: Spread;
  unit: string;
  ratio?: number;
  /** The pairs' own ratios around the row's ratio (their median, or for a copy row their summed times'): how far one run's figure can be trusted. */
  ratioSpread?: { min: number; max: number };
  target?: string;
  met?: boolean;
  note?: string;
}

const ROOT = path.resolve(__dirname, "..", "..");
const BITLOCKER_KEY = "238810-662376-448998-450120-652806-203390-606320-483076";
const MANIFEST_HASH = "4228EC5D8E048CB9B515338C789314BE8D0B2FDBC7C7A0308E1C826242CDE74E";

const BENCHMARKS = ["get", "api", "sweep", "cold", "copy", "noisy", "scale"];

export const BENCH_CLI: CliSpec = {
  command: "npm run bench --",
  summary:
    "Measures the service against its storage floor side by side (own in-memory Azurite, the service in its own process),\n" +
    "prints the table and writes bench/results.json. The default run takes about 6 minutes on 2 cores.",
  options: {
    rounds: { type: "string", value: "N", description: "measured rounds per figure (default 5; one warm-up round is discarded)" },
    "round-ms": { type: "string", value: "N", description: "length of a throughput round in ms (default 2000)" },
    "sweep-sizes": { type: "string", value: "A,B", description: "jobs seeded for the sweep benchmark (default 10000,100000)" },
    due: { type: "string", value: "N", description: "due jobs among them (default 1000)" },
    only: { type: "string", value: "LIST", description: `which benchmarks to run, of ${BENCHMARKS.join(",")} (default all)` },
    "copy-rounds": { type: "string", value: "N", description: "measured pairs of the copy benchmark's large file (default 6; an even count puts the agent first in half of them)" },
    "copy-small-rounds": { type: "string", value: "N", description: "measured pairs of its small files, which are cheaper and spread wider (default 16)" },
    "copy-files": { type: "string", value: "N", description: "small files in the copy benchmark (default 10000)" },
    "copy-mib": { type: "string", value: "N", description: "size of its large file in MiB (default 1024)" },
    parallelism: { type: "string", value: "N", description: "the copy's blocks or files in flight, agent and raw alike (default 8)" },
    "scale-files": { type: "string", value: "N", description: "files on the drive of the drive-scale benchmark (default 1000000)" },
    "scale-bytes": { type: "string", value: "N", description: "the size of each of its files (default 1024)" },
    "scale-rounds": { type: "string", value: "N", description: "its rounds, each a whole drive imported by the agent and uploaded raw (default 1)" },
    profile: { type: "string", value: "DIR", description: "run the service under node --cpu-prof, writing its profile into DIR" },
  },
};

function parseOptions(argv: string[]): Options {
  const values = parseCommandLine(argv, BENCH_CLI);
  const wholeNumbers = (name: string, fallback: string): number[] => {
    const text = (values[name] as string | undefined) ?? fallback;
    const numbers = text.split(",").map((part) => (/^\d+$/.test(part.trim()) ? Number(part) : NaN));
    if (numbers.some((value) => !(value >= 1))) exitWithUsageError(BENCH_CLI, `--${name} must be whole numbers of 1 or more, not '${text}'`);
    return numbers;
  };
  const single = (name: string, fallback: string): number => {
    const numbers = wholeNumbers(name, fallback);
    if (numbers.length !== 1) exitWithUsageError(BENCH_CLI, `--${name} takes one number, not '${values[name]}'`);
    return numbers[0];
  };
  const only = ((values.only as string | undefined) ?? BENCHMARKS.join(",")).split(",").map((name) => name.trim());
  const unknown = only.filter((name) => !BENCHMARKS.includes(name));
  if (unknown.length > 0) exitWithUsageError(BENCH_CLI, `--only: no benchmark '${unknown.join("', '")}' (there are ${BENCHMARKS.join(", ")})`);
  return {
    rounds: single("rounds", "5"),
    roundMs: single("round-ms", "2000"),
    sweepSizes: wholeNumbers("sweep-sizes", "10000,100000"),
    due: single("due", "1000"),
    only: new Set(only),
    copy: {
      rounds: single("copy-rounds", "6"),
      smallRounds: single("copy-small-rounds", "16"),
      parallelism: single("parallelism", "8"),
      largeBytes: single("copy-mib", "1024") * 2 ** 20,
      smallFiles: single("copy-files", "10000"),
      smallBytes: 8 * 1024,
    },
    scale: {
      files: single("scale-files", "1000000"),
      bytes: single("scale-bytes", "1024"),
      rounds: single("scale-rounds", "1"),
      parallelism: single("parallelism", "8"),
    },
    profileDir: (values.profile as string | undefined) || undefined,
  };
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `operation` from `concurrency` workers for `ms`; returns ops/s and latency percentiles. */
async function load(operation: () => Promise<void>, concurrency: number, ms: number) {
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      await operation();
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { count: latencies.length, opsPerSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** One warm-up round discarded, then `rounds` measured ones. */
async function rounds<T>(count: number, round: () => Promise<T>): Promise<T[]> {
  await round();
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await round());
  return results;
}

/**
 * Service and floor rounds alternated (one warm-up pair discarded), so both meet the same load on a
 * shared machine; the ratio is the median of each pair's ratio.
 */
async function pairedRounds<T extends { opsPerSecond: number }>(count: number, service: () => Promise<T>, floor: () => Promise<T>) {
  await service();
  await floor();
  const api: T[] = [];
  const raw: T[] = [];
  for (let i = 0; i < count; i++) {
    api.push(await service());
    raw.push(await floor());
  }
  const ratios = spread(api.map((result, i) => result.opsPerSecond / raw[i].opsPerSecond));
  return { api, raw, ratio: ratios.median, ratioSpread: ratios };
}

/** The service process's storage names, which the floors read back from. */
interface ServiceEnv {
  JOBS_TABLE_NAME: string;
  DEADLINES_TABLE_NAME: string;
  NOTIFICATIONS_QUEUE_NAME: string;
}

/** Starts the service (or another app on the local host: `script`) in its own process; resolves with its URL. */
async function startServiceProcess(env: Record<string, string>, profileDir?: string, script = path.join(ROOT, "dist", "devhost", "serve.js")): Promise<{ url: string; process: ChildProcess }> {
  const profile = profileDir ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(profileDir)] : [];
  const child = spawn(process.execPath, [...profile, script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk) => {
      output += String(chunk);
      const match = /listening (\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`service exited with ${code}`)));
  });
  return { url, process: child };
}

async function storageRequests(url: string): Promise<number> {
  return ((await (await fetch(`${url}/admin/storage-requests`, { headers: { authorization: "Bearer dev-operator" } })).json()) as { count: number }).count;
}

function jobPath(key: JobKey): string {
  return `/subscriptions/${key.subscriptionId}/resourceGroups/${key.resourceGroup}/providers/Microsoft.ImportExport/jobs/${key.name}?api-version=2021-01-01`;
}

/**
 * The Get and API rows' subscriptions, and the storage account each one's jobs name: registered to
 * it in the service's account registry (`CUSTOMER_ACCOUNT_SUBSCRIPTIONS`), as an operator registers
 * the accounts a local service reaches, so the linked access check grants the bench's Creates.
 */
const GET_SUBSCRIPTION = randomUUID();
const API_SUBSCRIPTION = randomUUID();

function jobBody(subscriptionId: string) {
  return {
    location: "westus",
    properties: {
      jobType: "Import",
      storageAccountId: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${benchAccount(subscriptionId)}`,
      driveList: [1, 2].map((n) => ({ driveId: `DRIVE${n}`, bitLockerKey: BITLOCKER_KEY, manifestFile: "\\DriveManifest.xml", manifestHash: MANIFEST_HASH })),
    },
  };
}

const SHIPPING_PATCH = {
  properties: {
    state: "Shipping",
    deliveryPackage: { carrierName: "FedEx", trackingNumber: "123456789012", driveCount: 2, shipDate: "2026-11-20" },
    returnAddress: { recipientName: "Bench", streetAddress1: "1 Main St", city: "Redmond", postalCode: "98007", countryOrRegion: "USA", phone: "4250000000", email: "bench@contoso.com" },
  },
};

/**
 * The load generator's client: node:http on a keep-alive agent. On a 2-core machine the client, the
 * service and Azurite share the CPU, so the client must be light to measure the service: undici's
 * fetch costs the client about 2.5× the CPU per request (measured: ~380 vs ~150 µs), which would come
 * out of the service's share. The floor's client is the data-tables SDK, as the issue defines it.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function send(url: string, method: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: "Bearer dev", ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

async function request(url: string, method: string, body?: unknown): Promise<void> {
  const response = await send(url, method, body);
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${response.text.slice(0, 500)}`);
}

// ---------------------------------------------------------------------------------------------

/** CPU time a process has used so far, in µs: Linux's /proc (utime + stime, in 1/100 s); undefined elsewhere. */
function cpuMicros(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined; // no /proc (not Linux), or the process is gone: the row goes without its CPU figure
  }
}

/** Runs a load round and adds the service process's CPU per operation to `cpuPerOp`. */
async function withServiceCpu<T extends { count: number }>(pid: number | undefined, cpuPerOp: number[], round: () => Promise<T>): Promise<T> {
  const before = cpuMicros(pid);
  const result = await round();
  const after = cpuMicros(pid);
  if (before !== undefined && after !== undefined && result.count > 0) cpuPerOp.push((after - before) / result.count);
  return result;
}

async function benchGet(options: Options, service: string, table: TableClient, connectionString: string, rows: Row[], servicePid?: number): Promise<void> {
  const subscriptionId = GET_SUBSCRIPTION;
  const key = { subscriptionId, resourceGroup: "bench", name: "get-target" };
  await request(`${service}${jobPath(key)}`, "PUT", jobBody(subscriptionId));
  const [pk, rk] = [partitionKeyOf(key), rowKeyOf(key)];

  const before = await storageRequests(service);
  for (let i = 0; i < 100; i++) await request(`${service}${jobPath(key)}`, "GET");
  const perGet = ((await storageRequests(service)) - before) / 100;
  rows.push({ benchmark: "Get Job", measure: "storage transactions per call", api: spread([perGet]), unit: "tx", target: "= 1", met: perGet === 1 });

  const cpuNote = (cpuPerOp: number[]) => (cpuPerOp.length > 0 ? `; service CPU ${spread(cpuPerOp).median.toFixed(0)} µs per Get` : "");
  for (const concurrency of [1, 8, 32]) {
    const serviceCpu: number[] = [];
    const { api, raw, ratio, ratioSpread } = await pairedRounds(
      options.rounds,
      () => withServiceCpu(servicePid, serviceCpu, () => load(() => request(`${service}${jobPath(key)}`, "GET"), concurrency, options.roundMs)),
      () => load(async () => void (await table.getEntity(pk, rk)), concurrency, options.roundMs),
    );
    rows.push({
      benchmark: `Get Job, concurrency ${concurrency}`,
      measure: "throughput",
      api: spread(api.map((r) => r.opsPerSecond)),
      floor: spread(raw.map((r) => r.opsPerSecond)),
      unit: "ops/s",
      ratio,
      ratioSpread,
      target: concurrency === 8 ? "≥ 0.8" : undefined,
      met: concurrency === 8 ? ratio >= 0.8 : undefined,
      note: `load generator on node:http (keep-alive)${cpuNote(serviceCpu)}`,
    });
    rows.push({
      benchmark: `Get Job, concurrency ${concurrency}`,
      measure: "latency p50 / p99",
      api: spread(api.map((r) => r.p50)),
      floor: spread(raw.map((r) => r.p50)),
      unit: "ms p50",
      note: `p99 api ${spread(api.map((r) => r.p99)).median.toFixed(2)} ms, floor ${spread(raw.map((r) => r.p99)).median.toFixed(2)} ms`,
    });
    if (concurrency !== 8) continue;
    await benchGetAgainstHostFloor(options, `${service}${jobPath(key)}`, connectionString, table.tableName, [pk, rk], rows, servicePid);
    // The same Get through undici's fetch, for comparison: what a heavier client costs on 2 cores.
    const fetchCpu: number[] = [];
    const viaFetch = await rounds(options.rounds, () =>
      withServiceCpu(servicePid, fetchCpu, () =>
        load(async () => {
          const response = await fetch(`${service}${jobPath(key)}`, { headers: { authorization: "Bearer dev" } });
          await response.arrayBuffer();
        }, concurrency, options.roundMs),
      ),
    );
    rows.push({
      benchmark: "Get Job, concurrency 8, fetch client",
      measure: "throughput",
      api: spread(viaFetch.map((r) => r.opsPerSecond)),
      floor: spread(raw.map((r) => r.opsPerSecond)),
      unit: "ops/s",
      ratio: spread(viaFetch.map((r) => r.opsPerSecond)).median / spread(raw.map((r) => r.opsPerSecond)).median,
      note: `the load generator on undici's fetch instead of node:http: the client's extra CPU per request comes out of the service's share${cpuNote(fetchCpu)}`,
    });
  }
}

/**
 * Get Job against the same local host serving only the raw read (bench/host-floor.ts), at
 * concurrency 8: what the service adds to what any app on this host pays for that read.
 */
async function benchGetAgainstHostFloor(options: Options, getUrl: string, connectionString: string, tableName: string, [pk, rk]: [string, string], rows: Row[], servicePid?: number) {
  const floorApp = await startServiceProcess({ ImportExportStorage: connectionString, AUTH_MODE: "dev", HOST_FLOOR_TABLE: tableName }, undefined, path.join(ROOT, "dist", "bench", "host-floor.js"));
  try {
    const serviceCpu: number[] = [];
    const floorCpu: number[] = [];
    const rawUrl = `${floorApp.url}/raw/${encodeURIComponent(pk)}/${encodeURIComponent(rk)}`;
    const { api, raw, ratio, ratioSpread } = await pairedRounds(
      options.rounds,
      () => withServiceCpu(servicePid, serviceCpu, () => load(() => request(getUrl, "GET"), 8, options.roundMs)),
      () => withServiceCpu(floorApp.process.pid, floorCpu, () => load(() => request(rawUrl, "GET"), 8, options.roundMs)),
    );
    const cpu = (values: number[]) => (values.length > 0 ? `${spread(values).median.toFixed(0)} µs` : "n/a");
    rows.push({
      benchmark: "Get Job, concurrency 8, against the host's own floor",
      measure: "throughput",
      api: spread(api.map((r) => r.opsPerSecond)),
      floor: spread(raw.map((r) => r.opsPerSecond)),
      unit: "ops/s",
      ratio,
      ratioSpread,
      note: `informational: the floor is the same local host answering the raw getEntity (bench/host-floor.ts); CPU per Get: service ${cpu(serviceCpu)}, that app ${cpu(floorCpu)}`,
    });
  } finally {
    floorApp.process.kill("SIGTERM");
  }
}

/** What the service stored and sent for one job, as the raw floors repeat it: the same shapes and sizes. */
interface StorageSample {
  /** The job's entity as the jobs table holds it (its columns, document and keys). */
  job: TableEntity;
  /** Its expiry-index entry (docs/storage-design.md), as its day table holds it. */
  indexEntry: TableEntity;
  /** The queue message its creation sent, and the one its update to Shipping sent. */
  createdMessage: string;
  shippingMessage: string;
}

/** Creates a job and updates it to Shipping through the service, then reads back what it stored and sent. */
async function sampleStorage(service: string, env: ServiceEnv, connectionString: string, key: JobKey): Promise<StorageSample> {
  await request(`${service}${jobPath(key)}`, "PUT", jobBody(key.subscriptionId));
  const stored = await TableClient.fromConnectionString(connectionString, env.JOBS_TABLE_NAME, { allowInsecureConnection: true }).getEntity(partitionKeyOf(key), rowKeyOf(key));
  const indexEntry = await findIndexEntry(connectionString, env.DEADLINES_TABLE_NAME, `${partitionKeyOf(key)}|${rowKeyOf(key)}`);
  await request(`${service}${jobPath(key)}`, "PATCH", SHIPPING_PATCH);
  const queue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(env.NOTIFICATIONS_QUEUE_NAME);
  const texts = (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((item) => item.messageText);
  const about = texts.filter((text) => Buffer.from(text, "base64").toString("utf8").includes(`"name":"${key.name}"`));
  if (about.length !== 2) throw new Error(`expected a creation and a Shipping message for ${key.name}, found ${about.length}`);
  return { job: withoutMetadata(stored), indexEntry, createdMessage: about[0], shippingMessage: about[1] };
}

/** The entry whose row key ends with the job's table keys (`…|job|<partition key>|<row key>`). */
async function findIndexEntry(connectionString: string, prefix: string, jobKeys: string): Promise<TableEntity> {
  const tables = TableServiceClient.fromConnectionString(connectionString, { allowInsecureConnection: true });
  for await (const table of tables.listTables()) {
    if (!table.name?.startsWith(prefix)) continue;
    const client = TableClient.fromConnectionString(connectionString, table.name, { allowInsecureConnection: true });
    for await (const entity of client.listEntities()) {
      if (entity.rowKey?.endsWith(`|${jobKeys}`)) return withoutMetadata(entity);
    }
  }
  throw new Error(`no expiry-index entry for ${jobKeys} in the tables ${prefix}*`);
}

/** An entity as read, less what the service adds to it (ETag, timestamp, OData metadata). */
function withoutMetadata(entity: Record<string, unknown>): TableEntity {
  const { etag: _etag, timestamp: _timestamp, "odata.metadata": _metadata, ...properties } = entity;
  return properties as TableEntity;
}

async function benchApi(options: Options, service: string, env: ServiceEnv, connectionString: string, table: TableClient, rows: Row[], servicePid?: number): Promise<void> {
  const concurrency = 8;
  const subscriptionId = API_SUBSCRIPTION;
  let counter = 0;
  const newKey = (group: string) => ({ subscriptionId, resourceGroup: group, name: `job-${counter++}` });

  // The raw floors write what the service writes, to tables and a queue of their own.
  const sample = await sampleStorage(service, env, connectionString, newKey("sample"));
  const rawIndex = TableClient.fromConnectionString(connectionString, `${table.tableName}index`, { allowInsecureConnection: true });
  await rawIndex.createTable();
  const rawQueue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(`${env.NOTIFICATIONS_QUEUE_NAME}-raw`);
  await rawQueue.create();
  const messageTtl = { messageTimeToLive: 7 * 86_400 };
  const rawJob = (partitionKey: string, rowKey: string) => ({ ...sample.job, partitionKey, rowKey });

  // Create's storage work (docs/storage-design.md), done as the service does it, one after another:
  // the expiry-index entry upserted, the job inserted, its creation message sent.
  const createPartition = `raw:${subscriptionId}`;
  const rawCreate = async () => {
    const rowKey = `r${counter++}`;
    await rawIndex.upsertEntity({ ...sample.indexEntry, rowKey: `${sample.indexEntry.rowKey}${rowKey}` }, "Replace");
    await table.createEntity(rawJob(createPartition, rowKey));
    await rawQueue.sendMessage(sample.createdMessage, messageTtl);
  };
  const rawInsert = async () => void (await table.createEntity(rawJob(createPartition, `r${counter++}`)));
  const createCpu: number[] = [];
  const create = await pairedRounds(
    options.rounds,
    () => withServiceCpu(servicePid, createCpu, () => load(() => request(`${service}${jobPath(newKey("create"))}`, "PUT", jobBody(subscriptionId)), concurrency, options.roundMs)),
    () => load(rawCreate, concurrency, options.roundMs),
  );
  addPair(rows, "Put Job (create)", create, "raw index upsert, insert, queue send (in turn)", "≥ 0.7", createCpu.slice(1));
  const createVsInsert = await pairedRounds(
    options.rounds,
    () => load(() => request(`${service}${jobPath(newKey("create"))}`, "PUT", jobBody(subscriptionId)), concurrency, options.roundMs),
    () => load(rawInsert, concurrency, options.roundMs),
  );
  addPair(rows, "Put Job (create)", createVsInsert, "one raw insert (informational)");

  // Update to Shipping: each call consumes a job created beforehand (not timed). The floor is the
  // three transactions an update may take: read, replace with the ETag read, queue send.
  const pool: JobKey[] = [];
  const rawPool: string[] = [];
  const poolSize = 6000;
  const updatePartition = `rawupd:${subscriptionId}`;
  for (let i = 0; i < poolSize; i += 100) {
    const batch = Array.from({ length: 100 }, () => newKey("update"));
    await Promise.all(batch.map((key) => request(`${service}${jobPath(key)}`, "PUT", jobBody(subscriptionId))));
    pool.push(...batch);
    const rawBatch = batch.map((key) => key.name);
    await table.submitTransaction(rawBatch.map((name): TransactionAction => ["create", rawJob(updatePartition, name)]));
    rawPool.push(...rawBatch);
  }
  const shipped = (entity: TableEntity): TableEntity => ({ ...entity, State: "Shipping" });
  const rawUpdate = async (name: string) => {
    const entity = await table.getEntity(updatePartition, name);
    await table.updateEntity(shipped(withoutMetadata(entity)), "Replace", { etag: entity.etag });
    await rawQueue.sendMessage(sample.shippingMessage, messageTtl);
  };
  const rawReadMerge = async (name: string) => {
    const entity = await table.getEntity(updatePartition, name);
    await table.updateEntity({ partitionKey: updatePartition, rowKey: name, State: "Shipping" }, "Merge", { etag: entity.etag });
  };
  const updateRounds = Math.min(options.rounds, Math.floor(poolSize / 600) - 1);
  const updateCpu: number[] = [];
  const update = await pairedRounds(
    updateRounds,
    () => withServiceCpu(servicePid, updateCpu, () => loadFromPool(pool, (key) => request(`${service}${jobPath(key)}`, "PATCH", SHIPPING_PATCH), concurrency, 300)),
    () => loadFromPool(rawPool, rawUpdate, concurrency, 300),
  );
  addPair(rows, "Update to Shipping", update, "raw read, replace with its ETag, queue send (in turn)", "≥ 0.7", updateCpu.slice(1));
  const updateVsReadMerge = await pairedRounds(
    updateRounds,
    () => loadFromPool(pool, (key) => request(`${service}${jobPath(key)}`, "PATCH", SHIPPING_PATCH), concurrency, 300),
    () => loadFromPool(rawPool, rawReadMerge, concurrency, 300),
  );
  addPair(rows, "Update to Shipping", updateVsReadMerge, "one raw read + merge (informational)");

  // A listed page of 100 against the raw query of the same partition.
  const listGroup = "list";
  await Promise.all(Array.from({ length: 100 }, () => request(`${service}${jobPath(newKey(listGroup))}`, "PUT", jobBody(subscriptionId))));
  const listUrl = `${service}/subscriptions/${subscriptionId}/resourceGroups/${listGroup}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01&$top=100`;
  const pk = partitionKeyOf({ subscriptionId, resourceGroup: listGroup });
  const list = await pairedRounds(
    options.rounds,
    () => load(() => request(listUrl, "GET"), concurrency, options.roundMs),
    () =>
      load(async () => {
        const pages = table.listEntities({ queryOptions: { filter: `PartitionKey eq '${pk}'`, select: ["Job"] } }).byPage({ maxPageSize: 100 });
        await pages.next();
      }, concurrency, options.roundMs),
  );
  addPair(rows, "List a page of 100", list, "the raw query", "≥ 0.7");

  // Transactions per call, counted by the service.
  const count = async (call: () => Promise<void>, n: number) => {
    const before = await storageRequests(service);
    for (let i = 0; i < n; i++) await call();
    return ((await storageRequests(service)) - before) / n;
  };
  const created: JobKey[] = [];
  const perCreate = await count(async () => {
    const key = newKey("count");
    created.push(key);
    await request(`${service}${jobPath(key)}`, "PUT", jobBody(subscriptionId));
  }, 20);
  const perUpdate = await count(async () => request(`${service}${jobPath(created.shift()!)}`, "PATCH", SHIPPING_PATCH), 20);
  const perList = await count(() => request(listUrl, "GET"), 20);
  rows.push(
    { benchmark: "Put Job (create)", measure: "storage transactions per call", api: spread([perCreate]), unit: "tx", target: "≤ 2", met: perCreate <= 2 },
    { benchmark: "Update to Shipping", measure: "storage transactions per call", api: spread([perUpdate]), unit: "tx", target: "≤ 3", met: perUpdate <= 3 },
    { benchmark: "List a page of 100", measure: "storage transactions per call", api: spread([perList]), unit: "tx", target: "= 1", met: perList === 1 },
  );
}

async function loadFromPool<T>(pool: T[], operation: (item: T) => Promise<void>, concurrency: number, count: number) {
  const items = pool.splice(0, count);
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = items.shift(); item !== undefined; item = items.shift()) {
        const t = performance.now();
        await operation(item);
        latencies.push(performance.now() - t);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { count: latencies.length, opsPerSecond: latencies.length / ((performance.now() - started) / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

type Measured = { opsPerSecond: number; p50: number };

/** `serviceCpu`: the service process's CPU per call in each measured round, when it was read. */
function addPair(rows: Row[], name: string, { api, raw, ratio, ratioSpread }: { api: Measured[]; raw: Measured[]; ratio: number; ratioSpread?: Spread }, floorName: string, target?: string, serviceCpu: number[] = []) {
  rows.push({
    benchmark: name,
    measure: `throughput vs ${floorName}`,
    api: spread(api.map((r) => r.opsPerSecond)),
    floor: spread(raw.map((r) => r.opsPerSecond)),
    unit: "ops/s",
    ratio,
    ratioSpread,
    target,
    met: target === undefined ? undefined : ratio >= Number(target.replace(/[^\d.]/g, "")),
    note:
      `p50 api ${spread(api.map((r) => r.p50)).median.toFixed(2)} ms, floor ${spread(raw.map((r) => r.p50)).median.toFixed(2)} ms` +
      (serviceCpu.length > 0 ? `; service CPU ${spread(serviceCpu).median.toFixed(0)} µs per call` : ""),
  });
}

// ---------------------------------------------------------------------------------------------

const DAY = 86_400_000;

/** Completed jobs, spread 100 to a resource group; `due` of them finished long enough ago to purge. */
function seedJobs(subscriptionId: string, total: number, due: number, now: Date, prefix: string): Job[] {
  const jobs: Job[] = [];
  const rules = { creatingLifetimeMs: 14 * DAY, shippingWaitMs: 14 * DAY, finishedRetentionMs: 90 * DAY };
  for (let i = 0; i < total; i++) {
    const isDue = i < due;
    const at = new Date(now.getTime() - (isDue ? 100 : 10) * DAY);
    const context: OperationContext = { now: at, actor: { id: "bench", type: "Application" }, rules };
    const key = { subscriptionId, resourceGroup: `${prefix}${Math.floor(i / 100)}`, name: `job${i}` };
    const created = createJob(
      key,
      {
        location: "westus",
        jobType: "Import",
        storageAccountId: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/benchstore`,
        driveList: [{ driveId: "DRIVE1", bitLockerKey: BITLOCKER_KEY, manifestFile: "\\m.xml", manifestHash: MANIFEST_HASH }],
      },
      { recipientName: "DC" },
      context,
    );
    jobs.push(transition(created, "cancelBeforeShipping", context, "Seeded"));
  }
  return jobs;
}

/** Writes jobs (and their index entries) in batches of 100 per partition, as the store does. */
async function seed(jobs: Job[]): Promise<void> {
  const settings = getSettings();
  const index = createDeadlineIndex(settings);
  const queue = new NotificationQueue(createQueueServiceClient(settings), settings.notificationsQueueName);
  const writer = new JobWriter(new JobsStore(createTableClient(settings, settings.jobsTableName)), index, queue, silentLogger, serviceMetrics());
  const groups = new Map<string, Job[]>();
  for (const job of jobs) groups.set(partitionKeyOf(job.key), [...(groups.get(partitionKeyOf(job.key)) ?? []), job]);
  const batches = [...groups.values()].flatMap((group) => Array.from({ length: Math.ceil(group.length / 100) }, (_, i) => group.slice(i * 100, i * 100 + 100)));
  for (let i = 0; i < batches.length; i += 8) await Promise.all(batches.slice(i, i + 8).map((batch) => writer.insertBatch(batch)));
}

async function benchSweep(options: Options, connectionString: string, rows: Row[]): Promise<void> {
  const results: { size: number; sweepMs: number[]; read: number; due: number; transactions: number; rawMs: number[] }[] = [];
  for (const size of options.sweepSizes) {
    const suffix = randomUUID().replace(/-/g, "").slice(0, 8);
    Object.assign(process.env, {
      AUTH_MODE: "dev",
      // More index partitions for a big backlog (and a quicker seed: Azurite scans a partition per write).
      DEADLINE_INDEX_SHARDS: "64",
      ImportExportStorage: connectionString,
      JOBS_TABLE_NAME: `benchjobs${suffix}`,
      DEADLINES_TABLE_NAME: `benchdeadlines${suffix}`,
      DELETED_JOBS_TABLE_NAME: `benchdeleted${suffix}`,
      ARRIVALS_TABLE_NAME: `bencharrivals${suffix}`,
      NOTIFICATIONS_QUEUE_NAME: `bench-${suffix}`,
    });
    resetServices();
    const services = await getServices();
    const now = new Date();
    const subscriptionId = randomUUID();
    process.stdout.write(`  seeding ${size} jobs (${options.due} due)…`);
    const seedStarted = Date.now();
    await seed(seedJobs(subscriptionId, size, options.due, now, "rg"));
    process.stdout.write(` ${((Date.now() - seedStarted) / 1000).toFixed(1)} s\n`);

    const sweepMs: number[] = [];
    const rawMs: number[] = [];
    let read = 0;
    let transactions = 0;
    const jobsTable = TableClient.fromConnectionString(connectionString, process.env.JOBS_TABLE_NAME!, { allowInsecureConnection: true });
    const sweepRounds = Math.max(1, Math.min(options.rounds, 3));
    for (let round = 0; round < sweepRounds; round++) {
      if (round > 0) await seed(seedJobs(subscriptionId, options.due, options.due, now, "rg"));
      const report = await services.sweep.run();
      if (report.jobsDeleted !== options.due) throw new Error(`sweep deleted ${report.jobsDeleted} of ${options.due} due jobs`);
      sweepMs.push(report.durationMs);
      read = report.entitiesRead;
      transactions = report.transactions;

      // The floor: batch-delete the same number of entities, 100 per partition, with the raw SDK.
      const floorJobs = seedJobs(randomUUID(), options.due, 0, now, "floor");
      await seed(floorJobs);
      const started = performance.now();
      const groups = new Map<string, Job[]>();
      for (const job of floorJobs) groups.set(partitionKeyOf(job.key), [...(groups.get(partitionKeyOf(job.key)) ?? []), job]);
      for (const group of groups.values()) {
        await jobsTable.submitTransaction(group.map((job): TransactionAction => ["delete", { partitionKey: partitionKeyOf(job.key), rowKey: rowKeyOf(job.key) }]));
      }
      rawMs.push(performance.now() - started);
    }
    results.push({ size, sweepMs, read, due: options.due, transactions, rawMs });
  }

  for (const result of results) {
    const sweep = spread(result.sweepMs);
    const raw = spread(result.rawMs);
    rows.push({
      benchmark: `Sweep, ${result.size} jobs, ${result.due} due`,
      measure: "wall time vs raw batch-delete of the same number",
      api: sweep,
      floor: raw,
      unit: "ms",
      ratio: sweep.median / raw.median,
      target: "≤ 3",
      met: sweep.median / raw.median <= 3,
      note: `entities read ${result.read} (${(result.read / result.due).toFixed(2)} × due: one index entry + one job each), ${result.transactions} transactions in all`,
    });
  }
  if (results.length >= 2) {
    const [small, large] = [results[0], results[results.length - 1]];
    const ratio = spread(large.sweepMs).median / spread(small.sweepMs).median;
    // The raw delete of the same 1k entities is itself slower in a bigger table (Azurite keeps its
    // indexes in sorted arrays), and every sweep that deletes pays that too: shown beside the ratio.
    const floorRatio = spread(large.rawMs).median / spread(small.rawMs).median;
    const beyondFloor = (result: (typeof results)[number]) => spread(result.sweepMs).median - spread(result.rawMs).median;
    rows.push({
      benchmark: `Sweep scaling ${small.size} → ${large.size} jobs`,
      measure: "sweep time ratio",
      api: spread(large.sweepMs),
      floor: spread(small.sweepMs),
      unit: "ms",
      ratio,
      target: "≤ 1.5",
      met: ratio <= 1.5,
      note: `the raw batch delete alone scales ${floorRatio.toFixed(2)}× between these sizes; the sweep's time beyond it scales ${(beyondFloor(large) / beyondFloor(small)).toFixed(2)}×`,
    });
  }
  const perDue = results.map((result) => result.read / result.due);
  rows.push({
    benchmark: "Sweep reads per due job",
    measure: "index entries read / due",
    api: spread(results.map((result) => result.read / 2 / result.due)),
    unit: "×",
    target: "≤ 1.2",
    met: perDue.every((value) => value / 2 <= 1.2),
    note: "each due job is also re-read before acting on it, in one range query per resource group",
  });
}

// ---------------------------------------------------------------------------------------------

function benchColdStart(options: Options, rows: Row[]): void {
  const bareApp = path.join(ROOT, "dist", "bench", "bare-app.js");
  const entry = path.join(ROOT, "dist", "functions", "index.js");
  const time = (file: string) => {
    const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
    const result = spawnSync(process.execPath, ["-e", script], { env: { ...process.env, ImportExportStorage: "UseDevelopmentStorage=true", AUTH_MODE: "dev" }, encoding: "utf8" });
    return Number(result.stdout.trim());
  };
  const count = Math.max(options.rounds * 2, 10);
  time(entry);
  time(bareApp);
  const app: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < count; i++) {
    app.push(time(entry));
    bare.push(time(bareApp));
  }
  const ratio = spread(app).median / spread(bare).median;
  rows.push({
    benchmark: "Cold start: import the app entry",
    measure: "time vs a bare @azure/functions app with one HTTP function",
    api: spread(app),
    floor: spread(bare),
    unit: "ms",
    ratio,
    target: "≤ 1.5",
    met: ratio <= 1.5,
  });
}

// ---------------------------------------------------------------------------------------------

function printTable(rows: Row[]): void {
  const format = (s?: Spread) => (s ? `${s.median.toFixed(s.median < 10 ? 2 : 0)} [${s.min.toFixed(s.min < 10 ? 2 : 0)}–${s.max.toFixed(s.max < 10 ? 2 : 0)}]` : "");
  console.log("\n| benchmark | measure | service median [min–max] | floor median [min–max] | unit | ratio [pairs' min–max] | target |");
  console.log("|---|---|---|---|---|---|---|");
  for (const row of rows) {
    const target = row.target ? `${row.target} ${row.met ? "✔" : "✘"}` : "";
    const ratio = row.ratio === undefined ? "" : `${row.ratio.toFixed(2)}${row.ratioSpread ? ` [${row.ratioSpread.min.toFixed(2)}–${row.ratioSpread.max.toFixed(2)}]` : ""}`;
    console.log(`| ${row.benchmark} | ${row.measure} | ${format(row.api)} | ${format(row.floor)} | ${row.unit} | ${ratio} | ${target} |`);
    if (row.note) console.log(`|  | ${row.note} | | | | | |`);
  }
}

/** The previous run's rows of the benchmarks not run this time. */
function previousRows(rows: Row[]): Row[] {
  try {
    const previous = JSON.parse(readFileSync(path.join(ROOT, "bench", "results.json"), "utf8")) as { rows: Row[] };
    const ranNow = new Set(rows.map((row) => row.benchmark));
    return previous.rows.filter((row) => !ranNow.has(row.benchmark));
  } catch {
    return []; // no earlier results (a first run): nothing to keep
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const loadBefore = os.loadavg()[0];
  const rows: Row[] = [];
  let azurite: RunningAzurite | undefined;
  let service: ChildProcess | undefined;
  try {
    if (options.only.has("cold")) {
      console.log("Cold start…");
      benchColdStart(options, rows);
    }
    azurite = await startAzurite({ ports: await freePorts() });
    const suffix = randomUUID().replace(/-/g, "").slice(0, 8);
    const env = {
      AUTH_MODE: "dev",
      ImportExportStorage: azurite.connectionString,
      JOBS_TABLE_NAME: `benchapijobs${suffix}`,
      DEADLINES_TABLE_NAME: `benchapideadlines${suffix}`,
      NOTIFICATIONS_QUEUE_NAME: `bench-api-${suffix}`,
      // The Get and API rows drive one subscription at thousands of calls a second, far past its
      // limits: throttling is lifted for them (the noisy row measures it as configured).
      THROTTLE_READ_BUCKET: "1000000",
      THROTTLE_READ_REFILL_PER_SECOND: "1000000",
      THROTTLE_WRITE_BUCKET: "1000000",
      THROTTLE_WRITE_REFILL_PER_SECOND: "1000000",
      THROTTLE_CONCURRENT_LISTS: "10000",
      CUSTOMER_ACCOUNT_SUBSCRIPTIONS: benchAccountRegistry([GET_SUBSCRIPTION, API_SUBSCRIPTION]),
    };
    const rawTable = TableClient.fromConnectionString(azurite.connectionString, `benchraw${suffix}`, { allowInsecureConnection: true });
    await rawTable.createTable();
    if (options.only.has("get") || options.only.has("api")) {
      const started = await startServiceProcess(env, options.profileDir);
      service = started.process;
      const jobsTable = TableClient.fromConnectionString(azurite.connectionString, env.JOBS_TABLE_NAME, { allowInsecureConnection: true });
      if (options.only.has("get")) {
        console.log("Get Job…");
        await benchGet(options, started.url, jobsTable, azurite.connectionString, rows, started.process.pid);
      }
      if (options.only.has("api")) {
        console.log("Create, update, list…");
        await benchApi(options, started.url, env, azurite.connectionString, rawTable, rows, started.process.pid);
      }
    }
    if (options.only.has("sweep")) {
      console.log("Sweep at scale…");
      await benchSweep(options, azurite.connectionString, rows);
    }
    if (options.only.has("noisy")) {
      console.log("Another tenant's Get under a noisy tenant…");
      await benchNoisy(options, startServiceProcess, azurite.connectionString, rows);
    }
    if (options.only.has("copy")) {
      console.log("Copy agent against a raw upload…");
      await benchCopy(options.copy, startServiceProcess, rows);
    }
    if (options.only.has("scale")) {
      console.log("A drive at data-center scale…");
      await benchScale(options.scale, startServiceProcess, rows);
    }
  } finally {
    service?.kill("SIGTERM");
    await azurite?.stop();
  }
  printTable(rows);
  const previous = BENCHMARKS.every((name) => options.only.has(name)) ? [] : previousRows(rows);
  // How busy the machine was (other processes included): on a shared machine, the figures' context.
  const loadAverage = { atStart: loadBefore, atEnd: os.loadavg()[0] };
  const results = { at: new Date().toISOString(), node: process.version, cores: os.cpus().length, loadAverage, options: { ...options, only: [...options.only] }, durationSeconds: (Date.now() - started) / 1000, rows: [...previous, ...rows] };
  mkdirSync(path.join(ROOT, "bench"), { recursive: true });
  writeFileSync(path.join(ROOT, "bench", "results.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(
    `\n${os.cpus().length} cores, Node ${process.version}, ${((Date.now() - started) / 1000).toFixed(0)} s, load average ${loadAverage.atStart.toFixed(1)} at the start and ${loadAverage.atEnd.toFixed(1)} at the end. Figures in bench/results.json.`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
