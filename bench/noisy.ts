/**
 * `npm run bench -- --only noisy`: another tenant's Get Job latency alone and while a noisy tenant
 * runs 64 concurrent lists of large jobs (issue 20 §3: 100 jobs of ~120 KB made 12 MB pages, and a
 * quiet tenant's Get went from 5 ms to 1.2 s). Measured against the service as configured by default
 * (throttling, the cap on a subscription's lists at once, pages bounded by bytes) and, for
 * comparison, the same service with those lifted by settings. The quiet tenant asks at 20 Gets a
 * second, one at a time, under its own read limit (25 a second), as a customer's portal or script
 * would; the noisy tenant's workers loop as fast as answers come, reading and dropping the bodies,
 * and wait out a 429's Retry-After as the Azure SDKs do.
 */
import { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";

export interface NoisyOptions {
  rounds: number;
  roundMs: number;
}

export interface NoisyRow {
  benchmark: string;
  measure: string;
  api: { min: number; median: number; max: number };
  floor?: { min: number; median: number; max: number };
  unit: string;
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

type StartService = (env: Record<string, string>) => Promise<{ url: string; process: ChildProcess }>;

const NOISY_WORKERS = 64;
const NOISY_JOBS = 100;
/** The quiet tenant's pace: a Get every 50 ms, under ARM's 25 reads a second. */
const QUIET_INTERVAL_MS = 50;
/**
 * The targets are the failures: none for the quiet tenant, and none but 429 for the noisy one (the
 * issue saw 503s for both kinds of call). The latency ratio is informational: the noisy tenant's
 * admitted lists still share the two cores with the quiet tenant's Gets (and, here, with Azurite and
 * this load generator), so what it comes to depends on the machine's load as much as on the service.
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: NOISY_WORKERS + 8 });

function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** An unsigned JWT of another tenant (dev mode takes its claims as given). */
function tenantToken(tenantId: string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "none", typ: "JWT" })}.${encode({ tid: tenantId, oid: `bench-${tenantId}` })}.`;
}

/**
 * A request whose body is read and dropped (a noisy client's 12 MB pages must not cost this process
 * their parsing); once more on a kept-alive socket the server closed meanwhile (every call here is
 * idempotent).
 */
async function send(url: string, method: string, token: string, body?: unknown): Promise<{ status: number; bytes: number; retryAfter?: string }> {
  try {
    return await sendOnce(url, method, token, body);
  } catch (error) {
    if ((error as { code?: string }).code !== "ECONNRESET") throw error;
    return sendOnce(url, method, token, body);
  }
}

function sendOnce(url: string, method: string, token: string, body?: unknown): Promise<{ status: number; bytes: number; retryAfter?: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(payload ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, retryAfter: res.headers["retry-after"] }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** The storage account a bench subscription's jobs name, registered to it (`CUSTOMER_ACCOUNT_SUBSCRIPTIONS`) so the linked access check grants them. */
export const benchAccount = (subscriptionId: string) => `bench${subscriptionId.replace(/-/g, "").slice(0, 16)}`;

/** `CUSTOMER_ACCOUNT_SUBSCRIPTIONS` registering each subscription's bench account to it. */
export const benchAccountRegistry = (subscriptionIds: string[]) => subscriptionIds.map((subscriptionId) => `${benchAccount(subscriptionId)}:${subscriptionId}`).join(";");

function jobUrl(service: string, sub: string, name: string): string {
  return `${service}/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.ImportExport/jobs/${name}?api-version=2021-01-01`;
}

/** An export job of about 120 KB: 100 blob paths and 20 prefixes of ~1,000 characters. */
function largeExportJob(sub: string) {
  const path = (kind: string, i: number) => `/container/${kind}${String(i).padStart(3, "0")}/${"x".repeat(980)}`;
  return {
    location: "westus",
    properties: {
      jobType: "Export",
      storageAccountId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${benchAccount(sub)}`,
      export: { blobList: { blobPath: Array.from({ length: 100 }, (_, i) => path("p", i)), blobPathPrefix: Array.from({ length: 20 }, (_, i) => path("q", i)) } },
    },
  };
}

function importJob(sub: string) {
  return {
    location: "westus",
    properties: {
      jobType: "Import",
      storageAccountId: `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${benchAccount(sub)}`,
      driveList: [{ driveId: "DRIVE1", bitLockerKey: "238810-662376-448998-450120-652806-203390-606320-483076", manifestFile: "\\DriveManifest.xml", manifestHash: "4228EC5D8E048CB9B515338C789314BE" }],
    },
  };
}

async function created(url: string, token: string, body: unknown): Promise<void> {
  const { status } = await send(url, "PUT", token, body);
  if (status !== 201 && status !== 200) throw new Error(`seeding ${url}: ${status}`);
}

interface Tenants {
  noisy: { sub: string; token: string };
  quiet: { sub: string; token: string };
}

/**
 * The quiet tenant's Gets, one at a time, one every QUIET_INTERVAL_MS for `ms`: their latencies,
 * sorted, and how many were not a 200.
 */
async function quietGets(service: string, tenants: Tenants, ms: number): Promise<{ latencies: number[]; failed: number }> {
  const latencies: number[] = [];
  let failed = 0;
  const url = jobUrl(service, tenants.quiet.sub, "quiet-job");
  const started = performance.now();
  for (let i = 0; performance.now() - started < ms; i++) {
    const wait = started + i * QUIET_INTERVAL_MS - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const t = performance.now();
    const { status } = await send(url, "GET", tenants.quiet.token);
    latencies.push(performance.now() - t);
    if (status !== 200) failed++;
  }
  return { latencies: latencies.sort((a, b) => a - b), failed };
}

/** The noisy tenant's workers, listing until stopped; what they were answered. */
function startNoise(service: string, tenants: Tenants) {
  const listUrl = `${service}/subscriptions/${tenants.noisy.sub}/providers/Microsoft.ImportExport/jobs?api-version=2021-01-01`;
  const answered = { ok: 0, throttled: 0, failed: 0, bytes: 0, largest: 0 };
  let running = true;
  const workers = Array.from({ length: NOISY_WORKERS }, async () => {
    while (running) {
      const { status, bytes, retryAfter } = await send(listUrl, "GET", tenants.noisy.token);
      if (status === 200) {
        answered.ok++;
        answered.bytes += bytes;
        answered.largest = Math.max(answered.largest, bytes);
      } else if (status === 429) {
        answered.throttled++;
        // As the Azure SDKs' retry policies do; a client that ignores it is stopped by the same cheap 429.
        await new Promise((resolve) => setTimeout(resolve, Number(retryAfter ?? "1") * 1000));
      } else {
        answered.failed++; // the issue's 503s (storage timeouts) when nothing bounds the lists
      }
    }
  });
  return {
    answered,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

interface Measured {
  alone: number[][];
  noisy: number[][];
  /** The quiet tenant's Gets that were not a 200. */
  quietFailed: number;
  answered: { ok: number; throttled: number; failed: number; bytes: number; largest: number };
}

/** Rounds of the quiet tenant alone, then under noise (one warm-up pair discarded). */
async function measure(service: string, tenants: Tenants, options: NoisyOptions): Promise<Measured> {
  const roundMs = Math.max(options.roundMs * 2, 3000);
  const result: Measured = { alone: [], noisy: [], quietFailed: 0, answered: { ok: 0, throttled: 0, failed: 0, bytes: 0, largest: 0 } };
  for (let round = 0; round <= options.rounds; round++) {
    const alone = await quietGets(service, tenants, roundMs);
    const noise = startNoise(service, tenants);
    // The noisy workers get going first, as a noisy tenant would already be when the quiet one calls.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const noisy = await quietGets(service, tenants, roundMs);
    await noise.stop();
    agent.destroy(); // the idle sockets would be closed by the server during the wait below
    // Buckets refill between rounds, so every round starts from the same state.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    if (round === 0) continue;
    result.alone.push(alone.latencies);
    result.noisy.push(noisy.latencies);
    result.quietFailed += alone.failed + noisy.failed;
    for (const key of ["ok", "throttled", "failed", "bytes"] as const) result.answered[key] += noise.answered[key];
    result.answered.largest = Math.max(result.answered.largest, noise.answered.largest);
  }
  return result;
}

export async function benchNoisy(options: NoisyOptions, startService: StartService, connectionString: string, rows: NoisyRow[]): Promise<void> {
  const suffix = randomUUID().replace(/-/g, "").slice(0, 8);
  const tables = {
    AUTH_MODE: "dev",
    ImportExportStorage: connectionString,
    JOBS_TABLE_NAME: `benchnoisyjobs${suffix}`,
    DEADLINES_TABLE_NAME: `benchnoisydeadlines${suffix}`,
    SUBSCRIPTIONS_TABLE_NAME: `benchnoisysubs${suffix}`,
    NOTIFICATIONS_QUEUE_NAME: `bench-noisy-${suffix}`,
  };
  const tenants: Tenants = {
    noisy: { sub: randomUUID(), token: tenantToken(randomUUID()) },
    quiet: { sub: randomUUID(), token: tenantToken(randomUUID()) },
  };
  const variants: { label: string; env: Record<string, string> }[] = [
    { label: "as configured", env: {} },
    {
      label: "with the bounds lifted",
      env: { THROTTLE_READ_BUCKET: "1000000", THROTTLE_WRITE_BUCKET: "1000000", THROTTLE_CONCURRENT_LISTS: "10000", LIST_PAGE_MAX_BYTES: String(64 * 1024 * 1024) },
    },
  ];
  const results: { label: string; measured: Measured }[] = [];
  for (const variant of variants) {
    const service = await startService({ ...tables, CUSTOMER_ACCOUNT_SUBSCRIPTIONS: benchAccountRegistry([tenants.noisy.sub, tenants.quiet.sub]), ...variant.env });
    try {
      if (results.length === 0) {
        // One seeding for both variants (the same tables): the noisy tenant's 100 large jobs, the quiet one's job.
        process.stdout.write(`  seeding ${NOISY_JOBS} jobs of ~120 KB…\n`);
        for (let i = 0; i < NOISY_JOBS; i++) await created(jobUrl(service.url, tenants.noisy.sub, `large-${String(i).padStart(3, "0")}`), tenants.noisy.token, largeExportJob(tenants.noisy.sub));
        await created(jobUrl(service.url, tenants.quiet.sub, "quiet-job"), tenants.quiet.token, importJob(tenants.quiet.sub));
      }
      console.log(`  ${variant.label}…`);
      results.push({ label: variant.label, measured: await measure(service.url, tenants, options) });
    } finally {
      service.process.kill("SIGTERM");
    }
  }

  for (const [index, { label, measured }] of results.entries()) {
    const p = (latencies: number[][], q: number) => latencies.map((sorted) => percentile(sorted, q));
    const ratios = measured.noisy.map((sorted, i) => percentile(sorted, 99) / percentile(measured.alone[i], 99));
    const ratio = spread(ratios).median;
    const answered = measured.answered;
    const configured = index === 0;
    rows.push({
      benchmark: `Another tenant's Get Job under a noisy tenant, ${label}`,
      measure: "latency p99, noisy vs alone",
      api: spread(p(measured.noisy, 99)),
      floor: spread(p(measured.alone, 99)),
      unit: "ms p99",
      ratio,
      note:
        `p50 noisy ${spread(p(measured.noisy, 50)).median.toFixed(2)} ms, alone ${spread(p(measured.alone, 50)).median.toFixed(2)} ms; ` +
        `${NOISY_WORKERS} concurrent lists of ${NOISY_JOBS} jobs of ~120 KB: ${answered.ok} answered 200 (largest page ${(answered.largest / 2 ** 20).toFixed(1)} MiB), ` +
        `${answered.throttled} 429` +
        (configured ? "" : "; informational: throttling, the list cap and the page bound lifted by settings, as before issue 20"),
    });
    const failures = measured.quietFailed + answered.failed;
    rows.push({
      benchmark: `Another tenant's Get Job under a noisy tenant, ${label}`,
      measure: "calls failed (not 200, nor 429 for the noisy tenant)",
      api: spread([failures]),
      unit: "calls",
      target: configured ? "= 0" : undefined,
      met: configured ? failures === 0 : undefined,
      note: `the quiet tenant's Gets ${measured.quietFailed}, the noisy tenant's lists ${answered.failed}`,
    });
  }
}
