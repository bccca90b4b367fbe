/**
 * The HTTP pipeline every ARM operation runs through: request id, api-version check, the caller's
 * token, each subscription's throttling, bounded JSON body reading, zod parsing with one error detail
 * per bad field, and the one place where any failure becomes an ARM error response
 * (`{"error": {code, message, target?, details?}}`).
 *
 * A handler is given the services by the host that registers it (`functions/http-api.ts`, the local
 * host), which takes them from the composition root: the API never reaches up for them.
 */
import { randomUUID } from "node:crypto";
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { z } from "zod";
import { ErrorDetail, ErrorFactory, ServiceError } from "../../domain/errors";
import { Actor } from "../../domain/job";
import { Preconditions } from "../../domain/preconditions";
import type { Services } from "../operations/services";
import { bearerTokenOf, type Audience, type Caller } from "../auth/authenticator";
import { currentLogger } from "../../telemetry/log";
import { parsePreconditions } from "./precondition-headers";
import { describeRequest } from "./request-telemetry";
import { subscriptionIdPattern, SUPPORTED_API_VERSIONS } from "./schemas";

export interface ArmRequest {
  http: HttpRequest;
  url: URL;
  /**
   * The URL as clients reach the service, for links in responses (nextLink): the request's own
   * URL, on `PUBLIC_BASE_URL` when one is configured (behind ARM or a gateway). Never taken from a
   * client's header (Referer, X-Forwarded-Host), which anyone can set.
   */
  publicUrl: URL;
  requestId: string;
  services: Services;
  /** Who is calling, as the authenticator established it; jobs are scoped to its tenant. */
  caller: Caller;
  actor: Actor;
  tenantId: string;
  /** The caller's own bearer token, for what must be asked on the caller's behalf (ARM's linked access answer). */
  bearerToken?: string;
  /** Parses the path parameters with a schema, answering 400 with one detail per bad name. */
  params<T extends z.ZodType>(schema: T): z.infer<T>;
  /** Parses the query string (less api-version) with a schema. */
  query<T extends z.ZodType>(schema: T): z.infer<T>;
  /** Reads the body as JSON within the size limit and parses it with a schema. */
  body<T extends z.ZodType>(schema: T): Promise<z.infer<T>>;
  /** The request's If-Match and If-None-Match, answering 400 for a malformed one. */
  preconditions(): Preconditions;
}

export interface ArmResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ArmHandlerOptions {
  /** Every ARM operation requires api-version; only the catch-all route does not. */
  apiVersion?: boolean;
  /** The api-versions the operation accepts; by default the provider's (`SUPPORTED_API_VERSIONS`). */
  apiVersions?: readonly string[];
  /** Who may call: any authenticated customer (default), operators only, or anyone (the 404s). */
  audience?: Audience | "anyone";
  /** A list: it also takes one of its subscription's places for lists running at once (`THROTTLE_CONCURRENT_LISTS`). */
  list?: boolean;
}

const NOBODY: Caller = { tenantId: "", roles: [], isOperator: false, actor: { id: "anonymous", type: "User" } };

export type ArmOperation = (request: ArmRequest) => Promise<ArmResult>;

/** The services of the process, built on first use: `getServices` of the composition root. */
export type ServicesSource = () => Promise<Services>;

/** A route's handler once its host hands it the services. */
export type RouteHandler = (services: ServicesSource) => HttpHandler;

export function armHandler(operation: ArmOperation, options: ArmHandlerOptions = {}): RouteHandler {
  return (servicesOf) => async (http: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const requestId = randomUUID();
    const correlationId = correlationIdOf(http) ?? randomUUID();
    const baseHeaders: Record<string, string> = { "x-ms-request-id": requestId, "x-ms-correlation-request-id": correlationId };
    describeRequest({ requestId, correlationId });
    let endList: (() => void) | undefined;
    try {
      const url = new URL(http.url);
      if (options.apiVersion !== false) checkApiVersion(url, options.apiVersions ?? SUPPORTED_API_VERSIONS);
      const services = await servicesOf();
      const audience = options.audience ?? "customer";
      const caller = audience === "anyone" ? NOBODY : await services.authenticator.authenticate(http.headers.get("authorization"), audience);
      describeRequest({ tenantId: caller.tenantId || undefined });
      if (audience === "customer") endList = throttle(http, services, caller, options.list === true, baseHeaders);
      const result = await operation(buildRequest(http, url, requestId, services, caller));
      return {
        status: result.status,
        headers: { ...baseHeaders, ...(result.body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }), ...result.headers },
        body: result.body === undefined ? undefined : JSON.stringify(result.body),
      };
    } catch (error) {
      return errorResponse(error, requestId, baseHeaders);
    } finally {
      endList?.();
    }
  };
}

/**
 * ARM's throttling of a customer's call on a subscription's path (see subscription-throttle.ts): a
 * token of the subscription's reads (GET, HEAD) or writes (every other method), the count left in
 * ARM's header on the answer, errors included; a list also takes one of the subscription's places
 * for lists running at once. Returns what ends the list. The bucket is the subscription's as the
 * caller's tenant calls it, so a stranger spends its own. Operators (the data center, ARM's
 * notifications) and paths without a subscription (locations, operations, the portal's files) are
 * not throttled; a subscription id that is not a GUID is left to the path's 400.
 */
function throttle(http: HttpRequest, services: Services, caller: Caller, list: boolean, headers: Record<string, string>): (() => void) | undefined {
  const subscriptionId = http.params.subscriptionId;
  if (!subscriptionId || !subscriptionIdPattern.test(subscriptionId)) return undefined;
  const scope = `${caller.tenantId} ${subscriptionId.toLowerCase()}`;
  const kind = http.method === "GET" || http.method === "HEAD" ? "reads" : "writes";
  const admission = services.throttle.take(scope, kind);
  headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(admission.admitted ? admission.remaining : 0);
  if (!admission.admitted) throw ErrorFactory.subscriptionThrottled(kind === "reads" ? "read" : "write", subscriptionId, admission.retryAfterSeconds);
  if (!list) return undefined;
  const endList = services.throttle.startList(scope);
  if (!endList) throw ErrorFactory.tooManyLists(subscriptionId, services.settings.throttle.concurrentLists);
  return endList;
}

/**
 * The caller's `x-ms-correlation-request-id`, echoed and logged as given, as ARM does; one that is
 * no id (blank, over 128 characters, spaces or control characters) is replaced by a new one, as a
 * missing one is.
 */
function correlationIdOf(http: HttpRequest): string | undefined {
  const given = http.headers.get("x-ms-correlation-request-id");
  return given && /^[\x21-\x7e]{1,128}$/.test(given) ? given : undefined;
}

/**
 * The one mapping from a failure to an ARM error response, with its `x-ms-request-id`. A 500 never
 * carries the raw exception: its cause is logged, with the request id the response names.
 */
export function errorResponse(error: unknown, requestId: string, headers: Record<string, string>): HttpResponseInit {
  let serviceError: ServiceError;
  if (error instanceof ServiceError) {
    serviceError = error;
    // A 503 is storage (or ARM) out of reach: the answer says only that, the log why.
    if (serviceError.status >= 500) currentLogger().warn(`Request ${requestId} answered ${serviceError.status} ${serviceError.code}`, { requestId, error: serviceError.cause ?? serviceError });
  } else {
    currentLogger().error(`Request ${requestId} failed`, { requestId, error });
    serviceError = ErrorFactory.internal(requestId);
  }
  const { code, message, target, details } = serviceError;
  return {
    status: serviceError.status,
    headers: { "x-ms-request-id": requestId, ...headers, "content-type": "application/json; charset=utf-8", ...serviceError.headers },
    body: JSON.stringify({ error: { code, message, ...(target ? { target } : {}), ...(details ? { details } : {}) } }),
  };
}

function checkApiVersion(url: URL, supported: readonly string[]): void {
  const version = url.searchParams.get("api-version");
  if (version === null || version === "") throw ErrorFactory.missingApiVersion(supported);
  if (!supported.includes(version)) throw ErrorFactory.invalidApiVersion(version, supported);
}

function buildRequest(http: HttpRequest, url: URL, requestId: string, services: Services, caller: Caller): ArmRequest {
  return {
    http,
    url,
    publicUrl: publicUrlOf(url, services.settings.publicBaseUrl),
    requestId,
    services,
    caller,
    actor: caller.actor,
    tenantId: caller.tenantId,
    bearerToken: bearerTokenOf(http.headers.get("authorization")),
    params: (schema) => parseOrThrow(schema, http.params, "InvalidResourceName"),
    query: (schema) => {
      // Parameter names are the caller's strings: a null-prototype object takes `__proto__` as a name.
      const query: Record<string, string> = Object.create(null);
      url.searchParams.forEach((value, name) => {
        if (name !== "api-version") query[name] = value;
      });
      return parseOrThrow(schema, query, "InvalidQueryParameterValue");
    },
    body: async (schema) => parseOrThrow(schema, await readJson(http, services.settings.maxRequestBodyBytes), "InvalidRequestContent"),
    preconditions: () => parsePreconditions(http.headers),
  };
}

function publicUrlOf(url: URL, publicBaseUrl: URL | undefined): URL {
  if (!publicBaseUrl) return url;
  const basePath = publicBaseUrl.pathname.replace(/\/+$/, "");
  return new URL(`${publicBaseUrl.origin}${basePath}${url.pathname}${url.search}`);
}

async function readJson(http: HttpRequest, limitBytes: number): Promise<unknown> {
  const declaredLength = Number(http.headers.get("content-length") ?? "0");
  if (declaredLength > limitBytes) throw ErrorFactory.requestTooLarge(limitBytes);
  const contentType = http.headers.get("content-type");
  if (contentType && !/^(application\/([\w.+-]*\+)?json|text\/json)\s*(;|$)/i.test(contentType.trim())) {
    throw ErrorFactory.unsupportedMediaType(contentType.slice(0, 100));
  }
  const text = await http.text();
  if (Buffer.byteLength(text, "utf8") > limitBytes) throw ErrorFactory.requestTooLarge(limitBytes);
  if (text.trim() === "") throw ErrorFactory.invalidRequestContent("The request body is empty; a JSON object is required.");
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof SyntaxError ? withoutExcerpt(error.message) : "the body could not be read";
    throw ErrorFactory.invalidRequestContent(`The request body is not valid JSON: ${reason.slice(0, 200)}`);
  }
}

/**
 * V8 quotes the body around an unexpected token (`Unexpected token 'x', ..."ockerKey":x"238810-6"...
 * is not valid JSON`); the body may hold a BitLocker key or another secret, so the quote is dropped.
 */
function withoutExcerpt(message: string): string {
  return message.replace(/,\s*(\.\.\.)?".*"(\.\.\.)?\s*is not valid JSON\s*$/s, "");
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, code: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.slice(0, 20).map((issue) => toDetail(issue, code));
  if (code === "InvalidResourceName" || code === "InvalidQueryParameterValue") {
    const [first] = details;
    throw new ServiceError(400, first.code, first.message, first.target, details.length > 1 ? details : undefined);
  }
  throw ErrorFactory.validation(details);
}

function toDetail(issue: z.core.$ZodIssue, code: string): ErrorDetail {
  const target = formatPath(issue.path);
  const missing = issue.code === "invalid_type" && /received undefined/.test(issue.message);
  const detailCode = missing ? "MissingRequiredProperty" : code === "InvalidResourceName" ? nameErrorCode(target) : code === "InvalidRequestContent" ? "InvalidPropertyValue" : code;
  const message = missing ? `'${target}' is required.` : `'${target}' ${issue.message.replace(/^Invalid input: /, "is invalid: ")}`;
  return { code: detailCode, target, message };
}

function nameErrorCode(target: string): string {
  if (target === "subscriptionId") return "InvalidSubscriptionId";
  if (target === "resourceGroupName") return "InvalidResourceGroupName";
  return "InvalidResourceName";
}

/** `properties.driveList[0].driveId`, as ARM names a property in an error's target. */
function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return "body";
  return path.reduce<string>((acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), "");
}
