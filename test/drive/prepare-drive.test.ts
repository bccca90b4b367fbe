/**
 * prepareDrive in process: a run stopped mid-copy removes the drive folder it created, and a file
 * of whole blocks is described block by block with no empty trailing block.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MANIFEST_FILE, md5Hex, parseDriveManifest } from "../../shared/formats/drive-manifest";
import { prepareDrive, PrepareError } from "../../shared/drive-tool/prepare-drive";

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "prepare-drive-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("stopped after the first blocks: the drive folder it created is gone", async () => {
  const source = path.join(work, "source-stop");
  mkdirSync(source);
  writeFileSync(path.join(source, "a.bin"), Buffer.alloc(10_000, 1));
  writeFileSync(path.join(source, "b.bin"), Buffer.alloc(10_000, 2));
  const drive = path.join(work, "drive-stop");
  let blocksSeen = 0;

  const failure = await prepareDrive({
    drive,
    sources: [{ path: source, destination: "photos", disposition: "rename", origin: "test" }],
    blockSize: 1000,
    onProgress: () => blocksSeen++,
    aborted: () => blocksSeen > 12,
  }).catch((error: unknown) => error);

  expect(failure).toBeInstanceOf(PrepareError);
  expect((failure as PrepareError).kind).toBe("interrupted");
  expect(blocksSeen).toBeGreaterThan(12);
  expect(existsSync(drive)).toBe(false);
});

test("the manifest's Length is the bytes copied, block by block", async () => {
  const source = path.join(work, "source-len");
  mkdirSync(source);
  writeFileSync(path.join(source, "exact.bin"), Buffer.alloc(3000, 3));
  const drive = path.join(work, "drive-len");

  const result = await prepareDrive({ drive, sources: [{ path: source, destination: "cams/d", disposition: "overwrite", origin: "test" }], blockSize: 1000 });

  const manifest = parseDriveManifest(readFileSync(path.join(drive, MANIFEST_FILE), "utf8"));
  const [blob] = manifest.blobLists[0].blobs;
  expect(blob).toMatchObject({ blobPath: "cams/d/exact.bin", length: 3000, importDisposition: "overwrite" });
  expect(blob.blockList).toHaveLength(3);
  expect(result).toMatchObject({ files: 1, bytes: 3000, blobLists: 1 });
});

test("the manifest is written as the files are copied, not held to the end (bug: a million entries were built in memory first)", async () => {
  const source = path.join(work, "source-many");
  for (let folder = 0; folder < 3; folder++) {
    mkdirSync(path.join(source, `d${folder}`), { recursive: true });
    for (let index = 0; index < 500; index++) writeFileSync(path.join(source, `d${folder}`, `f${index}.txt`), `${folder}/${index}`);
  }
  const drive = path.join(work, "drive-many");
  let manifestBytesBeforeTheLastFile = 0;

  const result = await prepareDrive({
    drive,
    sources: [{ path: source, destination: "many", disposition: "rename", origin: "test" }],
    onProgress: (progress) => {
      if (progress.filesDone !== progress.filesTotal - 1 || manifestBytesBeforeTheLastFile > 0) return;
      const staging = readdirSync(drive).find((name) => name.startsWith(".prepare-"))!;
      manifestBytesBeforeTheLastFile = statSync(path.join(drive, staging, MANIFEST_FILE)).size;
    },
  });

  expect(result.files).toBe(1500);
  expect(manifestBytesBeforeTheLastFile).toBeGreaterThan(0);
  const manifest = readFileSync(path.join(drive, MANIFEST_FILE));
  expect(manifestBytesBeforeTheLastFile).toBeLessThan(manifest.length);
  expect(result.entry.manifestHash).toBe(md5Hex(manifest));
  const blobs = parseDriveManifest(manifest.toString("utf8")).blobLists[0].blobs;
  expect(blobs).toHaveLength(1500);
  expect(blobs[0]).toMatchObject({ blobPath: "many/d0/f0.txt", filePath: "\\many\\d0\\f0.txt", length: 3 });
});

test("two files for one blob, from two sources, are refused before the drive is touched, naming both", async () => {
  const first = path.join(work, "source-twin-a");
  const second = path.join(work, "source-twin-b");
  mkdirSync(path.join(first, "sub"), { recursive: true });
  mkdirSync(second, { recursive: true });
  writeFileSync(path.join(first, "sub", "x.txt"), "a");
  writeFileSync(path.join(second, "x.txt"), "b");
  const drive = path.join(work, "drive-twins");

  const failure = await prepareDrive({
    drive,
    sources: [
      { path: first, destination: "ccc", disposition: "rename", origin: "source 1" },
      { path: second, destination: "ccc/sub", disposition: "rename", origin: "source 2" },
    ],
  }).catch((error: unknown) => error);

  expect(failure).toBeInstanceOf(PrepareError);
  expect((failure as PrepareError).message).toBe(`source 2: '${path.join(second, "x.txt")}' and '${path.join(first, "sub", "x.txt")}' would both be blob 'ccc/sub/x.txt'`);
  expect(existsSync(drive)).toBe(false);
});
