/**
 * Files on a drive, reached without ever leaving it: the one way the data-center agent and the
 * drive tool open, read and write a drive's tree. A drive comes from a stranger, and whatever is on
 * it (symbolic links, FIFOs, sockets, devices, a folder where a file belongs) is hostile input on a
 * machine that also holds other customers' drives, keys and logs. So:
 *
 * - A path is resolved from the drive's root one component at a time with `lstat`: a link, or
 *   anything but a folder, on the way is refused (never followed, whatever its target).
 * - A file is opened only when `lstat` says it is a regular file (so a FIFO or a device is never
 *   opened at all), with O_NOFOLLOW | O_NONBLOCK (no link at the last step; nothing blocks), and
 *   what was opened must be that very file (`fstat`: a regular file, the same device and inode).
 * - A file is written under a temporary name created with O_CREAT | O_EXCL | O_NOFOLLOW in a folder
 *   checked (or made) here, then renamed over its name: a link or special file at either name is
 *   replaced, never written through (rename and unlink act on the link itself); a folder there is
 *   an error. A link where a folder must be made is removed and a real folder made in its place.
 *
 * A tree may keep its temporary names in a folder of their own (`partialFolder`, made here as any
 * folder is), under short random names: a name at the file system's 255-byte limit has no room for
 * a suffix. The rename into place is within the drive all the same.
 *
 * Hard links need no rule for reading: a hard link is one more name of a file on the same volume,
 * so on a drive it can only name a file of that drive. The drive's root is the mount point the
 * operator (or the customer) gave and is trusted as given.
 *
 * Residual risk, stated: the folders are checked once per run (the checks are cached, as the copy's
 * other per-folder work is), so a folder swapped for a link between its check and an open below it
 * would be followed. Only the drive is hostile, and nothing changes it while a copy runs: it is a
 * volume the station mounted for this copy, which no customer process can write. The per-file
 * `lstat` / `fstat` comparison still catches a file swapped under its name.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, Stats, unlinkSync, writeFileSync } from "node:fs";
import { open as openAsync, rename, unlink } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { driveFileNameProblem } from "../formats/blob-names";
import { EXPORT_FILES_FOLDER } from "../formats/export-blob-files";
import { readWithin } from "./bounded-read";

const { O_RDONLY, O_RDWR, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;
const READ = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
const UPDATE = O_RDWR | O_NOFOLLOW | O_NONBLOCK;
const CREATE = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

/** A file being written; renamed to its name when whole. No name the agent writes may end so. */
export const PARTIAL_SUFFIX = ".importexport-partial";

/**
 * The path segments of an exported blob's file below the drive's root: `<container>/<name segments>`.
 * A name that could leave the drive or name no file (`..`, `.`, empty), that Windows cannot hold as a
 * file (`CON`, `a:b`, a trailing dot, see `driveFileNameProblem`) or that ends like a temporary name
 * is refused.
 */
export function exportFileSegments(blobPath: string): string[] {
  const segments = blobPath.split("/");
  const problem =
    segments.length < 2 ? "no container and name" : (driveFileNameProblem(blobPath) ?? (segments.some((segment) => segment.endsWith(PARTIAL_SUFFIX)) ? `it ends in ${PARTIAL_SUFFIX}` : undefined));
  if (problem) throw new Error(`'${blobPath}' cannot be a file on the drive: ${problem}`);
  return segments;
}

/**
 * Where an export drive's files are written before they are whole, under short names of their own,
 * then renamed into place: a temporary name beside the file (`<name>.importexport-partial`) would push
 * a name at the limit past it. A folder no container or blob file can be (it starts with a dot, inside
 * the tool's folder); removed once the drive is written.
 */
const PARTIAL_FOLDER = [EXPORT_FILES_FOLDER, ".partial"] as const;

/** An export drive's tree (the agent's, repair-export's): files written through the partial folder. */
export function exportDriveTree(driveRoot: string): DriveTree {
  return new DriveTree(driveRoot, { partialFolder: PARTIAL_FOLDER });
}

/** What stood in the way. */
export type DriveEntryProblem =
  /** Nothing at that name (or a folder on the way is missing). */
  | "missing"
  /** A symbolic link: the entry itself or a folder on the way. */
  | "link"
  /** A FIFO, socket or device where a file is expected. */
  | "special"
  /** A folder where a file is expected. */
  | "folder"
  /** Something other than a folder where a folder is expected on the way. */
  | "notFolder"
  /** What was opened is not the file `lstat` saw. */
  | "changed"
  | "denied"
  | "nameTooLong"
  | "io";

export class DrivePathError extends Error {
  constructor(
    readonly problem: DriveEntryProblem,
    /** The entry, in the drive's form (`\folder\file`). */
    readonly drivePath: string,
    detail?: string,
  ) {
    super(`'${drivePath}' ${describe(problem)}${detail ? ` (${detail})` : ""}`);
    this.name = "DrivePathError";
  }
}

function describe(problem: DriveEntryProblem): string {
  switch (problem) {
    case "missing":
      return "is not on the drive";
    case "link":
      return "is or goes through a symbolic link: links on a drive are never followed";
    case "special":
      return "is not a regular file (a FIFO, socket or device): it is never opened";
    case "folder":
      return "is a folder where a file belongs";
    case "notFolder":
      return "goes through something that is not a folder";
    case "changed":
      return "changed while it was being opened";
    case "denied":
      return "cannot be reached: access denied";
    case "nameTooLong":
      return "has a name too long for the file system";
    case "io":
      return "cannot be read or written";
  }
}

/** A file opened for writing under its temporary name: `commit` renames it over its name once it is whole and closed. */
export interface PartialFile {
  handle: FileHandle;
  commit(): Promise<void>;
  /** Removes the temporary name; a failure leaves a name no file of the drive can have (PARTIAL_SUFFIX, or one in the partial folder). */
  discard(): Promise<void>;
}

/** A drive's tree below its root. Make one per run: the folders it checked are remembered. */
export class DriveTree {
  readonly root: string;
  /** Folders checked (or made) this run, by relative path: each is checked once. */
  private readonly folders = new Map<string, string>();
  private readonly partialFolder?: readonly string[];

  /** `partialFolder`: where files being written are kept under short names of their own, rather than beside their names (PARTIAL_SUFFIX). */
  constructor(root: string, options: { partialFolder?: readonly string[] } = {}) {
    this.root = path.resolve(root);
    if (options.partialFolder) checkSegments(options.partialFolder, true);
    this.partialFolder = options.partialFolder;
  }

  /** The local path of a folder on the drive, each component a real folder (not a link). */
  folder(segments: readonly string[]): string {
    checkSegments(segments);
    return this.checkedFolder(segments);
  }

  /** The local path of a folder on the drive, made where missing; a link in a folder's place is removed (not followed) and a real folder made. */
  makeFolder(segments: readonly string[]): string {
    checkSegments(segments);
    return this.madeFolder(segments);
  }

  /** The `lstat` of a regular file on the drive, reached through real folders; anything else is a DrivePathError. */
  file(segments: readonly string[]): Stats {
    const local = this.entryPath(segments);
    const stats = lstatOf(local, segments);
    if (stats.isSymbolicLink()) throw new DrivePathError("link", drivePathOf(segments));
    if (stats.isDirectory()) throw new DrivePathError("folder", drivePathOf(segments));
    if (!stats.isFile()) throw new DrivePathError("special", drivePathOf(segments));
    return stats;
  }

  /**
   * Opens a regular file for reading (or, with `update`, for writing in place). `seen` is its
   * `lstat` when the caller already has it; the file opened must be that one.
   */
  openSync(segments: readonly string[], options: { update?: boolean; seen?: Stats } = {}): { fd: number; stats: Stats } {
    const seen = options.seen ?? this.file(segments);
    let fd: number;
    try {
      fd = openSync(this.entryPath(segments), options.update ? UPDATE : READ);
    } catch (error) {
      throw fromErrno(error, segments);
    }
    try {
      const stats = fstatSync(fd);
      checkSame(stats, seen, segments);
      return { fd, stats };
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** `openSync`, through the thread pool: for a large file read (or written) in many pieces. */
  async open(segments: readonly string[], options: { update?: boolean; seen?: Stats } = {}): Promise<{ handle: FileHandle; stats: Stats }> {
    const seen = options.seen ?? this.file(segments);
    let handle: FileHandle;
    try {
      handle = await openAsync(this.entryPath(segments), options.update ? UPDATE : READ);
    } catch (error) {
      throw fromErrno(error, segments);
    }
    try {
      const stats = await handle.stat();
      checkSame(stats, seen, segments);
      return { handle, stats };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** A whole regular file's bytes. */
  readFileSync(segments: readonly string[]): Buffer {
    const { fd } = this.openSync(segments);
    try {
      return readFileSync(fd);
    } catch (error) {
      throw fromErrno(error, segments);
    } finally {
      closeSync(fd);
    }
  }

  /** A regular file's bytes when it holds at most `maxBytes`, else undefined: its size is checked on the opened file, and no more than the bound is read. */
  readFileWithinSync(segments: readonly string[], maxBytes: number): Buffer | undefined {
    const { fd } = this.openSync(segments);
    try {
      return readWithin(fd, maxBytes);
    } catch (error) {
      throw fromErrno(error, segments);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Writes a whole file: under its temporary name in a checked folder (made if need be), then
   * renamed over its name. `durable` syncs it to the disk before the rename.
   */
  writeFileSync(segments: readonly string[], data: string | Uint8Array, options: { durable?: boolean } = {}): void {
    const { target, partial } = this.partialNames(segments);
    writeFreshSync(partial, segments, data, options.durable);
    try {
      renameSync(partial, target);
    } catch (error) {
      removeQuietly(partial);
      throw fromErrno(error, segments);
    }
  }

  /**
   * Creates a small file at its name in one write, without a temporary name. A process killed between
   * the create and the end of the write leaves it short at its name, but nothing vouches for the file
   * before its copy is journaled (an export's manifest is written last, and a resumed run writes or
   * removes every file the journal does not hold), so a rename would buy nothing and costs a call per file.
   * Whatever stands at the name (a leftover, a planted link or special file) is unlinked first,
   * never written through; a folder there is an error. Not for files that replace one the drive
   * relies on (the manifest, the key record): those go through `writeFileSync`.
   */
  createFileSync(segments: readonly string[], data: string | Uint8Array): void {
    checkSegments(segments, true);
    writeFreshSync(path.join(this.madeFolder(segments.slice(0, -1)), segments[segments.length - 1]), segments, data);
  }

  /**
   * Removes what stands at a file's name (a file, a link or a special file: the entry itself, never
   * what it points at); nothing there, a folder there, or a folder on the way missing or not a real
   * folder, is left as it is. Whether anything was removed.
   */
  removeFileSync(segments: readonly string[]): boolean {
    let local: string;
    try {
      local = this.entryPath(segments);
      if (lstatOf(local, segments).isDirectory()) return false;
    } catch (error) {
      if (error instanceof DrivePathError && (error.problem === "missing" || error.problem === "link" || error.problem === "notFolder")) return false;
      throw error;
    }
    try {
      unlinkSync(local);
    } catch (error) {
      throw fromErrno(error, segments);
    }
    return true;
  }

  /** A fresh file under the temporary name of `segments`, for a file written in pieces; see PartialFile. */
  async createPartial(segments: readonly string[]): Promise<PartialFile> {
    const { target, partial } = this.partialNames(segments);
    let handle: FileHandle;
    try {
      handle = await openAsync(partial, CREATE, 0o666);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fromErrno(error, segments);
      // A leftover (or a planted link, FIFO...) at the temporary name: unlink removes the entry itself.
      try {
        await unlink(partial);
        handle = await openAsync(partial, CREATE, 0o666);
      } catch (retry) {
        throw fromErrno(retry, segments);
      }
    }
    return {
      handle,
      commit: async () => {
        try {
          await rename(partial, target);
        } catch (error) {
          await unlink(partial).catch(() => undefined); // best effort: the name is a temporary one
          throw fromErrno(error, segments);
        }
      },
      discard: () => unlink(partial).catch(() => undefined), // see PartialFile.discard
    };
  }

  /**
   * Removes the partial folder with whatever a failed write left in it (its own entries, links
   * included, are removed, never followed), once the run has written everything.
   */
  removePartialFolder(): void {
    if (!this.partialFolder) return;
    let parent: string;
    try {
      parent = this.checkedFolder(this.partialFolder.slice(0, -1));
    } catch (error) {
      if (error instanceof DrivePathError && error.problem === "missing") return; // never made: nothing to remove
      throw error;
    }
    const key = this.partialFolder.join("/");
    try {
      rmSync(path.join(parent, this.partialFolder[this.partialFolder.length - 1]), { recursive: true, force: true });
    } catch (error) {
      throw fromErrno(error, this.partialFolder);
    }
    this.folders.delete(key);
  }

  private partialNames(segments: readonly string[]): { target: string; partial: string } {
    checkSegments(segments, true);
    const target = path.join(this.madeFolder(segments.slice(0, -1)), segments[segments.length - 1]);
    if (!this.partialFolder) return { target, partial: `${target}${PARTIAL_SUFFIX}` };
    return { target, partial: path.join(this.madeFolder(this.partialFolder), randomBytes(8).toString("hex")) };
  }

  private entryPath(segments: readonly string[]): string {
    checkSegments(segments, true);
    return path.join(this.checkedFolder(segments.slice(0, -1)), segments[segments.length - 1]);
  }

  private checkedFolder(segments: readonly string[]): string {
    if (segments.length === 0) return this.root;
    const key = segments.join("/");
    const known = this.folders.get(key);
    if (known) return known;
    const local = path.join(this.checkedFolder(segments.slice(0, -1)), segments[segments.length - 1]);
    const stats = lstatOf(local, segments);
    if (stats.isSymbolicLink()) throw new DrivePathError("link", drivePathOf(segments));
    if (!stats.isDirectory()) throw new DrivePathError("notFolder", drivePathOf(segments));
    this.folders.set(key, local);
    return local;
  }

  private madeFolder(segments: readonly string[]): string {
    if (segments.length === 0) return this.root;
    const key = segments.join("/");
    const known = this.folders.get(key);
    if (known) return known;
    const local = path.join(this.madeFolder(segments.slice(0, -1)), segments[segments.length - 1]);
    try {
      // mkdir never follows a link at its last step: a link there is EEXIST.
      mkdirSync(local);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fromErrno(error, segments);
      const stats = lstatOf(local, segments);
      if (stats.isSymbolicLink()) {
        try {
          unlinkSync(local);
          mkdirSync(local);
        } catch (replacing) {
          throw fromErrno(replacing, segments);
        }
      } else if (!stats.isDirectory()) throw new DrivePathError("notFolder", drivePathOf(segments));
    }
    this.folders.set(key, local);
    return local;
  }
}

/** The drive's form of a relative path, for messages. */
function drivePathOf(segments: readonly string[]): string {
  return "\\" + segments.join("\\");
}

/** Callers pass checked segments; this is the last line, so a bad one can never become a path. */
function checkSegments(segments: readonly string[], named = false): void {
  if (named && segments.length === 0) throw new DrivePathError("missing", "\\", "no file name");
  for (const segment of segments) {
    if (segment === "" || segment === "." || segment === ".." || segment.includes("/") || segment.includes("\\") || segment.includes("\0")) {
      throw new DrivePathError("missing", drivePathOf(segments), "not a path on the drive");
    }
  }
}

function lstatOf(local: string, segments: readonly string[]): Stats {
  try {
    return lstatSync(local);
  } catch (error) {
    throw fromErrno(error, segments);
  }
}

function checkSame(opened: Stats, seen: Stats, segments: readonly string[]): void {
  if (!opened.isFile()) throw new DrivePathError("special", drivePathOf(segments));
  if (opened.dev !== seen.dev || opened.ino !== seen.ino) throw new DrivePathError("changed", drivePathOf(segments));
}

function createFreshSync(partial: string, segments: readonly string[]): number {
  try {
    return openSync(partial, CREATE, 0o666);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw fromErrno(error, segments);
  }
  // A leftover (or a planted link, FIFO...) at the temporary name: unlink removes the entry itself.
  try {
    unlinkSync(partial);
    return openSync(partial, CREATE, 0o666);
  } catch (error) {
    throw fromErrno(error, segments);
  }
}

/** A fresh file at `local` holding `data` (synced to the disk when `durable`); on failure it is removed. */
function writeFreshSync(local: string, segments: readonly string[], data: string | Uint8Array, durable = false): void {
  const fd = createFreshSync(local, segments);
  try {
    writeFileSync(fd, data);
    if (durable) fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    removeQuietly(local);
    throw fromErrno(error, segments);
  }
  closeSync(fd);
}

function removeQuietly(local: string): void {
  try {
    unlinkSync(local);
  } catch {
    // What is left is under a temporary name (ending in PARTIAL_SUFFIX, or in the partial folder), which no file of the drive
    // can have, or is a file whose copy failed: logged as failed, never in a manifest, and replaced by a resumed run.
  }
}

/** A file-system error, in the terms of what stood in the way. */
function fromErrno(error: unknown, segments: readonly string[]): DrivePathError {
  if (error instanceof DrivePathError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const where = drivePathOf(segments);
  switch (code) {
    case "ENOENT":
      return new DrivePathError("missing", where);
    case "ENOTDIR":
      return new DrivePathError("notFolder", where);
    case "ELOOP":
      return new DrivePathError("link", where);
    case "EISDIR":
      return new DrivePathError("folder", where);
    case "ENXIO":
      return new DrivePathError("special", where);
    case "EACCES":
    case "EPERM":
      return new DrivePathError("denied", where);
    case "ENAMETOOLONG":
      return new DrivePathError("nameTooLong", where);
    default:
      return new DrivePathError("io", where, code ?? (error instanceof Error ? error.message : String(error)));
  }
}
