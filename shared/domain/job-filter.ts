/**
 * The job-list filter as a small tree, independent of OData text and of Table Storage syntax:
 * `shared/service/api/odata-filter.ts` parses `$filter` into it, the jobs store translates it into a
 * server-side table query. A list reads one scope: a subscription, or one of its resource groups.
 */
import { JobState } from "./job-state-machine";
import { JobType } from "./job";

export interface JobScope {
  subscriptionId: string;
  resourceGroup?: string;
}

/** Where a list resumes: after the job with these table keys, or at a table continuation token. */
export type JobsContinuation = { after: { partitionKey: string; rowKey: string } } | { tableToken: string };

/** How big a page of a list may be: at most `top` jobs, and no more than `maxBytes` of them (see the jobs store's `query`). */
export interface PageLimits {
  top: number;
  maxBytes: number;
}

export type JobFilter =
  | { kind: "and" | "or"; left: JobFilter; right: JobFilter }
  | { kind: "state"; op: "eq" | "ne"; value: JobState }
  | { kind: "jobType"; op: "eq" | "ne"; value: JobType }
  | { kind: "createdAt"; op: "gt" | "ge" | "lt" | "le"; value: Date };
