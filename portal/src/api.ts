/**
 * The pages' one way to the service: the same API, with the bearer token the user gave (kept in
 * localStorage; dev mode's `dev` and `dev-operator` until changed). Failures become `ApiError`s that
 * carry the API's own code, message and per-field details, which the pages show as they are.
 */
export const API_VERSION = "2021-01-01";

export type Audience = "customer" | "operator";

const DEFAULT_TOKENS: Record<Audience, string> = { customer: "dev", operator: "dev-operator" };
const TOKEN_KEY = (audience: Audience) => `importExportPortal.token.${audience}`;
/** The tokens set in this page, for when localStorage is unavailable. */
const memoryTokens: Partial<Record<Audience, string>> = {};

export function tokenFor(audience: Audience): string {
  try {
    return localStorage.getItem(TOKEN_KEY(audience)) ?? DEFAULT_TOKENS[audience];
  } catch {
    return DEFAULT_TOKENS[audience];
  }
}

export function setToken(audience: Audience, token: string): void {
  try {
    localStorage.setItem(TOKEN_KEY(audience), token.trim());
  } catch {
    // storage disabled: the token lasts until the page is left
  }
  memoryTokens[audience] = token.trim();
}

export interface ErrorDetail {
  code: string;
  target?: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly target?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface JobKey {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

const segment = encodeURIComponent;

export function armJobPath(key: JobKey): string {
  return `/subscriptions/${segment(key.subscriptionId)}/resourceGroups/${segment(key.resourceGroup)}/providers/Microsoft.ImportExport/jobs/${segment(key.name)}`;
}

export function operatorJobPath(key: JobKey): string {
  return `/operator/subscriptions/${segment(key.subscriptionId)}/resourceGroups/${segment(key.resourceGroup)}/jobs/${segment(key.name)}`;
}

/** The customer page of a job. */
export function jobPagePath(key: JobKey): string {
  return `/portal/jobs/${segment(key.subscriptionId)}/${segment(key.resourceGroup)}/${segment(key.name)}`;
}

/** The operator console opened on a job. */
export function operatorPagePath(key: JobKey): string {
  return `/portal/operator/jobs/${segment(key.subscriptionId)}/${segment(key.resourceGroup)}/${segment(key.name)}`;
}

export function timelinePath(key: JobKey): string {
  return `/portal/api/subscriptions/${segment(key.subscriptionId)}/resourceGroups/${segment(key.resourceGroup)}/jobs/${segment(key.name)}/timeline`;
}

/** `…/jobs/{name}` → the job's key (as the ARM id and the list results name it). */
export function jobKeyFromId(id: string): JobKey {
  const parts = id.split("/");
  const at = (name: string) => decodeURIComponent(parts[parts.findIndex((part) => part.toLowerCase() === name) + 1] ?? "");
  return { subscriptionId: at("subscriptions"), resourceGroup: at("resourcegroups"), name: at("jobs") };
}

/** Adds `api-version` to an ARM path (the portal's and the operator's own paths take none). */
export function withApiVersion(path: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}api-version=${API_VERSION}`;
}

export async function api<T>(audience: Audience, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${memoryTokens[audience] ?? tokenFor(audience)}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, "NetworkError", `The service could not be reached (${error instanceof Error ? error.message : String(error)}). Is it running?`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the status line says what happened
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: ErrorDetail[]; target?: string } } | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `Http${response.status}`,
      error?.message ?? `The service answered ${response.status} ${response.statusText}.`,
      error?.details ?? [],
      error?.target,
    );
  }
  return parsed as T;
}

/** A nextLink from the service, as a same-origin path (the list links point back at this app). */
export function samePath(link: string): string {
  const url = new URL(link, location.href);
  return `${url.pathname}${url.search}`;
}
