/**
 * Helpers of the security tests: a fetch that keeps the raw response text (to search it for
 * secrets) and can leave the Authorization header out entirely, and the secret searches themselves.
 */
import { DEV_TOKENS } from "../../shared/auth/authenticator";
import { ApiResponse, TestService } from "../support/service";

// Responses are checked field by field, so their bodies are loosely typed here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = any;

export interface RawResponse extends ApiResponse {
  /** The body exactly as it came over the wire. */
  text: string;
  /** Every header, as one "name: value" line each, for searching. */
  headerText: string;
}

export interface SendOptions {
  /**
   * The whole Authorization header value; `null` sends none. By default the dev tokens, as `call`
   * does: an operator's for /operator and /admin, else a customer's.
   */
  authorization?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function send(service: TestService, method: string, path: string, options: SendOptions = {}): Promise<RawResponse> {
  const defaultToken = /^\/(operator|admin)\//i.test(path) ? DEV_TOKENS.operator : DEV_TOKENS.customer;
  const authorization = options.authorization === undefined ? `Bearer ${defaultToken}` : options.authorization;
  const headers: Record<string, string> = { ...options.headers };
  if (authorization !== null) headers.authorization = authorization;
  if (options.body !== undefined) headers["content-type"] ??= "application/json";
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body),
  });
  const text = await response.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  const headerLines: string[] = [];
  response.headers.forEach((value, name) => headerLines.push(`${name}: ${value}`));
  return { status: response.status, headers: response.headers, body, text, headerText: headerLines.join("\n") };
}

/** `Bearer <token>`. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/** Which of `secrets` occur in `text` (as given, or with the JSON escaping of '/' that some writers use). */
export function secretsIn(text: string, secrets: string[]): string[] {
  return secrets.filter((secret) => text.includes(secret) || text.includes(secret.replace(/\//g, "\\/")));
}

/** Fails with the label and the secrets found, so a leak names where it happened. */
export function expectNoSecrets(label: string, text: string, secrets: string[]): void {
  expect({ where: label, found: secretsIn(text, secrets) }).toEqual({ where: label, found: [] });
}

/**
 * The error body of a response with the request ids taken out, for comparing two errors. The
 * throttling header goes too: which one (reads or writes) follows the method, and its count every call.
 */
export function withoutRequestIds(response: RawResponse): { status: number; body: unknown; contentType: string | null; headerNames: string[] } {
  const headerNames: string[] = [];
  response.headers.forEach((_value, name) => {
    if (name.startsWith("x-ms-ratelimit-remaining-")) return;
    if (!["date", "x-ms-request-id", "x-ms-correlation-request-id", "connection", "keep-alive"].includes(name)) headerNames.push(name);
  });
  return { status: response.status, body: response.body, contentType: response.headers.get("content-type"), headerNames: headerNames.sort() };
}
