/**
 * Support of the HTTP fuzz tests: the run's budget and seed, a raw HTTP client (node:http, so paths,
 * methods and headers go out exactly as generated), the oracle every response is checked against,
 * and snapshots of the seeded jobs' table entities.
 */
import http from "node:http";
import { odata, TableClient } from "@azure/data-tables";
import * as fc from "fast-check";

/** Requests sent in parallel per property run. */
export const BATCH = 16;
/** The default (quick) budget: at least 10,000 requests. `FUZZ_RUNS=100000` for a long run. */
export const QUICK_REQUESTS = 10_240;
export const TOTAL_REQUESTS = positiveInt(process.env.FUZZ_RUNS, QUICK_REQUESTS);
/** One fixed seed per run (each property derives its own from it); `FUZZ_SEED` replays another. */
export const SEED = positiveInt(process.env.FUZZ_SEED, 20_261_123);

function positiveInt(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text && Number.isInteger(value) && value > 0 ? value : fallback;
}

/** Property runs for a share of the budget: each run sends one batch. */
export function runsFor(share: number): number {
  return Math.max(1, Math.ceil((TOTAL_REQUESTS * share) / BATCH));
}

export interface FuzzRequest {
  /** What generated it, for failure reports. */
  label: string;
  method: string;
  /** Path and query, sent as they are. */
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Send the body in chunks without a content-length. */
  chunked?: boolean;
  /** The request is certainly invalid: it must be answered with a 4xx. */
  mustReject: boolean;
}

export interface FuzzResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A short, readable form of a request for counterexamples (bodies may be hundreds of KB). */
export function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? "" : ` body(${Buffer.byteLength(request.body)} B${request.chunked ? ", chunked" : ""})=${clip(request.body.toString())}`;
  return `[${request.label}${request.mustReject ? ", must reject" : ""}] ${request.method} ${clip(request.path, 400)} headers=${clip(JSON.stringify(request.headers), 400)}${body}`;
}

/** Gives a generated request the readable form above in fast-check's reports. */
export function withDescription(request: FuzzRequest): FuzzRequest {
  return Object.defineProperty(request, fc.toStringMethod, { value: () => describeRequest(request), enumerable: false });
}

export function clip(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} chars)`;
}

/** node:http with a keep-alive pool of one socket per request in flight. */
export class FuzzClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: BATCH });
  private readonly base: URL;
  sent = 0;
  /** Statuses by kind of request (the label up to its first detail), for `FUZZ_VERBOSE=1`. */
  readonly statuses = new Map<string, Map<number, number>>();

  constructor(baseUrl: string) {
    this.base = new URL(baseUrl);
  }

  async send(request: FuzzRequest): Promise<FuzzResponse> {
    let response: FuzzResponse;
    try {
      response = await this.once(request);
    } catch (error) {
      // A pooled socket the server closed as it was reused: one retry on a fresh one.
      const code = (error as { code?: string }).code;
      if (code !== "ECONNRESET" && code !== "EPIPE") throw error;
      response = await this.once(request);
    }
    // The label less the job's name: "seeded put, fatal schema", "near-valid event", ...
    const kind = request.label.replace(/ (seed|job|JOB|j1|pool|Seed)[^,]*/, "");
    const counts = this.statuses.get(kind) ?? new Map<number, number>();
    counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
    this.statuses.set(kind, counts);
    return response;
  }

  /** One line per kind of request: how often each status came back. */
  statusReport(): string {
    return [...this.statuses.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, counts]) => `  ${kind}: ${[...counts.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(" ")}`)
      .join("\n");
  }

  close(): void {
    this.agent.destroy();
  }

  private once(request: FuzzRequest): Promise<FuzzResponse> {
    this.sent++;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined && !request.chunked) headers["content-length"] = String(Buffer.byteLength(request.body));
      const hasHost = Object.keys(headers).some((name) => name.toLowerCase() === "host");
      let answered = false;
      const req = http.request(
        { host: this.base.hostname, port: this.base.port, method: request.method, path: request.path, headers, agent: this.agent, setHost: !hasHost },
        (res) => {
          answered = true;
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error("no answer within 30 s")));
      // The server may answer (413) and close before the whole body is written: the answer counts.
      req.on("error", (error) => {
        if (!answered) reject(error);
      });
      if (request.body === undefined) {
        req.end();
      } else if (request.chunked) {
        const body = Buffer.from(request.body);
        for (let start = 0; start < body.length; start += 16 * 1024) req.write(body.subarray(start, start + 16 * 1024));
        req.end();
      } else {
        req.end(request.body);
      }
    });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The properties every response must have: never a 5xx; a request id; every 4xx in the ARM error
 * shape; a certainly invalid request refused with a 4xx; a JSON success parses.
 * Returns a description of each violation (empty when there is none).
 */
export function violations(request: FuzzRequest, response: FuzzResponse): string[] {
  const found: string[] = [];
  const { status } = response;
  if (status >= 500) found.push(`a ${status}`);
  if (request.mustReject && !(status >= 400 && status < 500)) found.push(`a certainly invalid request got ${status}, not a 4xx`);
  const requestId = response.headers["x-ms-request-id"];
  if (typeof requestId !== "string" || !UUID.test(requestId)) found.push(`x-ms-request-id is ${JSON.stringify(requestId)}`);
  const hasBody = request.method !== "HEAD" && response.text.length > 0;
  if (status >= 400 && request.method !== "HEAD") {
    if (!/^application\/json/i.test(String(response.headers["content-type"]))) found.push(`error content-type ${JSON.stringify(response.headers["content-type"])}`);
    found.push(...armErrorShapeProblems(response.text));
  } else if (status >= 200 && status < 300 && hasBody && /^application\/json/i.test(String(response.headers["content-type"]))) {
    try {
      JSON.parse(response.text);
    } catch {
      found.push("a JSON success whose body is not JSON");
    }
  }
  return found;
}

/** What is wrong with an ARM error body `{"error": {code, message, target?, details?}}`. */
export function armErrorShapeProblems(text: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return ["the error body is not JSON"];
  }
  if (!isObject(body) || Object.keys(body).join() !== "error" || !isObject(body.error)) return ["the error body is not {error: {...}}"];
  const error = body.error;
  const problems: string[] = [];
  if (typeof error.code !== "string" || error.code === "") problems.push("error.code is not a non-empty string");
  if (typeof error.message !== "string" || error.message === "") problems.push("error.message is not a non-empty string");
  for (const key of Object.keys(error)) if (!["code", "message", "target", "details"].includes(key)) problems.push(`unexpected error.${key}`);
  if (error.target !== undefined && typeof error.target !== "string") problems.push("error.target is not a string");
  if (error.details !== undefined) {
    if (!Array.isArray(error.details)) problems.push("error.details is not an array");
    else
      for (const detail of error.details) {
        if (!isObject(detail) || typeof detail.code !== "string" || typeof detail.message !== "string") problems.push(`a detail without code and message: ${JSON.stringify(detail)}`);
        else if (detail.target !== undefined && typeof detail.target !== "string") problems.push("a detail's target is not a string");
      }
  }
  return problems;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sends a batch in parallel and throws one error naming every request that broke a property. */
export async function sendBatch(client: FuzzClient, batch: FuzzRequest[]): Promise<FuzzResponse[]> {
  const outcomes = await Promise.all(
    batch.map(async (request) => {
      try {
        const response = await client.send(request);
        return { request, response, problems: violations(request, response) };
      } catch (error) {
        return { request, response: undefined, problems: [`no HTTP answer: ${(error as Error).message}`] };
      }
    }),
  );
  const failed = outcomes.filter((outcome) => outcome.problems.length > 0);
  if (failed.length > 0) {
    const lines = failed.map(
      ({ request, response, problems }) =>
        `${describeRequest(request)}\n  → ${response ? `${response.status} ${clip(response.text, 600)}` : "no response"}\n  problems: ${problems.join("; ")}`,
    );
    throw new Error(`${failed.length} of ${batch.length} requests broke a property:\n${lines.join("\n")}`);
  }
  return outcomes.map((outcome) => outcome.response!);
}

// ---- Snapshots of the seeded subscriptions' job entities ----

export function jobsTable(): TableClient {
  const connectionString = process.env.TEST_STORAGE_CONNECTION_STRING;
  if (!connectionString) throw new Error("TEST_STORAGE_CONNECTION_STRING is not set: run the tests through jest's global setup");
  return TableClient.fromConnectionString(connectionString, process.env.JOBS_TABLE_NAME ?? "testjobs", { allowInsecureConnection: true });
}

/** Every entity of the subscriptions (all their resource groups), keyed "<PartitionKey>/<RowKey>", as JSON. */
export async function snapshot(table: TableClient, subscriptionIds: string[]): Promise<Map<string, string>> {
  const entities = new Map<string, string>();
  for (const sub of subscriptionIds) {
    const filter = odata`PartitionKey ge ${`${sub.toLowerCase()}:`} and PartitionKey lt ${`${sub.toLowerCase()};`}`;
    for await (const entity of table.listEntities({ queryOptions: { filter } })) {
      entities.set(`${entity.partitionKey}/${entity.rowKey}`, JSON.stringify(entity, Object.keys(entity).sort()));
    }
  }
  return entities;
}

/** The differences between two snapshots, one line per entity added, removed or changed. */
export function snapshotDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const lines: string[] = [];
  for (const [key, value] of before) {
    const now = after.get(key);
    if (now === undefined) lines.push(`removed ${key}`);
    else if (now !== value) lines.push(`changed ${key}:\n    before ${clip(value, 800)}\n    after  ${clip(now, 800)}`);
  }
  for (const key of after.keys()) if (!before.has(key)) lines.push(`added ${key}`);
  return lines;
}

/**
 * fc.assert with the run's seed. A failure is reported by the property's own error (which names the
 * failing requests and what they broke) with the seed to replay it, not fast-check's dump of the
 * whole batch.
 */
export async function assertProperty<T>(name: string, seedOffset: number, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => Promise<void>, numRuns: number): Promise<void> {
  const seed = SEED + seedOffset;
  let failure: unknown;
  const property = fc.asyncProperty(arbitrary, async (value) => {
    try {
      await predicate(value);
    } catch (error) {
      failure = error;
      throw error;
    }
  });
  try {
    await fc.assert(property, { seed, numRuns, endOnFailure: true });
  } catch (error) {
    // fast-check's first lines name the seed and path; its counterexample is the whole batch.
    const summary = (error instanceof Error ? error.message : String(error)).split("\n").slice(0, 2).join(" ");
    const reason = failure instanceof Error ? failure.message : String(failure ?? error);
    // Not attached as the cause: jest would print fast-check's dump of all 16 requests after this.
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`Fuzz property "${name}" failed (${summary}). Replay: FUZZ_SEED=${SEED}${process.env.FUZZ_RUNS ? ` FUZZ_RUNS=${TOTAL_REQUESTS}` : ""} npx jest test/fuzz\n${reason}`);
  }
}
