/**
 * The one route table. `functions/` registers each entry with `app.http`, and the local host serves
 * the same entries, so the two can never drift. Routes are ARM paths at the root (host.json sets an
 * empty route prefix).
 */
import type { HttpHandler, HttpMethod } from "@azure/functions";
import { ErrorFactory } from "../domain/errors";
import { armHandler } from "./arm-http";
import * as jobs from "./handlers/jobs.handlers";
import * as operator from "./handlers/operator.handlers";
import * as provider from "./handlers/provider.handlers";
import { compileTemplate } from "./route-template";

export interface RouteDefinition {
  /** The function name, as the ARM operation id with '_' (function names allow no '.'). */
  name: string;
  methods: HttpMethod[];
  route: string;
  handler: HttpHandler;
}

const PROVIDER = "providers/Microsoft.ImportExport";
const RESOURCE_GROUP = "subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}";
const JOB = `${RESOURCE_GROUP}/${PROVIDER}/jobs/{jobName}`;
const OPERATOR_JOB = "operator/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/jobs/{jobName}";

export const ALL_METHODS: HttpMethod[] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

export const apiRoutes: RouteDefinition[] = [
  { name: "Operations_List", methods: ["GET"], route: `${PROVIDER}/operations`, handler: provider.listOperations },
  { name: "Locations_List", methods: ["GET"], route: `${PROVIDER}/locations`, handler: provider.listLocations },
  { name: "Locations_Get", methods: ["GET"], route: `${PROVIDER}/locations/{locationName}`, handler: provider.getLocation },
  { name: "Jobs_ListBySubscription", methods: ["GET"], route: `subscriptions/{subscriptionId}/${PROVIDER}/jobs`, handler: jobs.listJobsBySubscription },
  { name: "Jobs_ListByResourceGroup", methods: ["GET"], route: `${RESOURCE_GROUP}/${PROVIDER}/jobs`, handler: jobs.listJobsByResourceGroup },
  { name: "Jobs_Get", methods: ["GET"], route: JOB, handler: jobs.getJob },
  { name: "Jobs_Create", methods: ["PUT"], route: JOB, handler: jobs.createJob },
  { name: "Jobs_Update", methods: ["PATCH"], route: JOB, handler: jobs.updateJob },
  { name: "Jobs_Delete", methods: ["DELETE"], route: JOB, handler: jobs.deleteJob },
  { name: "BitLockerKeys_List", methods: ["POST"], route: `${JOB}/listBitLockerKeys`, handler: jobs.listBitLockerKeys },
  // The data center's own surface, outside ARM's paths.
  { name: "Operator_ListJobs", methods: ["GET"], route: "operator/jobs", handler: operator.listOperatorJobs },
  { name: "Operator_GetJob", methods: ["GET"], route: OPERATOR_JOB, handler: operator.getOperatorJob },
  { name: "Operator_PostJobEvent", methods: ["POST"], route: `${OPERATOR_JOB}/events`, handler: operator.postJobEvent },
  { name: "Operator_GetJobHistory", methods: ["GET"], route: `${OPERATOR_JOB}/history`, handler: operator.getJobHistory },
  { name: "Operator_ListArrivals", methods: ["GET"], route: "operator/arrivals", handler: operator.listArrivals },
  { name: "Operator_RecordArrival", methods: ["POST"], route: "operator/arrivals", handler: operator.recordArrival },
  { name: "Operator_AttachArrival", methods: ["POST"], route: "operator/arrivals/{arrivalId}/attach", handler: operator.attachArrival },
];

const compiledApiRoutes = apiRoutes.map((route) => ({ route, template: compileTemplate(route.route) }));

/**
 * Everything no other route serves: a 405 naming the allowed methods when the path is known, else a
 * 404, both in the ARM error shape (the Functions host would otherwise answer with an empty 404).
 */
const unmatched = armHandler(
  async (request) => {
    const path = request.url.pathname;
    const allowed = compiledApiRoutes.filter(({ template }) => template.match(path)).flatMap(({ route }) => route.methods);
    if (allowed.length > 0) throw ErrorFactory.methodNotAllowed(request.http.method, allowed);
    throw ErrorFactory.routeNotFound(path);
  },
  { apiVersion: false },
);

export const routes: RouteDefinition[] = [
  ...apiRoutes,
  { name: "Unmatched", methods: ALL_METHODS, route: "{*path}", handler: unmatched },
];
