/**
 * Optimistic concurrency for read-modify-write: a write that lost its ETag race is retried with a
 * fresh read a few times, then reported as a 409, so a concurrent writer is never overwritten.
 * A client's If-Match is evaluated inside the attempt, on its fresh read, so a retry never writes
 * over a change the client did not see: that attempt throws 412 instead.
 */
import { ErrorFactory } from "../domain/errors";
import { ConcurrencyError } from "../storage/storage-errors";

const MAX_ATTEMPTS = 4;

export async function withConcurrencyRetries<T>(attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt(tries);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
      if (tries >= MAX_ATTEMPTS) throw ErrorFactory.concurrencyConflict();
      // Jittered back-off, so racing writers don't collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, 10 * tries + Math.random() * 20));
    }
  }
}
