/**
 * MD5 off the main thread: for each block of a large file, its own MD5 (to check against the
 * manifest) and the running MD5 of the whole file (the blob's Content-MD5), while the main thread
 * reads and uploads. Blocks are passed in SharedArrayBuffer-backed buffers, so nothing is copied;
 * each update resolves with the block's MD5 once the worker is done with it, and only then may the
 * buffer be reused.
 */
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hashes = new Map();
parentPort.on("message", (message) => {
  let hash = hashes.get(message.id);
  if (!hash) {
    hash = createHash("md5");
    hashes.set(message.id, hash);
  }
  if (message.type === "update") {
    const block = new Uint8Array(message.buffer, message.offset, message.length);
    const digest = createHash("md5").update(block).digest();
    hash.update(block);
    parentPort.postMessage({ seq: message.seq, digest });
  } else {
    hashes.delete(message.id);
    parentPort.postMessage({ seq: message.seq, digest: hash.digest() });
  }
});
`;

export class Md5Worker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, (digest?: Uint8Array) => void>();
  private seq = 0;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on("message", (message: { seq: number; digest?: Uint8Array }) => {
      const resolve = this.pending.get(message.seq);
      this.pending.delete(message.seq);
      resolve?.(message.digest);
    });
  }

  /** A buffer for a block: shared with the worker, so hashing it copies nothing. */
  static blockBuffer(length: number): Buffer {
    return Buffer.from(new SharedArrayBuffer(length));
  }

  /** Adds a block (in file order) to the hash of `id`; resolves with the block's own MD5. */
  update(id: string, block: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      const seq = this.seq++;
      this.pending.set(seq, (digest) => resolve(Buffer.from(digest!)));
      this.worker.postMessage({ type: "update", id, seq, buffer: block.buffer, offset: block.byteOffset, length: block.length });
    });
  }

  digest(id: string): Promise<Buffer> {
    return new Promise((resolve) => {
      const seq = this.seq++;
      this.pending.set(seq, (digest) => resolve(Buffer.from(digest!)));
      this.worker.postMessage({ type: "digest", id, seq });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
