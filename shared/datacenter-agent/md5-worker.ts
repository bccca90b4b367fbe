/**
 * MD5 off the main thread, while it reads and uploads (or downloads and writes): each block's own
 * MD5 (checked against the manifest on import, written to it on export) on one thread, and the
 * running MD5 of a whole file (an imported blob's Content-MD5) on another. A large import needs both
 * for every byte, and MD5 cannot be split within one hash, so the two run side by side rather than
 * one after the other: the slower of them, not their sum, is what the copy waits for. Blocks are
 * passed in SharedArrayBuffer-backed buffers, so nothing is copied; a buffer may be reused once the
 * promise of each hash it was given to has resolved.
 */
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const running = new Map();
parentPort.on("message", (message) => {
  if (message.type === "block") {
    const block = new Uint8Array(message.buffer, message.offset, message.length);
    parentPort.postMessage({ seq: message.seq, digest: createHash("md5").update(block).digest() });
  } else if (message.type === "update") {
    let hash = running.get(message.id);
    if (!hash) running.set(message.id, (hash = createHash("md5")));
    hash.update(new Uint8Array(message.buffer, message.offset, message.length));
    parentPort.postMessage({ seq: message.seq });
  } else {
    const hash = running.get(message.id) ?? createHash("md5");
    running.delete(message.id);
    parentPort.postMessage({ seq: message.seq, digest: hash.digest() });
  }
});
`;

/** One hashing thread: answers its messages in order. */
class HashThread {
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

  send(message: { type: "block" | "update" | "digest"; id?: string; block?: Buffer }): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      const seq = this.seq++;
      this.pending.set(seq, resolve);
      const { block, ...rest } = message;
      this.worker.postMessage(block ? { ...rest, seq, buffer: block.buffer, offset: block.byteOffset, length: block.length } : { ...rest, seq });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export class Md5Worker {
  private blockThread?: HashThread;
  private fileThread?: HashThread;

  /** A buffer for a block: shared with the threads, so hashing it copies nothing. */
  static blockBuffer(length: number): Buffer {
    return Buffer.from(new SharedArrayBuffer(length));
  }

  /** The block's own MD5. */
  async blockDigest(block: Buffer): Promise<Buffer> {
    this.blockThread ??= new HashThread();
    return Buffer.from((await this.blockThread.send({ type: "block", block }))!);
  }

  /** Adds a block to the running MD5 of `id`; blocks of one id must be given in file order. */
  async update(id: string, block: Buffer): Promise<void> {
    this.fileThread ??= new HashThread();
    await this.fileThread.send({ type: "update", id, block });
  }

  /** The running MD5 of `id`, once every block given before has been added. */
  async digest(id: string): Promise<Buffer> {
    this.fileThread ??= new HashThread();
    return Buffer.from((await this.fileThread.send({ type: "digest", id }))!);
  }

  async close(): Promise<void> {
    await Promise.all([this.blockThread?.close(), this.fileThread?.close()]);
  }
}
