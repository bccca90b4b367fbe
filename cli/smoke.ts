/**
 * `npm run smoke -- --base-url URL ...`: tells a deployer the service works. It runs a short session
 * against a live endpoint as a customer would, through the official SDK
 * (`@azure/arm-storageimportexport`, its endpoint the only change): the operations and locations,
 * then one import job of its own (a unique name) created, read, listed, updated, its BitLocker keys
 * listed, ARM's error model checked on it, and deleted; with an operator's token also the operator
 * API (the job received at the data center and shipped back, so it can still be deleted). Each step
 * is printed with its latency; the first failure ends the session (exit 1), and whatever happens the
 * job is removed again, or the last lines say where it was left and why.
 */
import { spawnSync } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { JobResponse } from "@azure/arm-storageimportexport";
import { StorageImportExport } from "@azure/arm-storageimportexport";
import type { TokenCredential } from "@azure/core-auth";
import { createDefaultHttpClient, createHttpHeaders, createPipelineRequest, PipelinePolicy, RestError } from "@azure/core-rest-pipeline";
import { parseIsoDuration } from "../shared/domain/duration";
import { redact } from "../shared/telemetry/redact";

const EXIT = { passed: 0, failed: 1, usage: 2, interrupted: 130 } as const;

const HELP = `Usage: npm run smoke -- --base-url <url> --subscription <id> --storage-account-id <id> (--token <token> | --token-command <command>) [options]

Tells you the service at <url> works: a short session through the official SDK
(@azure/arm-storageimportexport), as a customer: list the operations and locations; create an
import job of its own (a unique name, one drive), get it, find it in both lists, update its tags,
list its BitLocker keys; check ARM's error model (a job that does not exist is 404
ResourceNotFound, an update the job's state forbids is 400 with its target); delete the job and see
it gone. With an operator's token, also the operator API: the job read there, marked shipped,
received at the data center (an operator event), cancelled and shipped back, so it ends deletable.
Each step is printed with its latency; the first failure stops the session. The job is deleted
whatever happens (Ctrl-C too); if it cannot be, the last lines say where it was left and why.

Options:
  --base-url <url>                  the service, https (the SDK sends a bearer token only over TLS;
                                    locally \`npm start -- --https\`)
  --subscription <id>               a subscription registered to your tenant (docs/deploy.md)
  --storage-account-id <id>         the job's storage account (an ARM resource id); in Azure one
                                    that granted the app's identity Storage Blob Data Contributor,
                                    on which you hold it too
  --token <token>                   your bearer token for the service
  --token-command <command>         a command that prints it, raw or as JSON with accessToken
                                    (az account get-access-token --resource api://importexport)
  --operator-token <token>          a token with the operator role: also test the operator API
  --operator-token-command <cmd>    a command that prints it
  --function-key <key>              sent as x-functions-key (the Functions host's key, in Azure)
  --ca <file>                       trust this PEM certificate too (locally .devcerts/cert.pem)
  --resource-group <name>           the job's resource group (default importexport-smoke)
  --location <name>                 the job's location (default westus)
  --timeout <duration>              the longest one step may take, ISO-8601 (default PT60S)
  -h, --help                        this text

Output: a line per step (ok or FAIL, its name, its latency, what it saw), then one JSON line.
Exit codes: 0 every step passed; 1 a step failed (the line says which, and why); 2 bad usage, or no
token could be had; 130 interrupted.`;

/** The sample drive's manifest hash (any hex the service takes: nothing is copied). */
const MANIFEST_HASH = "4228EC5D8E048CB9B515338C789314BE8D0B2FDBC7C7A0308E1C826242CDE74E";
const CARRIER = "FedEx";
const RETURN_ADDRESS = {
  recipientName: "Import/Export smoke test",
  streetAddress1: "1 Main St",
  city: "Redmond",
  stateOrProvince: "WA",
  postalCode: "98052",
  countryOrRegion: "USA",
  phone: "4255550100",
  email: "smoke@example.com",
};
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

class UsageError extends Error {}

interface Options {
  baseUrl: string;
  subscription: string;
  storageAccountId: string;
  token: string;
  operatorToken?: string;
  functionKey?: string;
  ca?: string;
  resourceGroup: string;
  location: string;
  timeoutMs: number;
}

const OPTIONS = {
  "base-url": { type: "string" },
  subscription: { type: "string" },
  "storage-account-id": { type: "string" },
  token: { type: "string" },
  "token-command": { type: "string" },
  "operator-token": { type: "string" },
  "operator-token-command": { type: "string" },
  "function-key": { type: "string" },
  ca: { type: "string" },
  "resource-group": { type: "string" },
  location: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parseOptions(argv: string[]): Options | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const text = (name: string) => values[name] as string | undefined;
  const required = (name: string) => {
    const value = text(name);
    if (!value) throw new UsageError(`--${name} is required`);
    return value;
  };
  let baseUrl: URL;
  try {
    baseUrl = new URL(required("base-url"));
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--base-url '${text("base-url")}' is not a URL`);
  }
  if (baseUrl.protocol !== "https:") {
    throw new UsageError("--base-url must be https: the SDK sends a bearer token only over TLS (locally, start the service with `npm start -- --https`)");
  }
  if (baseUrl.search || baseUrl.hash) throw new UsageError("--base-url takes no query or fragment");
  const subscription = required("subscription");
  if (!GUID.test(subscription)) throw new UsageError("--subscription must be a subscription id (a GUID)");
  const storageAccountId = required("storage-account-id");
  if (!/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+$/i.test(storageAccountId)) {
    throw new UsageError("--storage-account-id must be a storage account's resource id: /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<name>");
  }
  const timeoutMs = parseIsoDuration(text("timeout") ?? "PT60S");
  if (timeoutMs === undefined || timeoutMs < 1000 || timeoutMs > 600_000) throw new UsageError("--timeout must be an ISO-8601 duration from 1 s to 10 min, such as PT60S");
  const resourceGroup = text("resource-group") ?? "importexport-smoke";
  if (!/^[-\w.()]{1,89}[-\w()]$/.test(resourceGroup)) throw new UsageError("--resource-group must be a resource group name: 1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'");
  const ca = text("ca");
  let caText: string | undefined;
  if (ca !== undefined) {
    try {
      caText = readFileSync(ca, "utf8");
    } catch (error) {
      throw new UsageError(`--ca '${ca}' can't be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  return {
    baseUrl: baseUrl.href.replace(/\/+$/, ""),
    subscription,
    storageAccountId,
    token: tokenFrom(text("token"), text("token-command"), "token", true)!,
    operatorToken: tokenFrom(text("operator-token"), text("operator-token-command"), "operator-token", false),
    functionKey: text("function-key"),
    ca: caText,
    resourceGroup,
    location: text("location") ?? "westus",
    timeoutMs,
  };
}

/** A token given as is, or printed by a command (raw, or the JSON of `az account get-access-token`). */
function tokenFrom(given: string | undefined, command: string | undefined, flag: string, needed: boolean): string | undefined {
  if (given !== undefined && command !== undefined) throw new UsageError(`give --${flag} or --${flag}-command, not both`);
  if (given !== undefined) return singleToken(given, `--${flag}`);
  if (command === undefined) {
    if (needed) throw new UsageError(`--${flag} or --${flag}-command is required`);
    return undefined;
  }
  // The command's errors go to the terminal as they are; its output is the token, never printed.
  const result = spawnSync(command, { shell: true, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 120_000 });
  if (result.error || result.status !== 0) {
    throw new UsageError(`--${flag}-command '${command}' failed (${result.error ? result.error.message : `exit ${result.status ?? result.signal}`})`);
  }
  const output = result.stdout.trim();
  if (output.startsWith("{")) {
    let parsed: { accessToken?: unknown; access_token?: unknown };
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new UsageError(`--${flag}-command printed something that looks like JSON but isn't`);
    }
    const token = parsed.accessToken ?? parsed.access_token;
    if (typeof token !== "string") throw new UsageError(`--${flag}-command printed JSON without an accessToken`);
    return singleToken(token, `--${flag}-command`);
  }
  return singleToken(output, `--${flag}-command`);
}

function singleToken(text: string, source: string): string {
  const token = text.trim();
  if (!token || /\s/.test(token)) throw new UsageError(`${source} gave no token (it must be one word, or JSON with accessToken)`);
  return token;
}

/** What a failed call said, from the SDK's RestError or the operator API's answer, ready to print. */
interface Failure {
  status?: number;
  code?: string;
  message: string;
  requestId?: string;
}

class StepFailed extends Error {
  constructor(
    readonly step: string,
    readonly failure: Failure,
  ) {
    super(failure.message);
  }
}

/** A check within a step that did not hold: what was expected and what came instead. */
class Mismatch extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Mismatch(message);
}

function failureOf(error: unknown, timeoutMs: number): Failure {
  if (error instanceof Mismatch) return { message: error.message };
  if (error instanceof OperatorApiAnswer) return error.failure;
  if (error instanceof RestError) {
    const requestId = error.response?.headers.get("x-ms-request-id") ?? undefined;
    if (error.statusCode) return { status: error.statusCode, code: error.code, message: error.message, requestId };
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? error.code;
    return { code: cause, message: error.message };
  }
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) return { code: "Timeout", message: `no answer within ${timeoutMs / 1000} s` };
  const code = (error as { code?: unknown }).code;
  return { code: typeof code === "string" ? code : undefined, message: error instanceof Error ? error.message : String(error) };
}

/** What to look at next, for the failures a deployer meets first. */
function hint(failure: Failure): string | undefined {
  if (failure.status === 401 && !failure.code) return "the Functions host refused the call: pass its key with --function-key";
  if (failure.status === 401) return "the service refused the token: it must be for the service (AUTH_AUDIENCE, or AUTH_CLIENT_ID for v2 tokens) from an issuer in AUTH_ISSUERS";
  if (failure.code === "InvalidAuthenticationTokenTenant") return "the subscription is not registered to your tenant: send ARM's subscription notification for it first (docs/deploy.md)";
  if (failure.code === "AuthorizationFailed") return "the token lacks the operator role (AUTH_OPERATOR_ROLE)";
  if (failure.status === 503) return "the service can't reach its storage yet: on a first deployment the role assignments take a few minutes to apply; try again shortly";
  if (failure.code === "ECONNREFUSED" || failure.code === "ENOTFOUND") return "nothing answers at --base-url";
  if (/certificate|self.signed/i.test(failure.message)) return "the service's certificate is not trusted: --ca <file> (locally .devcerts/cert.pem)";
  return undefined;
}

function describe(failure: Failure): string {
  const head = [failure.status, failure.code].filter(Boolean).join(" ");
  const requestId = failure.requestId ? ` (request id ${failure.requestId})` : "";
  const next = hint(failure);
  return `${head ? `${head}: ` : ""}${failure.message}${requestId}${next ? `\n      hint: ${next}` : ""}`;
}

/** An operator API answer other than 2xx, in the same shape as the SDK's errors. */
class OperatorApiAnswer extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

interface StepRecord {
  step: string;
  ms: number;
  ok: boolean;
}

/** The session: one job, its steps and their latencies, and the cleanup that removes the job. */
class SmokeSession {
  readonly steps: StepRecord[] = [];
  readonly jobName: string;
  readonly driveId: string;
  readonly bitLockerKey: string;
  readonly trackingNumber: string;
  private readonly client: StorageImportExport;
  private readonly httpClient = createDefaultHttpClient();
  /** One settings object for every request: the HTTP client keeps its HTTPS agent per object. */
  private readonly tlsSettings?: { ca: string };
  private readonly interrupt = new AbortController();
  private jobExists = false;

  constructor(private readonly options: Options) {
    if (options.ca) this.tlsSettings = { ca: options.ca };
    const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
    this.jobName = `smoke-${stamp}-${randomBytes(3).toString("hex")}`;
    this.driveId = `SMOKE${randomBytes(4).toString("hex").toUpperCase()}`;
    // Eight groups, each a multiple of 11 below 720896, as BitLocker's recovery passwords are.
    this.bitLockerKey = Array.from({ length: 8 }, () => String(11 * randomInt(0x10000)).padStart(6, "0")).join("-");
    this.trackingNumber = `SMOKE${randomBytes(5).toString("hex").toUpperCase()}`;
    const credential: TokenCredential = { getToken: async () => ({ token: options.token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
    this.client = new StorageImportExport(credential, options.subscription, {
      endpoint: options.baseUrl,
      // Each step's latency and first failure as they are: no retries with back-off.
      retryOptions: { maxRetries: 0 },
    });
    this.client.pipeline.addPolicy(this.connectionPolicy());
  }

  /** The function key, and trust of --ca's certificate. */
  private connectionPolicy(): PipelinePolicy {
    return {
      name: "smokeConnection",
      sendRequest: (request, next) => {
        if (this.tlsSettings) request.tlsSettings = this.tlsSettings;
        if (this.options.functionKey) request.headers.set("x-functions-key", this.options.functionKey);
        return next(request);
      },
    };
  }

  /** Ctrl-C: the running step is aborted, then the job is cleaned up. */
  stop(): void {
    this.interrupt.abort();
  }

  get interrupted(): boolean {
    return this.interrupt.signal.aborted;
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.interrupt.signal, AbortSignal.timeout(this.options.timeoutMs)]);
  }

  private async step<T>(name: string, action: (abortSignal: AbortSignal) => Promise<T>, saw: (result: T) => string = () => ""): Promise<T> {
    if (this.interrupted) throw new StepFailed(name, { code: "Interrupted", message: "interrupted (Ctrl-C)" });
    const started = performance.now();
    let ms = 0;
    try {
      const result = await action(this.signal());
      ms = performance.now() - started;
      const seen = saw(result);
      this.steps.push({ step: name, ms: Math.round(ms), ok: true });
      print("ok", name, ms, seen);
      return result;
    } catch (error) {
      ms ||= performance.now() - started;
      const failure = this.interrupted ? { code: "Interrupted", message: "interrupted (Ctrl-C)" } : failureOf(error, this.options.timeoutMs);
      this.steps.push({ step: name, ms: Math.round(ms), ok: false });
      print("FAIL", name, ms, describe(failure));
      throw new StepFailed(name, failure);
    }
  }

  /** The customer's session, then (with an operator token) the operator's; the job deleted last. */
  async run(): Promise<void> {
    const { client, jobName, options } = this;
    const rg = options.resourceGroup;
    await this.step("operations.list", (abortSignal) => all(client.operations.list({ abortSignal })), (operations) => {
      check(operations.length > 0, "expected the provider's operations, got none");
      return `${operations.length} operations`;
    });
    const locations = await this.step("locations.list", (abortSignal) => all(client.locations.list({ abortSignal })), (found) => {
      check(found.length > 0 && found.every((location) => location.name), "expected the data centers, each with a name");
      return `${found.length} locations`;
    });
    await this.step("locations.get", (abortSignal) => client.locations.get(locations[0].name!, { abortSignal }), (location) => {
      check(location.name === locations[0].name, `expected location '${locations[0].name}', got '${location.name}'`);
      return `${location.name}${location.city ? ` (${location.city})` : ""}`;
    });

    const created = await this.step(
      "jobs.create",
      (abortSignal) => {
        // From here on the job may exist (a create that timed out may have happened): cleanup looks.
        this.jobExists = true;
        return client.jobs.create(jobName, rg, this.jobDefinition(), { abortSignal });
      },
      (job) => {
        check(job.name === jobName && job.properties?.state === "Creating", `expected job '${jobName}' in state Creating, got '${job.name}' ${job.properties?.state}`);
        check(job.id, "the created job has no id");
        return `${rg}/${jobName}, Creating`;
      },
    );

    await this.step("jobs.get", (abortSignal) => client.jobs.get(jobName, rg, { abortSignal }), (job) => {
      const drive = job.properties?.driveList?.[0];
      check(job.id?.toLowerCase() === created.id!.toLowerCase(), `expected id ${created.id}, got ${job.id}`);
      check(drive?.driveId === this.driveId, `expected drive ${this.driveId}, got ${drive?.driveId}`);
      // Keys are returned only by listBitLockerKeys.
      check(!drive.bitLockerKey, "Get Job returned the drive's BitLocker key");
      return `${job.properties?.state}, drive ${drive.driveId} ${drive.state}`;
    });
    await this.step("jobs.listBySubscription", (abortSignal) => findJob(client.jobs.listBySubscription({ abortSignal }), jobName), (seen) => {
      check(seen.found, `job '${jobName}' is not in the subscription's ${seen.count} jobs`);
      return `found among ${seen.count}`;
    });
    await this.step("jobs.listByResourceGroup", (abortSignal) => findJob(client.jobs.listByResourceGroup(rg, { abortSignal }), jobName), (seen) => {
      check(seen.found, `job '${jobName}' is not in resource group ${rg}'s ${seen.count} jobs`);
      return `found among ${seen.count}`;
    });
    const tags = { purpose: "smoke-test", updated: new Date().toISOString() };
    await this.step("jobs.update", (abortSignal) => client.jobs.update(jobName, rg, { tags }, { abortSignal }), (job) => {
      check(job.tags?.purpose === tags.purpose && job.tags?.updated === tags.updated, `expected tags ${JSON.stringify(tags)}, got ${JSON.stringify(job.tags)}`);
      return "tags updated";
    });
    await this.step("bitLockerKeys.list", (abortSignal) => all(client.bitLockerKeys.list(jobName, rg, { abortSignal })), (keys) => {
      check(keys.some((key) => key.driveId === this.driveId && key.bitLockerKey === this.bitLockerKey), `expected drive ${this.driveId}'s key, got drives ${keys.map((key) => key.driveId).join(", ")}`);
      return `${keys.length} key(s)`;
    });

    const missing = `${jobName}-missing`;
    await this.step("errors.notFound", (abortSignal) => expectArmError(client.jobs.get(missing, rg, { abortSignal })), (error) => {
      check(error.status === 404 && error.code === "ResourceNotFound", `expected 404 ResourceNotFound, got ${error.status} ${error.code}`);
      check(error.message.includes(missing), `expected the message to name '${missing}': ${error.message}`);
      check(error.requestId, "expected an x-ms-request-id header");
      return "404 ResourceNotFound";
    });
    await this.step("errors.badRequest", (abortSignal) => expectArmError(client.jobs.update(jobName, rg, { state: "Shipping" }, { abortSignal })), (error) => {
      check(error.status === 400 && error.code === "ShippingInformationMissing", `expected 400 ShippingInformationMissing, got ${error.status} ${error.code}`);
      check(error.target === "properties.state", `expected the error's target properties.state, got ${error.target}`);
      return `400 ${error.code}, target ${error.target}`;
    });

    if (options.operatorToken) await this.operatorSession();

    await this.step("jobs.delete", (abortSignal) => client.jobs.delete(jobName, rg, { abortSignal }));
    this.jobExists = false;
    await this.step("jobs.get (deleted)", (abortSignal) => expectArmError(client.jobs.get(jobName, rg, { abortSignal })), (error) => {
      check(error.status === 404, `expected 404 after the delete, got ${error.status} ${error.code}`);
      return "404, gone";
    });
  }

  /** The operator API: the job read, then received (the event) and, cancelled, shipped back so it ends Completed. */
  private async operatorSession(): Promise<void> {
    const { client, jobName } = this;
    const rg = this.options.resourceGroup;
    // First a read, so a token without the operator role fails while the job is still deletable.
    await this.step("operator.getJob", (abortSignal) => this.operator("GET", "", undefined, abortSignal), (job) => {
      check(job?.properties?.state === "Creating", `expected the job Creating, got ${job?.properties?.state}`);
      return "Creating";
    });
    await this.step("jobs.update (shipped)", (abortSignal) => client.jobs.update(jobName, rg, this.shipping(), { abortSignal }), (job) => {
      check(job.properties?.state === "Shipping", `expected state Shipping, got ${job.properties?.state}`);
      return "Shipping";
    });
    await this.step("operator.event PackageReceived", (abortSignal) => this.operator("POST", "/events", this.packageReceived(), abortSignal), (job) => {
      check(job?.properties?.state === "Received", `expected state Received, got ${job?.properties?.state}`);
      return "Received";
    });
    await this.step("jobs.update (cancel)", (abortSignal) => client.jobs.update(jobName, rg, { cancelRequested: true }, { abortSignal }), (job) => {
      check(job.properties?.state === "Packaging", `expected state Packaging (the drive not copied), got ${job.properties?.state}`);
      return "Packaging";
    });
    await this.step("operator.event ShippedBack", (abortSignal) => this.operator("POST", "/events", this.shippedBack(), abortSignal), (job) => {
      check(job?.properties?.state === "Completed", `expected state Completed, got ${job?.properties?.state}`);
      return "Completed";
    });
  }

  /**
   * After a failure: the job removed if it is there. A job past Creating is brought to Completed
   * first where the operator token allows (received, cancelled, shipped back), as the session does.
   */
  async cleanUp(): Promise<{ deleted: boolean; state?: string; reason?: string }> {
    if (!this.jobExists) return { deleted: true };
    const { client, jobName } = this;
    const rg = this.options.resourceGroup;
    const cleanupSignal = () => AbortSignal.timeout(this.options.timeoutMs);
    let state: string | undefined;
    try {
      for (let attempt = 0; attempt < 6; attempt++) {
        const job = await client.jobs.get(jobName, rg, { abortSignal: cleanupSignal() }).catch((error: unknown) => {
          if (error instanceof RestError && error.statusCode === 404) return undefined;
          throw error;
        });
        if (!job) return { deleted: true };
        state = job.properties?.state;
        if (state === "Creating" || state === "Completed") {
          const started = performance.now();
          await client.jobs.delete(jobName, rg, { abortSignal: cleanupSignal() });
          print("ok", "cleanup: jobs.delete", performance.now() - started, `${rg}/${jobName} deleted`);
          this.jobExists = false;
          return { deleted: true };
        }
        if (!this.options.operatorToken) break;
        if (state === "Shipping" || state === "Received" || state === "Transferring") {
          if (!job.properties?.cancelRequested) await client.jobs.update(jobName, rg, { cancelRequested: true }, { abortSignal: cleanupSignal() });
          if (state === "Shipping") await this.operator("POST", "/events", this.packageReceived(), cleanupSignal());
        } else if (state === "Packaging") {
          await this.operator("POST", "/events", this.shippedBack(), cleanupSignal());
        } else {
          break;
        }
      }
      return { deleted: false, state, reason: `a '${state}' job cannot be deleted${this.options.operatorToken ? "" : " without an operator's token (it must reach Completed)"}` };
    } catch (error) {
      return { deleted: false, state, reason: describe(failureOf(error, this.options.timeoutMs)) };
    }
  }

  private jobDefinition() {
    return {
      location: this.options.location,
      tags: { purpose: "smoke-test" },
      properties: {
        jobType: "Import",
        storageAccountId: this.options.storageAccountId,
        driveList: [{ driveId: this.driveId, bitLockerKey: this.bitLockerKey, manifestFile: "\\DriveManifest.xml", manifestHash: MANIFEST_HASH }],
      },
    };
  }

  private shipping() {
    return { state: "Shipping", deliveryPackage: { carrierName: CARRIER, trackingNumber: this.trackingNumber }, returnAddress: RETURN_ADDRESS };
  }

  private packageReceived() {
    return { type: "PackageReceived", carrierName: CARRIER, trackingNumber: this.trackingNumber, driveIds: [this.driveId] };
  }

  private shippedBack() {
    return { type: "ShippedBack", carrierName: CARRIER, trackingNumber: `${this.trackingNumber}R`, driveCount: 1, shipDate: new Date().toISOString().slice(0, 10) };
  }

  /** A call to the operator API (not part of ARM's SDK), with the operator's token. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the operator API's job, checked field by field
  private async operator(method: "GET" | "POST", suffix: string, body: unknown, abortSignal: AbortSignal): Promise<any> {
    const { baseUrl, subscription, resourceGroup, operatorToken, functionKey } = this.options;
    const path = `/operator/subscriptions/${subscription}/resourceGroups/${encodeURIComponent(resourceGroup)}/jobs/${this.jobName}${suffix}`;
    const headers = createHttpHeaders({ authorization: `Bearer ${operatorToken}`, accept: "application/json" });
    if (body !== undefined) headers.set("content-type", "application/json");
    if (functionKey) headers.set("x-functions-key", functionKey);
    const request = createPipelineRequest({ url: `${baseUrl}${path}`, method, headers, body: body === undefined ? undefined : JSON.stringify(body), abortSignal });
    if (this.tlsSettings) request.tlsSettings = this.tlsSettings;
    const response = await this.httpClient.sendRequest(request);
    let parsed: { error?: { code?: string; message?: string } } | undefined;
    try {
      parsed = response.bodyAsText ? JSON.parse(response.bodyAsText) : undefined;
    } catch {
      parsed = undefined; // not the service's JSON (a proxy's page): the status and the text say what came
    }
    if (response.status >= 300) {
      throw new OperatorApiAnswer({
        status: response.status,
        code: parsed?.error?.code,
        message: parsed?.error?.message ?? (response.bodyAsText?.slice(0, 200) || "(no body)"),
        requestId: response.headers.get("x-ms-request-id") ?? undefined,
      });
    }
    return parsed;
  }
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const found: T[] = [];
  for await (const item of items) found.push(item);
  return found;
}

/** Pages through a list until the job shows up. */
async function findJob(jobs: AsyncIterable<JobResponse>, name: string): Promise<{ found: boolean; count: number }> {
  let count = 0;
  for await (const job of jobs) {
    count++;
    if (job.name === name) return { found: true, count };
  }
  return { found: false, count };
}

interface ArmErrorSeen {
  status?: number;
  code?: string;
  message: string;
  target?: string;
  requestId?: string;
}

/** The call must fail as ARM fails: a RestError with the status, and the body's code, message and target. */
async function expectArmError(call: Promise<unknown>): Promise<ArmErrorSeen> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof RestError) || !error.statusCode) throw error;
    // The SDK's deserialized ARM error body, which core-client sets on the response (its ErrorResponse model flattens `error`).
    const body = (error.response as { parsedBody?: { target?: string } } | undefined)?.parsedBody;
    return { status: error.statusCode, code: error.code, message: error.message, target: body?.target, requestId: error.response?.headers.get("x-ms-request-id") ?? undefined };
  }
  throw new Mismatch("expected an error, the call succeeded");
}

function print(outcome: "ok" | "FAIL", step: string, ms: number, saw: string): void {
  say(`  ${outcome.padEnd(4)}  ${step.padEnd(32)} ${`${Math.round(ms)} ms`.padStart(8)}  ${saw}`.trimEnd());
}

/** A line of the report: what it quotes of an answer or an error goes through the one redaction step (the session holds tokens and a BitLocker key). */
function say(line: string): void {
  console.log(redact(line));
}

export async function main(argv: string[]): Promise<number> {
  let options: Options | "help";
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`smoke: ${error.message}\nRun 'npm run smoke -- --help' for the options.\n`);
    return EXIT.usage;
  }
  if (options === "help") {
    console.log(HELP);
    return EXIT.passed;
  }
  const session = new SmokeSession(options);
  let interrupts = 0;
  const onInterrupt = () => {
    // A second Ctrl-C leaves at once, cleanup or not.
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    console.log("  interrupted: cleaning up (Ctrl-C again to leave at once)");
    session.stop();
  };
  process.on("SIGINT", onInterrupt);
  console.log(`Smoke test of ${options.baseUrl}, subscription ${options.subscription}: job ${options.resourceGroup}/${session.jobName}${options.operatorToken ? ", with the operator API" : ""}`);
  let failedStep: string | undefined;
  try {
    await session.run();
  } catch (error) {
    // A failure outside any step is this program's own: reported, and the job still cleaned up.
    failedStep = error instanceof StepFailed ? error.step : "(smoke test itself)";
    if (!(error instanceof StepFailed)) say(`  FAIL  ${failedStep}: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
  const cleanup = await session.cleanUp();
  if (!cleanup.deleted) {
    say(`  left behind: job ${options.resourceGroup}/${session.jobName}${cleanup.state ? ` in state ${cleanup.state}` : ""}: ${cleanup.reason}`);
  }
  const result = session.interrupted ? "interrupted" : failedStep ? "failed" : "passed";
  const totalMs = session.steps.reduce((sum, step) => sum + step.ms, 0);
  console.log(
    result === "passed"
      ? `Passed: ${session.steps.length} steps in ${totalMs} ms.`
      : `${result === "interrupted" ? "Interrupted" : "Failed"} at ${failedStep}, after ${session.steps.filter((step) => step.ok).length} passed step(s).`,
  );
  console.log(
    JSON.stringify({
      result,
      failedStep,
      steps: session.steps,
      job: { resourceGroup: options.resourceGroup, name: session.jobName, deleted: cleanup.deleted, state: cleanup.deleted ? undefined : cleanup.state },
    }),
  );
  return result === "passed" ? EXIT.passed : result === "interrupted" ? EXIT.interrupted : EXIT.failed;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`smoke: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = EXIT.failed;
    },
  );
}
