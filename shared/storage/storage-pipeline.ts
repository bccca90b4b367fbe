/**
 * What every storage call shares, in one place: the clients built in clients.ts carry this policy
 * in their own pipelines (tables as a core-rest-pipeline policy; blobs and queues, whose libraries
 * take policies as factories, as one), so no adapter handles it per call. Each call, retries
 * included:
 *   - has a timeout (`STORAGE_TIMEOUT_MS`) on each try: a try that gets no answer in time ends the
 *     call (the retry policies retry refused and reset connections, never a timeout), so a hung
 *     account costs one timeout, not a hung request. It is the HTTP client's own per-try timer, not
 *     an abort signal: a signal per call cost about 15% of a point read's CPU (`npm run bench`);
 *   - is counted (the local host's `GET /admin/storage-requests`, which the benchmarks read);
 *   - has its failure translated into the service's errors (storage-errors.ts): a lost ETag race
 *     becomes `ConcurrencyError`, an unreachable or failing account a 503 with Retry-After.
 * The policy sits outside the retry and deserialization policies, so it sees the error the SDK
 * throws after its last retry. Statuses whose meaning depends on the call (404 "no such entity",
 * 409 "already exists") pass through untouched, for the adapter that made the call to interpret.
 */
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { RequestPolicyFactory } from "@azure/storage-blob";
import { translateStorageError } from "./storage-errors";

let calls = 0;

/** Storage calls this process has made, for the local host's admin endpoint and the benchmarks. */
export function storageCallCount(): number {
  return calls;
}

async function guarded<T>(timeoutMs: number, request: { timeout: number }, send: () => Promise<T>): Promise<T> {
  calls++;
  request.timeout = timeoutMs;
  try {
    return await send();
  } catch (error) {
    throw translateStorageError(error);
  }
}

/** For the table clients (core-rest-pipeline). */
export function storageCallPolicy(timeoutMs: number): PipelinePolicy {
  return { name: "storageCallPolicy", sendRequest: (request, next) => guarded(timeoutMs, request, () => next(request)) };
}

/** The same, as the Blob and Queue libraries take a policy: a factory in their `Pipeline`. */
export function storageCallPolicyFactory(timeoutMs: number): RequestPolicyFactory {
  return {
    create: (next) => ({
      sendRequest: (resource) => guarded(timeoutMs, resource, () => next.sendRequest(resource)),
    }),
  };
}
