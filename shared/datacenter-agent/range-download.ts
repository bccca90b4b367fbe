/**
 * One range of a blob into a buffer the caller owns: the export's every read of the account.
 *
 * Not the SDK's `downloadToBuffer`: for a range that is one request, its batch, second tracing span
 * and stream plumbing cost CPU a drive of small blobs feels, since such a drive is bound by the
 * agent's CPU (docs/performance.md, "The small export's CPU"). What it did besides is kept: the
 * SDK's retries of a body that fails (`maxRetryRequests`, from where it broke, on the same ETag; a
 * connection closed under it is an abort, not retried, in the SDK as here: a `BlobRequestFailed`
 * that a resumed run copies again); a body that stalls given up; and a body of any other length
 * refused, never reported whole.
 */
import type { BlobClient, BlobRequestConditions } from "@azure/storage-blob";

/** A request whose body has not ended in this long is given up (the SDK's own limit for `downloadToBuffer`). */
export const RANGE_STALL_MS = 100_000;

/** The SDK's retries of a body that fails mid-way (`downloadToBuffer`'s `maxRetryRequestsPerBlock` as the agent set it). */
const BODY_RETRIES = 3;

/** `buffer.length` bytes of the blob from `offset` into `buffer`; a body shorter or longer is an error. */
export async function downloadRange(source: BlobClient, buffer: Buffer, offset: number, conditions: BlobRequestConditions | undefined, stallMs = RANGE_STALL_MS): Promise<void> {
  // A count of 0 asks for the rest of the blob: an empty blob has no range to read.
  if (buffer.length === 0) throw new RangeError("a range of 0 bytes cannot be read");
  const response = await source.download(offset, buffer.length, { conditions, maxRetryRequests: BODY_RETRIES });
  const body = response.readableStreamBody;
  if (!body) throw new Error("the answer has no body");
  // A body that stops coming is given up; destroying it destroys the response, freeing its socket.
  // Before the answer, only the service's `timeout` (the pipeline's per-try limit, sent as a query
  // parameter) bounds the wait, as it did for downloadToBuffer. A timer, not an abort signal on the
  // request: the signal's listeners cost about 0.05 ms of CPU a read (docs/performance.md).
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
