/**
 * What every storage call shares, in one place: the clients built in clients.ts carry this policy
 * in their own pipelines (tables as a core-rest-pipeline policy; blobs and queues, whose libraries
 * take policies as factories, as one), so no adapter handles it per call. Each call, retries
 * included:
 *   - gets one deadline (`STORAGE_TIMEOUT_MS`), so a hung account ends a call instead of a request;
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

async function guarded<T>(timeoutMs: number, request: { abortSignal?: AbortSignal }, send: () => Promise<T>): Promise<T> {
  calls++;
  const deadline = AbortSignal.timeout(timeoutMs);
  request.abortSignal = request.abortSignal ? AbortSignal.any([request.abortSignal, deadline]) : deadline;
  try {
    return await send();
  } catch (error) {
    throw translateStorageError(error);
  }
}

/** For the table clients (core-rest-pipeline). */
export function storageCallPolicy(timeoutMs: number): PipelinePolicy {
  return { name: "storageCallPolicy", sendRequest: (request, next) => guarded(timeoutMs, request as { abortSignal?: AbortSignal }, () => next(request)) };
}

/** The same, as the Blob and Queue libraries take a policy: a factory in their `Pipeline`. */
export function storageCallPolicyFactory(timeoutMs: number): RequestPolicyFactory {
  return {
    create: (next) => ({
      sendRequest: (resource) => guarded(timeoutMs, resource as { abortSignal?: AbortSignal }, () => next.sendRequest(resource)),
    }),
  };
}
