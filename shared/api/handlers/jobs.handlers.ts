/**
 * Handlers of the job operations. Each parses its request, calls one job operation and builds the
 * response; the rules live in the domain and the failures are mapped in `arm-http.ts`.
 */
import { z } from "zod";
import { ErrorFactory } from "../../domain/errors";
import { JobKey } from "../../domain/job";
import { JobScope, JobsContinuation, PageLimits } from "../../storage/jobs.store";
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

export const listJobsBySubscription = armHandler(
  async (request) => {
    const { subscriptionId } = request.params(subscriptionParams);
    return listJobs(request, { subscriptionId });
  },
  { list: true },
);

export const listJobsByResourceGroup = armHandler(
  async (request) => {
    const { subscriptionId, resourceGroupName } = request.params(resourceGroupParams);
    return listJobs(request, { subscriptionId, resourceGroup: resourceGroupName });
  },
  { list: true },
);

async function listJobs(request: ArmRequest, scope: JobScope) {
  const query = request.query(listQuery);
  const filter = query.$filter !== undefined ? parseJobFilter(query.$filter) : undefined;
  const from = query.$skiptoken !== undefined ? parseJobsSkipToken(query.$skiptoken) : undefined;
  const page = await request.services.jobs.list(scope, filter, pageLimits(request, query.$top), from, request.tenantId);
  const sign = await request.services.blobUrls(page.jobs.map(({ job }) => job));
  return { status: 200, body: pageBody(page.jobs.map(({ job, etag }) => toJobResponse(job, etag, sign)), request.publicUrl, page.next && jobsSkipToken(page.next)) };
}

/** A page of a job list: `$top` jobs (100 by default), within `LIST_PAGE_MAX_BYTES`. */
export function pageLimits(request: ArmRequest, top: number | undefined): PageLimits {
  return { top: top ?? 100, maxBytes: request.services.settings.listPageMaxBytes };
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
  if (tableContinuation.safeParse(decodeSkipToken(token)).success) return token;
  throw invalidSkipToken();
}

/**
 * A job list's `$skiptoken`: base64url of `{"afterPartitionKey", "afterRowKey"}`, the table keys of
 * the page's last job, which is what this service's nextLinks carry (a page cut by bytes ends inside
 * the table's page, where the table's own token can't point). The table's own token, which nextLinks
 * carried before, is still followed.
 */
const afterJob = z.object({ afterPartitionKey: tableKey, afterRowKey: tableKey });

export function parseJobsSkipToken(token: string): JobsContinuation {
  const decoded = decodeSkipToken(token);
  const after = afterJob.safeParse(decoded);
  if (after.success) return { after: { partitionKey: after.data.afterPartitionKey, rowKey: after.data.afterRowKey } };
  if (tableContinuation.safeParse(decoded).success) return { tableToken: token };
  throw invalidSkipToken();
}

export function jobsSkipToken(next: JobsContinuation): string {
  if ("tableToken" in next) return next.tableToken;
  return Buffer.from(JSON.stringify({ afterPartitionKey: next.after.partitionKey, afterRowKey: next.after.rowKey })).toString("base64url");
}

/** The token's JSON, or undefined when it is not base64 of JSON. */
function decodeSkipToken(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, "base64").toString("utf8"));
  } catch {
    return undefined; // not JSON: refused by the caller's shape check
  }
}

function invalidSkipToken() {
  return ErrorFactory.invalidParameter("InvalidSkipToken", "$skiptoken", "The $skiptoken is not one this service issued. Follow the nextLink of the previous page as it is.");
}
