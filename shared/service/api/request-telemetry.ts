/**
 * Every HTTP invocation, whatever its route, logs one record when its answer is ready: the operation
 * (the route's function name), method, path, status and duration, the subscription, resource group
 * and job the path names, the caller's tenant, and the `x-ms-request-id` and
 * `x-ms-correlation-request-id` it answered with. With OpenTelemetry on, the invocation is also a
 * server span with those attributes, the storage calls made under it its children.
 *
 * The route table wraps every handler with this (routes.ts), so the Functions host and the local
 * host serve it alike. The pipeline (arm-http.ts) adds what only it knows with `describeRequest`; a
 * record logged during the request (a failure's cause, a lost notification) carries the same fields.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { HttpHandler, HttpRequest, HttpResponse, HttpResponseInit, InvocationContext } from "@azure/functions";
import { invocationLogger, LogFields, runWithLogger } from "../../telemetry/log";
import { startServerSpan } from "../../telemetry/spans";

/** What the pipeline learns about a request, for its record and span. */
export interface RequestFacts {
  requestId?: string;
  correlationId?: string;
  /** The caller's tenant, once authenticated. */
  tenantId?: string;
}

const current = new AsyncLocalStorage<RequestFacts>();

/** Adds to the record of the request this code serves (and to the records logged after, within it). */
export function describeRequest(facts: RequestFacts): void {
  const request = current.getStore();
  if (request) Object.assign(request, facts);
}

/** `handler`, with its invocation's record, logger and span. */
export function withRequestTelemetry(route: { name: string; route: string }, handler: HttpHandler): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext) => {
    const started = process.hrtime.bigint();
    const url = new URL(request.url);
    const path = url.pathname;
    const named = namedBy(request.params);
    const facts: RequestFacts & LogFields = { operation: route.name, ...named, invocationId: context.invocationId };
    const log = invocationLogger(context).with(facts);
    const span = startServerSpan(`${request.method} /${route.route}`, context, () => ({
      "http.request.method": request.method,
      "http.route": `/${route.route}`,
      "url.full": `${url.origin}${path}`,
      "importexport.operation": route.name,
      "importexport.subscription_id": named.subscriptionId,
      "importexport.resource_group": named.resourceGroup,
      "importexport.job": named.job,
    }));
    let response: HttpResponseInit | HttpResponse | void = undefined;
    let failure: unknown = undefined;
    try {
      response = await runWithLogger(log, () => current.run(facts, () => span.run(() => handler(request, context))));
      return response;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const status = failure === undefined ? (response?.status ?? 200) : 500;
      const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
      log[status >= 500 ? "error" : "info"](`${request.method} ${path} ${status} ${durationMs}ms`, { event: "request", method: request.method, path, status, durationMs, error: failure });
      span.end(
        {
          "http.response.status_code": status,
          "importexport.tenant_id": facts.tenantId,
          "importexport.request_id": facts.requestId,
          "importexport.correlation_id": facts.correlationId,
        },
        status >= 500,
        failure,
      );
    }
  };
}

/** What the path names, by the route's parameter names, as the records name them. */
function namedBy(params: HttpRequest["params"]): { subscriptionId?: string; resourceGroup?: string; job?: string; driveId?: string; arrivalId?: string } {
  return { subscriptionId: params.subscriptionId, resourceGroup: params.resourceGroupName, job: params.jobName, driveId: params.driveId, arrivalId: params.arrivalId };
}
