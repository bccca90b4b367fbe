/**
 * Handlers of the job operations. Each parses its request, calls one job operation and builds the
 * response; the rules live in the domain and the failures are mapped in `arm-http.ts`.
 */
import { z } from "zod";
import { ErrorFactory } from "../../domain/errors";
import { JobKey } from "../../domain/job";
import { JobScope } from "../../domain/job-filter";
import type { VersionedJob } from "../../jobs/job-service";
import { armHandler, ArmRequest, ArmResult } from "../arm-http";
import { parseJobFilter } from "../odata-filter";
import { PageResponse, toJobResponse } from "../responses";
import { jobParams, listQuery, patchJobBody, putJobBody, resourceGroupParams, subscriptionParams, toJobDefinition, toJobUpdate } from "../schemas";

export function jobKeyOf(request: ArmRequest): JobKey {
  const params = request.params(jobParams);
  return { subscriptionId: params.subscriptionId, resourceGroup: params.resourceGroupName, name: params.jobName };
}

export const createJob = armHandler(async (request) => {
  const key = jobKeyOf(request);
  const preconditions = request.preconditions();
  const definition = toJobDefinition(await request.body(putJobBody));
  const result = await request.services.jobs.createOrUpdate(key, definition, request.actor, request.tenantId, preconditions, request.bearerToken);
  return singleJob(request, result.created ? 201 : 200, result);
});

export const getJob = armHandler(async (request) => {
  return singleJob(request, 200, await request.services.jobs.get(jobKeyOf(request), request.tenantId));
});

export const updateJob = armHandler(async (request) => {
  const key = jobKeyOf(request);
  const preconditions = request.preconditions();
  const update = toJobUpdate(await request.body(patchJobBody));
  return singleJob(request, 200, await request.services.jobs.update(key, update, request.actor, request.tenantId, preconditions, request.bearerToken));
});

export const deleteJob = armHandler(async (request) => {
  await request.services.jobs.delete(jobKeyOf(request), request.tenantId, request.preconditions());
  return { status: 200 };
});

/** One job's response: its ETag in the body's `etag` and in the `ETag` header. */
async function singleJob(request: ArmRequest, status: number, { job, etag }: VersionedJob): Promise<ArmResult> {
  return { status, body: toJobResponse(job, etag, await request.services.blobUrls([job])), headers: { ETag: etag } };
}

export const listBitLockerKeys = armHandler(async (request) => {
  const keys = await request.services.jobs.bitLockerKeys(jobKeyOf(request), request.tenantId);
  return { status: 200, body: { value: keys } };
});

export const listJobsBySubscription = armHandler(async (request) => {
  const { subscriptionId } = request.params(subscriptionParams);
  return listJobs(request, { subscriptionId });
});

export const listJobsByResourceGroup = armHandler(async (request) => {
  const { subscriptionId, resourceGroupName } = request.params(resourceGroupParams);
  return listJobs(request, { subscriptionId, resourceGroup: resourceGroupName });
});

async function listJobs(request: ArmRequest, scope: JobScope) {
  const query = request.query(listQuery);
  const filter = query.$filter !== undefined ? parseJobFilter(query.$filter) : undefined;
  const continuationToken = query.$skiptoken !== undefined ? checkSkipToken(query.$skiptoken) : undefined;
  const page = await request.services.jobs.list(scope, filter, query.$top ?? 100, continuationToken, request.tenantId);
  const sign = await request.services.blobUrls(page.jobs.map(({ job }) => job));
  return { status: 200, body: pageBody(page.jobs.map(({ job, etag }) => toJobResponse(job, etag, sign)), request.publicUrl, page.continuationToken) };
}

/** A list response: the items, and a `nextLink` when the table has more. */
export function pageBody<T>(value: T[], url: URL, continuationToken?: string): PageResponse<T> {
  return continuationToken ? { value, nextLink: nextLinkOf(url, continuationToken) } : { value };
}

/** The next page's URL: the same query, with the table's continuation token as `$skiptoken`. */
function nextLinkOf(url: URL, continuationToken: string): string {
  const next = new URL(url.toString());
  next.searchParams.set("$skiptoken", continuationToken);
  // URLSearchParams writes '$' as %24; ARM's own nextLinks keep the OData '$' readable.
  return next.toString().replace(/%24/g, "$");
}

// The table SDK's continuation token: base64 of {"nextPartitionKey": …, "nextRowKey": …}.
// Keys are well-formed UTF-16 (a lone surrogate cannot be put in the table request's URL).
const tableKey = z.string().max(1024).refine((key) => !/[\uD800-\uDFFF]/u.test(key));
const tableContinuation = z.object({ nextPartitionKey: tableKey, nextRowKey: tableKey.optional() });

export function checkSkipToken(token: string): string {
  try {
    const decoded = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
    if (tableContinuation.safeParse(decoded).success) return token;
  } catch {
    // fall through to the 400 below
  }
  throw ErrorFactory.invalidParameter("InvalidSkipToken", "$skiptoken", "The $skiptoken is not one this service issued. Follow the nextLink of the previous page as it is.");
}
