/**
 * The whole file's MD5 (the blob's Content-MD5), computed on a worker thread while the main thread
 * checks each block against the manifest and uploads it: two passes of MD5 over every byte would
 * otherwise share one core. Blocks are passed in SharedArrayBuffer-backed buffers, so nothing is
 * copied; each update resolves once the worker has hashed it, and only then may the buffer go.
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
    hash.update(new Uint8Array(message.buffer, message.offset, message.length));
    parentPort.postMessage({ seq: message.seq });
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

  /** Adds a block (in file order) to the hash of `id`. */
  update(id: string, block: Buffer): Promise<void> {
    return new Promise((resolve) => {
      const seq = this.seq++;
      this.pending.set(seq, () => resolve());
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
