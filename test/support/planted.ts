/**
 * The "nothing outside the drive" fixtures: a folder planted BESIDE a drive (what a link on the
 * drive points at: the station's own files, another customer's drive), and a byte-for-byte
 * snapshot of a tree (names, kinds, contents, link targets, modification times), so a test can
 * assert the planted folder is exactly as it was after the agent or the drive tool ran.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:net";
import path from "node:path";

export type TreeSnapshot = Record<string, string>;

/** Every entry below `root` by relative path: its kind and modification time, a file's length and SHA-256, a link's target. */
export function snapshotTree(root: string): TreeSnapshot {
  const entries: TreeSnapshot = {};
  const walk = (folder: string, prefix: string) => {
    for (const name of readdirSync(folder).sort()) {
      const full = path.join(folder, name);
      const relative = `${prefix}${name}`;
      const stats = lstatSync(full);
      const when = `mtime ${stats.mtimeMs}`;
      if (stats.isSymbolicLink()) entries[relative] = `link -> ${readlinkSync(full)}`;
      else if (stats.isDirectory()) {
        entries[relative] = `folder, ${when}`;
        walk(full, `${relative}/`);
      } else if (stats.isFile()) {
        const bytes = readFileSync(full);
        entries[relative] = `file, ${when}, ${bytes.length} bytes, sha256 ${createHash("sha256").update(bytes).digest("hex")}`;
      } else entries[relative] = `special, ${when}`;
    }
  };
  entries["."] = `folder, mtime ${lstatSync(root).mtimeMs}`;
  walk(root, "");
  return entries;
}

/** A folder beside `drive` (a sibling, outside it) holding `files` (relative path → content). */
export function plantBeside(drive: string, name: string, files: Record<string, string | Buffer>): string {
  const folder = path.join(path.dirname(drive), name);
  mkdirSync(folder, { recursive: true });
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(folder, ...relative.split("/"));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return folder;
}

/** Replaces whatever is at `at` (file or folder) by a symbolic link to `target`. */
export function replaceWithLink(at: string, target: string): void {
  rmSync(at, { recursive: true, force: true });
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at);
}

/** Replaces whatever is at `at` by a FIFO: opened for reading, it blocks until a writer comes. */
export function replaceWithFifo(at: string): void {
  rmSync(at, { recursive: true, force: true });
  execFileSync("mkfifo", [at]);
}

/** Replaces whatever is at `at` by a character device node (the null device's numbers); needs root, as the test runner is. */
export function replaceWithDevice(at: string): void {
  rmSync(at, { recursive: true, force: true });
  execFileSync("mknod", [at, "c", "1", "3"]);
}

/** Replaces whatever is at `at` by a listening Unix socket; close the server after the run. */
export async function replaceWithSocket(at: string): Promise<Server> {
  rmSync(at, { recursive: true, force: true });
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(at, resolve));
  return server;
}
