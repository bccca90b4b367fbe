/**
 * Reading a small file whole, but only when it is small: its size is checked on the open file
 * before anything is read, and no more than the bound is ever read (a file growing meanwhile is
 * caught too). A drive's metadata file of 200 MiB, named by eight blobs in flight at once, costs
 * eight refusals, not 1.6 GB.
 */
import { open } from "node:fs/promises";

/** The file's bytes, or `undefined` when it holds more than `maxBytes`. */
export async function readFileWithin(file: string, maxBytes: number): Promise<Buffer | undefined> {
  const handle = await open(file, "r");
  try {
    if ((await handle.stat()).size > maxBytes) return undefined;
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > maxBytes) return undefined;
    }
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
