/**
 * drive-fs.ts on real folders: every way a drive can point outside itself (a link at the name, a
 * link on the way, a FIFO, a socket, a device, a folder where a file belongs) is refused or
 * replaced, and a folder planted BESIDE the drive is byte-for-byte unchanged afterwards.
 */
import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DrivePathError, DriveTree, PARTIAL_SUFFIX } from "../../shared/drive-access/drive-fs";
import { plantBeside, replaceWithDevice, replaceWithFifo, replaceWithSocket, snapshotTree } from "../support/planted";

let work: string;
beforeAll(() => (work = mkdtempSync(path.join(os.tmpdir(), "drive-fs-"))));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
/** A drive (with `a/b.txt`) and, beside it, the station's folder with `secret.txt` and `folder/inner.txt`. */
function driveAndOutside() {
  const case_ = path.join(work, String(++counter));
  const drive = path.join(case_, "drive");
  mkdirSync(path.join(drive, "a"), { recursive: true });
  writeFileSync(path.join(drive, "a", "b.txt"), "on the drive");
  const outside = plantBeside(drive, "station", { "secret.txt": "the station's secret", "folder/inner.txt": "inner" });
  return { drive, outside, tree: new DriveTree(drive) };
}

function problemOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof DrivePathError) return error.problem;
    throw error;
  }
  return "none";
}

test("reads a regular file through real folders, and a hard link as the file it names on the drive", () => {
  const { drive, tree } = driveAndOutside();
  linkSync(path.join(drive, "a", "b.txt"), path.join(drive, "a", "hard.txt"));
  expect(tree.readFileSync(["a", "b.txt"]).toString()).toBe("on the drive");
  expect(tree.readFileSync(["a", "hard.txt"]).toString()).toBe("on the drive");
});

test("a link at the name or on the way, a FIFO, a socket, a device and a folder are refused, none opened, the outside untouched", async () => {
  const { drive, outside, tree } = driveAndOutside();
  symlinkSync(path.join(outside, "secret.txt"), path.join(drive, "a", "link.txt"));
  symlinkSync(path.join(outside, "folder"), path.join(drive, "linked"));
  replaceWithFifo(path.join(drive, "a", "fifo"));
  replaceWithDevice(path.join(drive, "a", "device"));
  const socket = await replaceWithSocket(path.join(drive, "a", "socket"));
  const before = snapshotTree(outside);
  try {
    expect(problemOf(() => tree.readFileSync(["a", "link.txt"]))).toBe("link");
    expect(problemOf(() => tree.readFileSync(["linked", "inner.txt"]))).toBe("link");
    // Would block forever if it were opened for reading without O_NONBLOCK: it is not opened at all.
    expect(problemOf(() => tree.readFileSync(["a", "fifo"]))).toBe("special");
    expect(problemOf(() => tree.readFileSync(["a", "device"]))).toBe("special");
    expect(problemOf(() => tree.readFileSync(["a", "socket"]))).toBe("special");
    expect(problemOf(() => tree.readFileSync(["a"]))).toBe("folder");
    expect(problemOf(() => tree.readFileSync(["a", "b.txt", "below-a-file"]))).toBe("notFolder");
    expect(problemOf(() => tree.readFileSync(["a", "missing.txt"]))).toBe("missing");
    expect(problemOf(() => tree.readFileSync(["a", "..", "..", "station", "secret.txt"]))).toBe("missing");
    await expect(tree.open(["linked", "inner.txt"])).rejects.toMatchObject({ problem: "link" });
  } finally {
    socket.close();
  }
  expect(snapshotTree(outside)).toEqual(before);
});

test("a file swapped under its name after it was checked is refused (the opened file must be the one lstat saw)", () => {
  const { drive, tree } = driveAndOutside();
  const seen = tree.file(["a", "b.txt"]);
  writeFileSync(path.join(drive, "a", "other.txt"), "another file");
  renameSync(path.join(drive, "a", "other.txt"), path.join(drive, "a", "b.txt"));
  expect(problemOf(() => tree.openSync(["a", "b.txt"], { seen }))).toBe("changed");
});

test("writing replaces a link (or FIFO) at the name and at the temporary name, never writes through it; a folder at the name is refused", () => {
  const { drive, outside, tree } = driveAndOutside();
  symlinkSync(path.join(outside, "secret.txt"), path.join(drive, "a", "key.json"));
  symlinkSync(path.join(outside, "secret.txt"), path.join(drive, "a", `manifest.xml${PARTIAL_SUFFIX}`));
  replaceWithFifo(path.join(drive, "a", "fifo.txt"));
  mkdirSync(path.join(drive, "a", "folder.txt"));
  const before = snapshotTree(outside);

  tree.writeFileSync(["a", "key.json"], "the key record");
  tree.writeFileSync(["a", "manifest.xml"], "the manifest", { durable: true });
  tree.writeFileSync(["a", "fifo.txt"], "a file now");

  expect(readFileSync(path.join(drive, "a", "key.json"), "utf8")).toBe("the key record");
  expect(lstatSync(path.join(drive, "a", "key.json")).isFile()).toBe(true);
  expect(readFileSync(path.join(drive, "a", "manifest.xml"), "utf8")).toBe("the manifest");
  expect(readFileSync(path.join(drive, "a", "fifo.txt"), "utf8")).toBe("a file now");
  expect(problemOf(() => tree.writeFileSync(["a", "folder.txt"], "x"))).toBe("folder");
  expect(lstatSync(path.join(drive, "a", "folder.txt")).isDirectory()).toBe(true);
  expect(() => lstatSync(path.join(drive, "a", `folder.txt${PARTIAL_SUFFIX}`))).toThrow();
  expect(snapshotTree(outside)).toEqual(before);
});

test("creating a file at its name replaces a link, a FIFO or a leftover there, never writes through it; a folder at the name is refused and left as it was", () => {
  const { drive, outside, tree } = driveAndOutside();
  symlinkSync(path.join(outside, "secret.txt"), path.join(drive, "a", "linked.bin"));
  symlinkSync(path.join(outside, "folder"), path.join(drive, "a", "linked-folder.bin"));
  replaceWithFifo(path.join(drive, "a", "fifo.bin"));
  writeFileSync(path.join(drive, "a", "leftover.bin"), "a torn file from a run that died, longer than the new one");
  mkdirSync(path.join(drive, "a", "folder.bin"));
  writeFileSync(path.join(drive, "a", "folder.bin", "in-the-way"), "x");
  const before = snapshotTree(outside);

  tree.createFileSync(["a", "linked.bin"], "one");
  tree.createFileSync(["a", "linked-folder.bin"], "two");
  tree.createFileSync(["a", "fifo.bin"], Buffer.from("three"));
  tree.createFileSync(["a", "leftover.bin"], "four");
  tree.createFileSync(["a", "new", "made.bin"], "five");

  for (const [name, text] of [["linked.bin", "one"], ["linked-folder.bin", "two"], ["fifo.bin", "three"], ["leftover.bin", "four"], ["new/made.bin", "five"]]) {
    const local = path.join(drive, "a", ...name.split("/"));
    expect(lstatSync(local).isFile()).toBe(true);
    expect(readFileSync(local, "utf8")).toBe(text);
  }
  expect(problemOf(() => tree.createFileSync(["a", "folder.bin"], "x"))).toBe("folder");
  expect(readdirSync(path.join(drive, "a", "folder.bin"))).toEqual(["in-the-way"]);
  expect(snapshotTree(outside)).toEqual(before);
});

test("removing a file at its name removes the entry (a leftover, a link, a FIFO), never what a link points at; a folder there, or a link on the way, is left as it is", () => {
  const { drive, outside, tree } = driveAndOutside();
  symlinkSync(path.join(outside, "secret.txt"), path.join(drive, "a", "linked.bin"));
  replaceWithFifo(path.join(drive, "a", "fifo.bin"));
  mkdirSync(path.join(drive, "a", "folder.bin"));
  symlinkSync(path.join(outside, "folder"), path.join(drive, "linked-folder"));
  const before = snapshotTree(outside);

  expect([tree.removeFileSync(["a", "b.txt"]), tree.removeFileSync(["a", "linked.bin"]), tree.removeFileSync(["a", "fifo.bin"])]).toEqual([true, true, true]);
  expect([tree.removeFileSync(["a", "folder.bin"]), tree.removeFileSync(["linked-folder", "inner.txt"]), tree.removeFileSync(["a", "none.bin"]), tree.removeFileSync(["none", "x.bin"])]).toEqual([false, false, false, false]);

  expect(readdirSync(path.join(drive, "a"))).toEqual(["folder.bin"]);
  expect(snapshotTree(outside)).toEqual(before);
});

test("making folders replaces a link in a folder's place by a real folder (its target untouched); a file in a folder's place is refused", async () => {
  const { drive, outside, tree } = driveAndOutside();
  symlinkSync(path.join(outside, "folder"), path.join(drive, "container"));
  const before = snapshotTree(outside);

  tree.writeFileSync(["container", "deep", "file.txt"], "written on the drive");
  const partial = await tree.createPartial(["container", "big.bin"]);
  await partial.handle.write(Buffer.from("big"));
  await partial.handle.close();
  await partial.commit();

  expect(lstatSync(path.join(drive, "container")).isDirectory()).toBe(true);
  expect(readFileSync(path.join(drive, "container", "deep", "file.txt"), "utf8")).toBe("written on the drive");
  expect(readFileSync(path.join(drive, "container", "big.bin"), "utf8")).toBe("big");
  expect(problemOf(() => tree.makeFolder(["a", "b.txt"]))).toBe("notFolder");
  expect(snapshotTree(outside)).toEqual(before);
});

test("a tree with a partial folder writes a 255-byte name (its temporary name short, in that folder); a link in the partial folder's place is replaced, never written through; removing the folder removes what was left in it, never what a link there points at", async () => {
  const { drive, outside } = driveAndOutside();
  const tree = new DriveTree(drive, { partialFolder: ["_tool", ".partial"] });
  mkdirSync(path.join(drive, "_tool"));
  symlinkSync(path.join(outside, "folder"), path.join(drive, "_tool", ".partial"));
  const before = snapshotTree(outside);
  const longest = "n".repeat(251) + ".bin";

  tree.writeFileSync(["a", longest], "at the limit");
  const partial = await tree.createPartial(["a", "big.bin"]);
  await partial.handle.write(Buffer.from("big"));
  await partial.handle.close();
  await partial.commit();
  const left = await tree.createPartial(["a", "failed.bin"]);
  await left.handle.close();
  symlinkSync(path.join(outside, "secret.txt"), path.join(drive, "_tool", ".partial", "planted"));

  expect(readFileSync(path.join(drive, "a", longest), "utf8")).toBe("at the limit");
  expect(readFileSync(path.join(drive, "a", "big.bin"), "utf8")).toBe("big");
  expect(lstatSync(path.join(drive, "_tool", ".partial")).isDirectory()).toBe(true);
  expect(readdirSync(path.join(drive, "_tool", ".partial"))).toHaveLength(2);
  tree.removePartialFolder();
  expect(readdirSync(path.join(drive, "_tool"))).toEqual([]);
  expect(readdirSync(path.join(drive, "a")).sort()).toEqual(["b.txt", "big.bin", longest].sort());
  expect(snapshotTree(outside)).toEqual(before);
  // Made again when written again after the removal.
  tree.writeFileSync(["a", "again.txt"], "again");
  expect(readFileSync(path.join(drive, "a", "again.txt"), "utf8")).toBe("again");
});

test("a bounded read gives a file within the bound, nothing past it, and refuses a link or FIFO as any open does", () => {
  const { drive, outside, tree } = driveAndOutside();
  writeFileSync(path.join(drive, "a", "big.xml"), Buffer.alloc(1025));
  symlinkSync(path.join(outside, "secret.txt"), path.join(drive, "a", "link.xml"));
  replaceWithFifo(path.join(drive, "a", "fifo.xml"));

  expect(tree.readFileWithinSync(["a", "b.txt"], 1024)?.toString()).toBe("on the drive");
  expect(tree.readFileWithinSync(["a", "big.xml"], 1024)).toBeUndefined();
  expect(problemOf(() => tree.readFileWithinSync(["a", "link.xml"], 1024))).toBe("link");
  expect(problemOf(() => tree.readFileWithinSync(["a", "fifo.xml"], 1024))).toBe("special");
});
