/**
 * The one route table. `functions/` registers each entry with `app.http`, and the local host serves
 * the same entries, so the two can never drift. Routes are ARM paths at the root (host.json sets an
 * empty route prefix).
 *
 * Handlers are loaded on their first request: registering every function then costs only this
 * table, so the app's cold start stays close to a bare Functions app's (see `npm run bench`).
 */
import type { HttpHandler, HttpMethod, HttpRequest, InvocationContext } from "@azure/functions";
import type { RouteHandler } from "./arm-http";

export interface RouteDefinition {
  /** The function name, as the ARM operation id with '_' (function names allow no '.'). */
  name: string;
  methods: HttpMethod[];
  route: string;
  /** Given the services by the host that registers the route. */
  handler: RouteHandler;
  /**
   * The Functions host's own gate in Azure. API routes need a function key as well as a token (a
   * second gate in front of the app's JWT check); the portal's static pages and the 404/405 catch-all
   * are anonymous, since a browser opening the page has no key. The local host, like `func start`,
   * doesn't check keys.
   */
  authLevel?: "anonymous" | "function";
}

/** A handler whose module is required on its first request and then reused. */
function lazy<M>(load: () => M, pick: (module: M) => RouteHandler): RouteHandler {
  return (services) => {
    let handler: HttpHandler | undefined;
    return (request: HttpRequest, context: InvocationContext) => {
      handler ??= pick(load())(services);
      return handler(request, context);
    };
  };
}

/**
 * The handler with its invocation's record, logger and span (request-telemetry.ts), that module
 * loaded with the first request, as the handlers are.
 */
function observed(route: RouteDefinition): RouteHandler {
  return (services) => {
    let handler: HttpHandler | undefined;
    return (request: HttpRequest, context: InvocationContext) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred loading is the point here
      handler ??= (require("./request-telemetry") as typeof import("./request-telemetry")).withRequestTelemetry(route, route.handler(services));
      return handler(request, context);
    };
  };
}

/* eslint-disable @typescript-eslint/no-require-imports -- deferred loading is the point here */
const jobs = () => require("./handlers/jobs.handlers") as typeof import("./handlers/jobs.handlers");
const operator = () => require("./handlers/operator.handlers") as typeof import("./handlers/operator.handlers");
const provider = () => require("./handlers/provider.handlers") as typeof import("./handlers/provider.handlers");
const subscriptions = () => require("./handlers/subscriptions.handler") as typeof import("./handlers/subscriptions.handler");
const unmatched = () => require("./handlers/unmatched.handler") as typeof import("./handlers/unmatched.handler");
const portal = () => require("./handlers/portal.handlers") as typeof import("./handlers/portal.handlers");
const openApi = () => require("./handlers/openapi.handler") as typeof import("./handlers/openapi.handler");
/* eslint-enable @typescript-eslint/no-require-imports */

const PROVIDER = "providers/Microsoft.ImportExport";
const RESOURCE_GROUP = "subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}";
const JOB = `${RESOURCE_GROUP}/${PROVIDER}/jobs/{jobName}`;
const OPERATOR_JOB = "operator/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/jobs/{jobName}";

const ALL_METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

const apiRoutes: RouteDefinition[] = [
  { name: "Operations_List", methods: ["GET"], route: `${PROVIDER}/operations`, handler: lazy(provider, (m) => m.listOperations) },
  { name: "Locations_List", methods: ["GET"], route: `${PROVIDER}/locations`, handler: lazy(provider, (m) => m.listLocations) },
  { name: "Locations_Get", methods: ["GET"], route: `${PROVIDER}/locations/{locationName}`, handler: lazy(provider, (m) => m.getLocation) },
  { name: "Jobs_ListBySubscription", methods: ["GET"], route: `subscriptions/{subscriptionId}/${PROVIDER}/jobs`, handler: lazy(jobs, (m) => m.listJobsBySubscription) },
  { name: "Jobs_ListByResourceGroup", methods: ["GET"], route: `${RESOURCE_GROUP}/${PROVIDER}/jobs`, handler: lazy(jobs, (m) => m.listJobsByResourceGroup) },
  { name: "Jobs_Get", methods: ["GET"], route: JOB, handler: lazy(jobs, (m) => m.getJob) },
  { name: "Jobs_Create", methods: ["PUT"], route: JOB, handler: lazy(jobs, (m) => m.createJob) },
  { name: "Jobs_Update", methods: ["PATCH"], route: JOB, handler: lazy(jobs, (m) => m.updateJob) },
  { name: "Jobs_Delete", methods: ["DELETE"], route: JOB, handler: lazy(jobs, (m) => m.deleteJob) },
  // ARM's subscription lifecycle notification (api-version 2.0): which tenant a subscription is, and its state.
  { name: "Subscriptions_LifecycleNotification", methods: ["PUT"], route: "subscriptions/{subscriptionId}", handler: lazy(subscriptions, (m) => m.subscriptionNotification) },
  { name: "BitLockerKeys_List", methods: ["POST"], route: `${JOB}/listBitLockerKeys`, handler: lazy(jobs, (m) => m.listBitLockerKeys) },
  // The data center's own surface, outside ARM's paths.
  { name: "Operator_ListJobs", methods: ["GET"], route: "operator/jobs", handler: lazy(operator, (m) => m.listOperatorJobs) },
  { name: "Operator_GetJob", methods: ["GET"], route: OPERATOR_JOB, handler: lazy(operator, (m) => m.getOperatorJob) },
  { name: "Operator_PostJobEvent", methods: ["POST"], route: `${OPERATOR_JOB}/events`, handler: lazy(operator, (m) => m.postJobEvent) },
  { name: "Operator_GetDriveKey", methods: ["POST"], route: `${OPERATOR_JOB}/drives/{driveId}/bitLockerKey`, handler: lazy(operator, (m) => m.getDriveKey) },
  { name: "Operator_CheckLinkedAccess", methods: ["GET"], route: `${OPERATOR_JOB}/linkedAccess`, handler: lazy(operator, (m) => m.checkLinkedAccess) },
  { name: "Operator_ClaimDrive", methods: ["POST"], route: `${OPERATOR_JOB}/drives/{driveId}/claim`, handler: lazy(operator, (m) => m.claimDrive) },
  { name: "Operator_BreakDriveClaim", methods: ["DELETE"], route: `${OPERATOR_JOB}/drives/{driveId}/claim`, handler: lazy(operator, (m) => m.breakDriveClaim) },
  { name: "Operator_GetJobHistory", methods: ["GET"], route: `${OPERATOR_JOB}/history`, handler: lazy(operator, (m) => m.getJobHistory) },
  { name: "Operator_ListArrivals", methods: ["GET"], route: "operator/arrivals", handler: lazy(operator, (m) => m.listArrivals) },
  { name: "Operator_RecordArrival", methods: ["POST"], route: "operator/arrivals", handler: lazy(operator, (m) => m.recordArrival) },
  { name: "Operator_AttachArrival", methods: ["POST"], route: "operator/arrivals/{arrivalId}/attach", handler: lazy(operator, (m) => m.attachArrival) },
  // The OpenAPI 3.1 document of the operator and portal endpoints, generated from this table and the zod schemas.
  { name: "Operator_OpenApi", methods: ["GET"], route: "operator/openapi.json", handler: lazy(openApi, (m) => m.openApiDocumentHandler(routes)) },
  { name: "Operator_PostArrivalEvent", methods: ["POST"], route: "operator/arrivals/{arrivalId}/events", handler: lazy(operator, (m) => m.postArrivalEvent) },
];

/**
 * The portal (customer status page, operator console): static pages with no authentication of their
 * own (they call the API with the user's token), and the one customer operation of the portal's own.
 */
const portalRoutes: RouteDefinition[] = [
  { name: "Portal_JobTimeline", methods: ["GET"], route: "portal/api/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/jobs/{jobName}/timeline", handler: lazy(portal, (m) => m.getJobTimeline) },
  { name: "Portal_Root", methods: ["GET"], route: "portal", handler: lazy(portal, (m) => m.portalAssets), authLevel: "anonymous" },
  { name: "Portal_Assets", methods: ["GET"], route: "portal/{*path}", handler: lazy(portal, (m) => m.portalAssets), authLevel: "anonymous" },
];

/** Every route as served: each invocation logs its record and, with OpenTelemetry on, is a span (request-telemetry.ts). */
export const routes: RouteDefinition[] = (
  [
    ...apiRoutes,
    ...portalRoutes,
    // Everything no other route serves: a 404 or 405 in the ARM error shape.
    { name: "Unmatched", methods: ALL_METHODS, route: "{*path}", handler: lazy(unmatched, (m) => m.unmatchedHandler([...apiRoutes, ...portalRoutes])), authLevel: "anonymous" },
  ] satisfies RouteDefinition[]
).map((route) => ({ ...route, handler: observed(route) }));
