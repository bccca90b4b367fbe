/**
 * The export's read of one range of a blob (shared/datacenter-agent/range-download.ts): the bytes
 * asked for, on Azurite, and refused on a changed ETag; an answer of another length, or none in
 * time, is an error, never a buffer reported whole.
 */
import { PassThrough, Readable } from "node:stream";
import type { BlobClient } from "@azure/storage-blob";
import { downloadRange } from "../../shared/datacenter-agent/range-download";
import { container, randomContent, uniqueName } from "./helpers";

test("reads exactly the range asked for, on the ETag it is given; a changed blob is a 412", async () => {
  const client = container(uniqueName("range"));
  await client.create();
  try {
    const content = randomContent(20_000);
    const blob = client.getBlockBlobClient("dir/data.bin");
    const { etag } = await blob.upload(content, content.length);
    const buffer = Buffer.alloc(8_000, 0xee);
    await downloadRange(blob, buffer, 5_000, { ifMatch: etag });
    expect(buffer.equals(content.subarray(5_000, 13_000))).toBe(true);

    await blob.upload(randomContent(20_000), 20_000);
    await expect(downloadRange(blob, Buffer.alloc(10), 0, { ifMatch: etag })).rejects.toMatchObject({ statusCode: 412 });
  } finally {
    await client.delete();
  }
});

/** A blob client whose answer is `body`. */
function answering(body: Readable | undefined): BlobClient {
  return { download: async () => ({ readableStreamBody: body }) } as unknown as BlobClient;
}

test("an answer shorter or longer than the range, or without a body, is an error; so is a range of 0 bytes", async () => {
  await expect(downloadRange(answering(Readable.from([Buffer.alloc(3)])), Buffer.alloc(5), 0, undefined)).rejects.toThrow("the answer ended after 3 of 5 bytes");
  await expect(downloadRange(answering(Readable.from([Buffer.alloc(3), Buffer.alloc(3)])), Buffer.alloc(5), 0, undefined)).rejects.toThrow("more than the 5 bytes asked for");
  await expect(downloadRange(answering(undefined), Buffer.alloc(5), 0, undefined)).rejects.toThrow("no body");
  await expect(downloadRange(answering(Readable.from([Buffer.alloc(3)])), Buffer.alloc(0), 0, undefined)).rejects.toThrow("a range of 0 bytes");
});

test("an answer that stalls is given up once the stall limit passes, its stream destroyed", async () => {
  const stalled = new PassThrough();
  stalled.write(Buffer.alloc(2));
  const started = Date.now();
  await expect(downloadRange(answering(stalled), Buffer.alloc(5), 0, undefined, 200)).rejects.toThrow("the answer stalled: not whole after 0.2 s");
  expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  expect(stalled.destroyed).toBe(true);
});
