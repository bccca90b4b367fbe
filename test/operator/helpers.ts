/**
 * Helpers of the operator-API tests: events, the operator's view of a job and its history, the
 * customer's Get Job, marking a job Shipping, and listing every page of the cross-subscription
 * operator lists (other suites write to the same tables, so a list is read to the end).
 */
import { ApiResponse, DELIVERY_PACKAGE, RETURN_ADDRESS, TestService } from "../support/service";
import { api, jobUrl } from "../api/helpers";

// Responses are checked field by field, so their bodies are loosely typed here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

export interface JobRef {
  sub: string;
  rg: string;
  name: string;
}

export function operatorJobPath(job: JobRef, suffix = ""): string {
  return `/operator/subscriptions/${job.sub}/resourceGroups/${job.rg}/jobs/${job.name}${suffix}`;
}

/** Posts one operator event and returns the raw response (any status). */
export function postEvent(service: TestService, job: JobRef, event: Record<string, unknown>): Promise<ApiResponse> {
  return api(service, "POST", operatorJobPath(job, "/events"), event);
}

/** Posts one operator event that must be accepted with 200; returns the operator job shape. */
export async function event(service: TestService, job: JobRef, body: Record<string, unknown>): Promise<Body> {
  const response = await postEvent(service, job, body);
  if (response.status !== 200) throw new Error(`${String(body.type)} on ${job.name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The customer's Get Job (200). */
export async function getJob(service: TestService, job: JobRef): Promise<Body> {
  const response = await api(service, "GET", jobUrl(job.sub, job.rg, job.name));
  if (response.status !== 200) throw new Error(`get ${job.name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The operator's view of a job (200). */
export async function getOperatorJob(service: TestService, job: JobRef): Promise<Body> {
  const response = await api(service, "GET", operatorJobPath(job));
  if (response.status !== 200) throw new Error(`operator get ${job.name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export interface HistoryEntry {
  at: string;
  driveId?: string;
  from: string | null;
  to: string;
  by: string;
  role: string;
  reason: string;
}

export async function getHistory(service: TestService, job: JobRef): Promise<HistoryEntry[]> {
  const response = await api(service, "GET", operatorJobPath(job, "/history"));
  if (response.status !== 200) throw new Error(`history ${job.name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.value;
}

/** The job's own changes (no drive), as [from, to, role] triples. */
export function jobChanges(history: HistoryEntry[]): [string | null, string, string][] {
  return history.filter((entry) => entry.driveId === undefined).map((entry) => [entry.from, entry.to, entry.role]);
}

/** One drive's changes, as [from, to, role] triples. */
export function driveChanges(history: HistoryEntry[], driveId: string): [string | null, string, string][] {
  return history.filter((entry) => entry.driveId === driveId).map((entry) => [entry.from, entry.to, entry.role]);
}

/** PATCH (customer) with the shipping information and state Shipping; returns the response body. */
export async function markShipping(service: TestService, job: JobRef): Promise<Body> {
  const response = await api(service, "PATCH", jobUrl(job.sub, job.rg, job.name), {
    properties: { deliveryPackage: DELIVERY_PACKAGE, returnAddress: RETURN_ADDRESS, state: "Shipping" },
  });
  if (response.status !== 200) throw new Error(`mark shipping ${job.name}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function patchJob(service: TestService, job: JobRef, body: unknown): Promise<ApiResponse> {
  return api(service, "PATCH", jobUrl(job.sub, job.rg, job.name), body);
}

/** Every item of a paged operator list, following `nextLink` to the end. */
export async function listAll(service: TestService, path: string): Promise<Body[]> {
  const items: Body[] = [];
  let next: string | undefined = path;
  for (let pages = 0; next; pages++) {
    if (pages > 200) throw new Error(`${path}: too many pages`);
    const response: ApiResponse = await api(service, "GET", next);
    if (response.status !== 200) throw new Error(`GET ${next}: ${response.status} ${JSON.stringify(response.body)}`);
    items.push(...response.body.value);
    if (response.body.nextLink) {
      const url = new URL(response.body.nextLink);
      next = `${url.pathname}${url.search}`;
    } else {
      next = undefined;
    }
  }
  return items;
}

/** The names of the jobs of one subscription in an operator job list. */
export function namesIn(jobs: Body[], sub: string): string[] {
  return jobs.filter((job) => (job.id as string).startsWith(`/subscriptions/${sub}/`)).map((job) => job.name as string).sort();
}

export const PACKAGE = { carrierName: "FedEx", trackingNumber: "IN-0001" };
export const RETURN = { carrierName: "UPS", trackingNumber: "1Z-RETURN-1", driveCount: 2, shipDate: "2026-12-01" };

/** Drive ids of a Get Job response with their states, e.g. { DRIVE01: "Received" }. */
export function driveStates(job: Body): Record<string, string> {
  return Object.fromEntries((job.properties.driveList as Body[]).map((drive) => [drive.driveId, drive.state]));
}

export function driveOf(job: Body, driveId: string): Body {
  const drive = (job.properties.driveList as Body[]).find((candidate) => candidate.driveId === driveId);
  if (!drive) throw new Error(`no drive ${driveId} in ${JSON.stringify(job.properties.driveList)}`);
  return drive;
}

/** Takes a job from Shipping through a full copy of the given drives to Packaging. */
export async function transferAll(service: TestService, job: JobRef, driveIds: string[]): Promise<Body> {
  let last: Body = undefined;
  for (const driveId of driveIds) last = await event(service, job, { type: "TransferStarted", driveId });
  for (const driveId of driveIds) last = await event(service, job, { type: "TransferFinished", driveId, outcome: "Completed" });
  return last;
}

/** Fetches a blob URL with plain fetch; returns status and text. */
export async function fetchText(url: string): Promise<{ status: number; text: string; contentType: string | null }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text(), contentType: response.headers.get("content-type") };
}

/** The same URL with one character of its `sig` changed. */
export function tamperedSignature(url: string): string {
  const parsed = new URL(url);
  const sig = parsed.searchParams.get("sig");
  if (!sig) throw new Error(`no sig in ${url}`);
  const changed = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
  parsed.searchParams.set("sig", changed);
  return parsed.toString();
}
