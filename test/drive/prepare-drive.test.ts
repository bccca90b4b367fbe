/**
 * prepareDrive in process: a run stopped mid-copy removes the drive folder it created, and a file
 * of whole blocks is described block by block with no empty trailing block.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MANIFEST_FILE, parseDriveManifest } from "../../shared/formats/drive-manifest";
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
