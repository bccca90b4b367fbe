/**
 * The export's read of one range of a blob (shared/datacenter-agent/range-download.ts): the bytes
 * asked for, on Azurite, through the container client's own pipeline, and refused on a changed
 * ETag; the blob's URL as the SDK would build it; a body that breaks off asked for again from where
 * it broke, on the same ETag; an answer of another length, or none in time, is an error, never a
 * buffer reported whole.
 */
import { PassThrough, Readable } from "node:stream";
import { createHttpHeaders, type PipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import { BlobRangeReader, type RequestSender } from "../../shared/datacenter-agent/range-download";
import { container, randomContent, uniqueName } from "./helpers";

test("reads exactly the range asked for, on the ETag it is given; a changed blob is a 412", async () => {
  const client = container(uniqueName("range"));
  await client.create();
  try {
    const content = randomContent(20_000);
    const blob = client.getBlockBlobClient("dir/data.bin");
    const { etag } = await blob.upload(content, content.length);
    const reader = BlobRangeReader.of(client);
    const buffer = Buffer.alloc(8_000, 0xee);
    await reader.read("dir/data.bin", buffer, 5_000, etag);
    expect(buffer.equals(content.subarray(5_000, 13_000))).toBe(true);

    await blob.upload(randomContent(20_000), 20_000);
    await expect(reader.read("dir/data.bin", Buffer.alloc(10), 0, etag)).rejects.toMatchObject({ statusCode: 412, code: "ConditionNotMet" });
    await expect(reader.read("dir/none.bin", Buffer.alloc(10), 0, undefined)).rejects.toMatchObject({ statusCode: 404, code: "BlobNotFound" });
  } finally {
    await client.delete();
  }
});

test("a blob's URL is the one the SDK's getBlobClient builds, whatever its name holds", async () => {
  const client = container("names");
  const reader = BlobRangeReader.of(client);
  for (const name of ["plain.bin", "a/b/c.txt", "space and+plus.txt", "per%cent/#hash?q=1", "ünï/ćødé 漢字.bin", "a//b", "trailing/", "x;y,z@&=$!'()*~", "back\\slash", "[a]{b}|c^d`e\"f<g>", "%2F%41"]) {
    expect(reader.blobUrl(name)).toBe(client.getBlobClient(name).url);
  }
  // A container URL's trailing slash, query (a SAS) and fragment: the name goes in its path.
  expect(new BlobRangeReader("https://a.blob.core.windows.net/c/?sv=1&sig=x#frag", answering()).blobUrl("d/e f")).toBe("https://a.blob.core.windows.net/c/d/e%20f?sv=1&sig=x");
  expect(new BlobRangeReader("https://a.blob.core.windows.net/c#frag", answering()).blobUrl("x")).toBe("https://a.blob.core.windows.net/c/x");
  // Segments a URL resolves away would name another blob: refused before any request.
  const sender = answering(Readable.from([Buffer.alloc(1)]));
  for (const name of ["..", "a/./b", "a/../b", "a/.."]) {
    await expect(new BlobRangeReader("http://account/container", sender).read(name, Buffer.alloc(1), 0, undefined)).rejects.toThrow(/^no URL can name the blob '.*': a blob name cannot have a '\.{1,2}' path segment$/);
  }
  expect(sender.requests).toHaveLength(0);
  const names = ["space and+plus.txt", "per%cent/#hash?q=1", "ünï/ćødé 漢字.bin"];
  const seeded = container(uniqueName("range-names"));
  await seeded.create();
  try {
    for (const name of names) await seeded.getBlockBlobClient(name).upload(Buffer.from(name), Buffer.byteLength(name));
    const seededReader = BlobRangeReader.of(seeded);
    for (const name of names) {
      const buffer = Buffer.alloc(Buffer.byteLength(name));
      await seededReader.read(name, buffer, 0, undefined);
      expect(buffer.toString()).toBe(name);
    }
  } finally {
    await seeded.delete();
  }
});

/**
 * A sender whose answers are `bodies`, in turn, each a 206 said to be the range asked for (or the
 * range `claims` gives); it keeps the requests it was sent.
 */
function answering(...bodies: (Readable | undefined)[]): RequestSender & { requests: PipelineRequest[]; claims?: (asked: string) => { status: number; range?: string } } {
  const requests: PipelineRequest[] = [];
  const sender: RequestSender & { requests: PipelineRequest[]; claims?: (asked: string) => { status: number; range?: string } } = {
    version: "2025-01-05",
    requests,
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      requests.push(request);
      const asked = request.headers.get("x-ms-range")!.replace("bytes=", "bytes ");
      const { status, range } = sender.claims?.(asked) ?? { status: 206, range: `${asked}/1000` };
      const headers = createHttpHeaders({ etag: '"0x1"' });
      if (range) headers.set("content-range", range);
      return { request, status, headers, readableStreamBody: bodies.shift() };
    },
  };
  return sender;
}

/** A body that gives `bytes`, then fails as a connection reset does. */
function breaking(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
      } else this.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    },
  });
}

test("a body that breaks off is asked for again from where it broke, on the first answer's ETag, three times at most", async () => {
  const sender = answering(breaking(Buffer.from("abc")), Readable.from([Buffer.from("defgh")]));
  const buffer = Buffer.alloc(8);
  // An empty ETag (a listing without one) is none: the rest is asked for on the first answer's.
  await new BlobRangeReader("http://account/container", sender).read("b", buffer, 100, "");
  expect(buffer.toString()).toBe("abcdefgh");
  expect(sender.requests.map((request) => [request.headers.get("x-ms-range"), request.headers.get("if-match") ?? null])).toEqual([
    ["bytes=100-107", null],
    ["bytes=103-107", '"0x1"'],
  ]);

  const failing = answering(...Array.from({ length: 5 }, () => breaking(Buffer.from("a"))));
  await expect(new BlobRangeReader("http://account/container", failing).read("b", Buffer.alloc(8), 0, '"0x1"')).rejects.toThrow("broke off after 4 bytes: read ECONNRESET");
  expect(failing.requests).toHaveLength(4);
});

test("an answer shorter or longer than the range, or without a body, is an error; so is a range of 0 bytes", async () => {
  const reader = (body: Readable | undefined) => new BlobRangeReader("http://account/container", answering(body));
  await expect(reader(Readable.from([Buffer.alloc(3)])).read("b", Buffer.alloc(5), 0, undefined)).rejects.toThrow("the answer ended after 3 of 5 bytes");
  await expect(reader(Readable.from([Buffer.alloc(3), Buffer.alloc(3)])).read("b", Buffer.alloc(5), 0, undefined)).rejects.toThrow("more than the 5 bytes asked for");
  await expect(reader(undefined).read("b", Buffer.alloc(5), 0, undefined)).rejects.toThrow("no body");
  await expect(reader(Readable.from([Buffer.alloc(3)])).read("b", Buffer.alloc(0), 0, undefined)).rejects.toThrow("a range of 0 bytes");
});

test("an answer that is not the range asked for (a whole blob, another range, none said) is an error, its body closed unread", async () => {
  for (const claim of [{ status: 200 }, { status: 200, range: "bytes 0-4/5" }, { status: 206, range: "bytes 1-5/9" }, { status: 206, range: "bytes 0-5/9" }, { status: 206 }]) {
    // A body that never ends, as a whole blob of gigabytes would not for a long time: drained, it would hold the connection.
    const body = new PassThrough();
    body.write(Buffer.alloc(5));
    const sender = answering(body);
    sender.claims = () => claim;
    await expect(new BlobRangeReader("http://account/container", sender).read("b", Buffer.alloc(5), 0, '"0x1"')).rejects.toThrow("not the range asked for");
    expect(body.destroyed).toBe(true);
  }
});

test("an answer that stalls is given up once the stall limit passes, its stream destroyed, not asked for again", async () => {
  const stalled = new PassThrough();
  stalled.write(Buffer.alloc(2));
  const sender = answering(stalled, Readable.from([Buffer.alloc(3)]));
  const started = Date.now();
  await expect(new BlobRangeReader("http://account/container", sender).read("b", Buffer.alloc(5), 0, '"0x1"', 200)).rejects.toThrow("the answer stalled: not whole after 0.2 s");
  expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  expect(stalled.destroyed).toBe(true);
  expect(sender.requests).toHaveLength(1);
});
