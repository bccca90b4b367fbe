/**
 * One range of a blob into a buffer the caller owns: the export's every read of the account.
 *
 * Not the SDK's `downloadToBuffer`: for a range that is one request, its batch, its second tracing
 * span and its stream plumbing cost more CPU than the request itself (about 0.1 ms a blob on this
 * project's 2-core host, a tenth of a small blob's export; docs/performance.md), and a drive of
 * small blobs is bound by the agent's CPU. What it did besides is kept: retries of a broken body on
 * the same ETag (`maxRetryRequests`), a stalled request given up, and a body of any other length refused.
 */
import type { BlobClient, BlobRequestConditions } from "@azure/storage-blob";

/** A request whose body has not ended in this long is given up (the SDK's own limit for `downloadToBuffer`). */
export const RANGE_STALL_MS = 100_000;

/** How many times a body broken off mid-way is asked for again, from where it broke (on the same ETag). */
const BODY_RETRIES = 3;

/** `buffer.length` bytes of the blob from `offset` into `buffer`; a body shorter or longer is an error. */
export async function downloadRange(source: BlobClient, buffer: Buffer, offset: number, conditions: BlobRequestConditions | undefined, stallMs = RANGE_STALL_MS): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`no whole answer in ${stallMs / 1000} s`)), stallMs);
  try {
    const response = await source.download(offset, buffer.length, { conditions, maxRetryRequests: BODY_RETRIES, abortSignal: abort.signal });
    const body = response.readableStreamBody;
    if (!body) throw new Error("the answer has no body");
    let at = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (at + chunk.length > buffer.length) throw new Error(`the answer holds more than the ${buffer.length} bytes asked for`);
      chunk.copy(buffer, at);
      at += chunk.length;
    }
    if (at !== buffer.length) throw new Error(`the answer ended after ${at} of ${buffer.length} bytes`);
  } finally {
    clearTimeout(timer);
  }
}
