/**
 * One range of a blob into a buffer the caller owns: the export's every read of the account.
 *
 * One Get Blob sent through the container client's own pipeline (its credential, shared key or
 * token, its retries and per-try timeout), not through a `BlobClient` per blob: for a blob of a few
 * KiB the SDK's client construction (a URL parsed six times, a generated client with six operation
 * groups) and its typed answer (some fifty headers deserialised) cost more CPU than the read, and a
 * drive of small blobs is bound by the agent's CPU (docs/performance.md, "The small export's reads").
 * What the SDK's read did besides is kept: a body that breaks off is asked for again from where it
 * broke, on the same ETag (three times; a closed connection too, which the SDK gave up on); a body
 * that stalls is given up; a body of any other length is refused, never reported whole; an error
 * answer is a `RestError` with its status.
 */
import { createHttpHeaders, createPipelineRequest, RestError, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import type { ContainerClient } from "@azure/storage-blob";
import { dotSegmentProblem } from "../formats/export-blob-list";

/** A request whose body has not ended in this long is given up (the SDK's own limit for `downloadToBuffer`). */
export const RANGE_STALL_MS = 100_000;

/** Times a body that breaks off mid-way is asked for again (the SDK's `maxRetryRequests` as the agent set it). */
const BODY_RETRIES = 3;

/** The answers whose body is handed over as a stream: the range (206), and a whole blob (200), which is refused after its headers. */
const STREAMED_STATUSES = new Set([200, 206]);

/** What sends a request through an account client's pipeline: `@azure/core-client`'s `ServiceClient`. */
export interface RequestSender {
  sendRequest(request: PipelineRequest): Promise<PipelineResponse>;
  /** The storage service version the client speaks (`x-ms-version`). */
  version: string;
}

/** A response's body as Node gives it (an `IncomingMessage`): destroying it closes the connection. */
type ClosableStream = NodeJS.ReadableStream & { destroy(error?: Error): void };

/** A body that broke off: what arrived is kept, the rest can be asked for again. */
class BodyBroke extends Error {
  constructor(
    readonly at: number,
    cause: unknown,
  ) {
    super(`the answer broke off after ${at} bytes: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The blobs of one container, read by range. */
export class BlobRangeReader {
  private readonly base: string;
  private readonly query: string;

  constructor(
    containerUrl: string,
    private readonly sender: RequestSender,
  ) {
    const url = new URL(containerUrl);
    this.base = `${url.origin}${url.pathname.replace(/\/$/, "")}`;
    this.query = url.search;
  }

  /**
   * A reader through `container`'s own pipeline. The SDK keeps that pipeline's client in a protected
   * field; were it ever gone, this throws here, on the first blob, rather than read another way.
   */
  static of(container: ContainerClient): BlobRangeReader {
    const context = (container as unknown as { storageClientContext?: Partial<RequestSender> }).storageClientContext;
    if (typeof context?.sendRequest !== "function" || typeof context.version !== "string") {
      throw new Error("@azure/storage-blob no longer exposes its container client's pipeline (storageClientContext): the export cannot read ranges");
    }
    return new BlobRangeReader(container.url, context as RequestSender);
  }

  /** The blob's URL, escaped as the SDK's `getBlobClient` escapes it: each segment of the name encoded, and `'` too. */
  blobUrl(blobName: string): string {
    const segments = blobName.split("/");
    // A URL's `.` and `..` segments are resolved away on the way out, naming another blob or none: refused, never sent.
    const problem = dotSegmentProblem(segments);
    if (problem) throw new RangeError(`no URL can name the blob '${blobName}': ${problem}`);
    return `${this.base}/${segments.map((segment) => encodeURIComponent(segment).replace(/'/g, "%27")).join("/")}${this.query}`;
  }

  /** `buffer.length` bytes of the blob from `offset` into `buffer`, on `etag` when given; a body shorter or longer is an error. */
  async read(blobName: string, buffer: Buffer, offset: number, etag: string | undefined, stallMs = RANGE_STALL_MS): Promise<void> {
    // A count of 0 cannot be a range: an empty blob has none to read.
    if (buffer.length === 0) throw new RangeError("a range of 0 bytes cannot be read");
    const url = this.blobUrl(blobName);
    let at = 0;
    // An empty ETag (a listing without one) is none: the first answer's is taken instead.
    let ifMatch = etag || undefined;
    for (let retries = 0; ; retries++) {
      const body = await this.get(url, offset + at, buffer.length - at, ifMatch);
      // The rest of a broken body is asked for on the ETag the first answer had, so it cannot come from another version.
      ifMatch ||= body.etag;
      try {
        await receive(body.stream, buffer, at, stallMs);
        return;
      } catch (error) {
        if (!(error instanceof BodyBroke) || retries >= BODY_RETRIES || !ifMatch) throw error;
        at = error.at;
      }
    }
  }

  private async get(url: string, offset: number, count: number, ifMatch: string | undefined): Promise<{ stream: NodeJS.ReadableStream; etag?: string }> {
    const range = `${offset}-${offset + count - 1}`;
    const headers = createHttpHeaders({ "x-ms-version": this.sender.version, "x-ms-range": `bytes=${range}` });
    if (ifMatch) headers.set("If-Match", ifMatch);
    // Insecure connections allowed as the SDK allows them (its clients' option): the URL is the account's, as configured.
    const request = createPipelineRequest({ url, method: "GET", headers, allowInsecureConnection: true, streamResponseStatusCodes: STREAMED_STATUSES });
    const response = await this.sender.sendRequest(request);
    if (!STREAMED_STATUSES.has(response.status)) {
      const code = response.headers.get("x-ms-error-code");
      throw new RestError(`Get Blob answered ${response.status}${code ? ` (${code})` : ""}`, { code, statusCode: response.status, request, response });
    }
    // Only the range asked for, said to be that range: a whole blob (200) or another range is never taken for it.
    const answered = response.headers.get("content-range");
    if (response.status !== 206 || !answered?.startsWith(`bytes ${range}/`)) {
      // Destroyed, not drained: a whole blob's body (200) can be gigabytes, and the connection is worth less than reading them.
      (response.readableStreamBody as ClosableStream | undefined)?.destroy();
      throw new Error(`the answer is not the range asked for (${response.status}, Content-Range ${answered ?? "none"}; asked bytes ${range})`);
    }
    if (!response.readableStreamBody) throw new Error("the answer has no body");
    return { stream: response.readableStreamBody, etag: response.headers.get("etag") };
  }
}

/**
 * The body into `buffer` from `from`. A body that stops coming is given up: destroying it destroys
 * the response, freeing its socket. Before the answer, only the service's `timeout` (the pipeline's
 * per-try limit, sent as a query parameter) bounds the wait. A timer, not an abort signal on the
 * request: the signal's listeners cost about 0.05 ms of CPU a read (docs/performance.md).
 */
async function receive(stream: NodeJS.ReadableStream, buffer: Buffer, from: number, stallMs: number): Promise<void> {
  const body = stream as ClosableStream & AsyncIterable<Buffer>;
  let stalled = false;
  const timer = setTimeout(() => {
    stalled = true;
    body.destroy(new Error(`the answer stalled: not whole after ${stallMs / 1000} s`));
  }, stallMs);
  let at = from;
  let overflow = false;
  try {
    for await (const chunk of body) {
      // Leaving the loop destroys the body.
      if (at + chunk.length > buffer.length) {
        overflow = true;
        break;
      }
      chunk.copy(buffer, at);
      at += chunk.length;
    }
  } catch (error) {
    if (stalled) throw error;
    throw new BodyBroke(at, error);
  } finally {
    clearTimeout(timer);
  }
  if (overflow) throw new Error(`the answer holds more than the ${buffer.length - from} bytes asked for`);
  if (at !== buffer.length) throw new Error(`the answer ended after ${at - from} of ${buffer.length - from} bytes`);
}
