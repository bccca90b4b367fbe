/**
 * Translates Storage SDK failures at the adapter boundary, so the domain never sees a `RestError`:
 * a lost ETag race becomes `ConcurrencyError` (the caller retries its read-modify-write), an
 * unreachable account becomes a 503 with Retry-After.
 */
import { ErrorFactory, ServiceError } from "../domain/errors";

/** Another writer changed or created the entity first. */
export class ConcurrencyError extends Error {
  constructor() {
    super("The entity was changed by another writer.");
    this.name = "ConcurrencyError";
  }
}

interface StorageFailure {
  statusCode?: number;
  code?: string;
  name?: string;
}

export function statusOf(error: unknown): number | undefined {
  return (error as StorageFailure | undefined)?.statusCode;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** Whether a translated failure means the storage could not be reached: worth trying again soon, no fault of the entity. */
export function isStorageUnavailable(error: unknown): boolean {
  return error instanceof ServiceError && error.status === 503;
}

/** Maps an SDK error to the service's own; returns the original error when it is not a storage error. */
export function translateStorageError(error: unknown): unknown {
  if (error instanceof ServiceError || error instanceof ConcurrencyError) return error;
  const failure = error as StorageFailure | undefined;
  const status = failure?.statusCode;
  if (status === 412) return new ConcurrencyError();
  // A RestError without a status never reached the service (refused, reset, timed out).
  const unreachable = status === undefined && failure?.name === "RestError";
  const timedOut = failure?.name === "AbortError" || failure?.name === "TimeoutError";
  if (unreachable || timedOut || status === 503 || status === 500 || status === 408) {
    // The answer says only "unavailable"; the log says why (arm-http.ts logs the cause).
    const unavailable = ErrorFactory.storageUnavailable();
    unavailable.cause = error;
    return unavailable;
  }
  return error;
}
