/**
 * Reading a small file whole, but only when it is small: its size is checked on the open file
 * before anything is read, and no more than the bound is ever read (a file growing meanwhile is
 * caught too). A drive's metadata file of 200 MiB, named by eight blobs in flight at once, costs
 * eight refusals, not 1.6 GB. The agent opens a drive's file through drive-fs.ts and hands the
 * descriptor here; the drive tool opens the customer's own files by their names.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** The bytes of the file open at `fd`, or `undefined` when it holds more than `maxBytes`. */
export function readWithin(fd: number, maxBytes: number): Buffer | undefined {
  if (fstatSync(fd).size > maxBytes) return undefined;
  const buffer = Buffer.allocUnsafe(maxBytes + 1);
  let filled = 0;
  for (;;) {
    const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
    if (filled > maxBytes) return undefined;
  }
  return buffer.subarray(0, filled);
}

/** The file's bytes, or `undefined` when it holds more than `maxBytes`. */
export function readFileWithin(file: string, maxBytes: number): Buffer | undefined {
  const fd = openSync(file, "r");
  try {
    return readWithin(fd, maxBytes);
  } finally {
    closeSync(fd);
  }
}
