/**
 * One range of a blob into a buffer the caller owns: the export's every read of the account.
 *
 * Not the SDK's `downloadToBuffer`: for a range that is one request, its batch, second tracing span
 * and stream plumbing cost CPU a drive of small blobs feels, since such a drive is bound by the
 * agent's CPU (docs/performance.md, "The small export's CPU"). What it did besides is kept: a body
 * broken off is asked for again from where it broke, on the same ETag (`maxRetryRequests`); a body
 * that stalls is given up; and a body of any other length is refused, never reported whole.
 */
import type { BlobClient, BlobRequestConditions } from "@azure/storage-blob";

/** A request whose body has not ended in this long is given up (the SDK's own limit for `downloadToBuffer`). */
export const RANGE_STALL_MS = 100_000;

/** How many times a body broken off mid-way is asked for again, from where it broke (on the same ETag). */
const BODY_RETRIES = 3;

/** `buffer.length` bytes of the blob from `offset` into `buffer`; a body shorter or longer is an error. */
export async function downloadRange(source: BlobClient, buffer: Buffer, offset: number, conditions: BlobRequestConditions | undefined, stallMs = RANGE_STALL_MS): Promise<void> {
  const response = await source.download(offset, buffer.length, { conditions, maxRetryRequests: BODY_RETRIES });
  const body = response.readableStreamBody;
  if (!body) throw new Error("the answer has no body");
  // A body that stops coming is given up, its socket freed. Before the answer, the service's own
  // limit (the pipeline's per-try `timeout`) bounds the wait. Not an abort signal for the request:
  // its listeners cost a small blob's read 0.05 ms, a tenth of what the timer guards.
  const stalled = setTimeout(() => body.destroy(new Error(`the answer stalled: not whole after ${stallMs / 1000} s`)), stallMs);
  try {
    let at = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (at + chunk.length > buffer.length) throw new Error(`the answer holds more than the ${buffer.length} bytes asked for`);
      chunk.copy(buffer, at);
      at += chunk.length;
    }
    if (at !== buffer.length) throw new Error(`the answer ended after ${at} of ${buffer.length} bytes`);
  } finally {
    clearTimeout(stalled);
  }
}
