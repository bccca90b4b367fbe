/**
 * `npm run drive -- prepare` and links: a link below --source is skipped with a warning line (never
 * followed out of the source silently), as are FIFOs and other special files; and the output drive's
 * leftovers (a dead run's staging folder, lost+found) are never followed when prepare cleans up.
 * Each plants a folder BESIDE the source or drive and asserts it is byte-for-byte unchanged.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MANIFEST_FILE, parseDriveManifest } from "../../shared/drive/drive-manifest";
import { bundleCli, lastJsonLine, runCli } from "../support/cli";
import { plantBeside, replaceWithFifo, snapshotTree } from "../support/planted";
import { readFileSync } from "node:fs";

let driveTool: string;
let work: string;

beforeAll(() => {
  driveTool = bundleCli("drive");
  work = mkdtempSync(path.join(os.tmpdir(), "prepare-links-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function folder(name: string): string {
  const dir = path.join(work, `${++counter}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

test("links below --source (to a file and to a folder outside it) and a FIFO are skipped, one warning line each; the rest is prepared and the outside is unchanged", async () => {
  const source = path.join(folder("case"), "source");
  mkdirSync(path.join(source, "sub"), { recursive: true });
  writeFileSync(path.join(source, "real.txt"), "real");
  writeFileSync(path.join(source, "sub", "also.txt"), "also");
  const outside = plantBeside(source, "home", { "secret.txt": "the customer's secret", "docs/private.txt": "private" });
  symlinkSync(path.join(outside, "secret.txt"), path.join(source, "secret.txt"));
  symlinkSync(path.join(outside, "docs"), path.join(source, "sub", "docs"));
  replaceWithFifo(path.join(source, "pipe"));
  const before = snapshotTree(outside);
  const drive = path.join(folder("drive"), "volume");

  const run = await runCli(driveTool, ["prepare", "--drive", drive, "--source", source, "--destination", "photos"], { timeoutMs: 20_000 });

  expect(run.code).toBe(0);
  const warnings = run.stderr.trim().split("\n");
  expect(warnings).toEqual([
    expect.stringMatching(/^importexport-drive: warning: skipped '.*pipe': not a regular file or folder/),
    expect.stringMatching(/^importexport-drive: warning: skipped '.*secret\.txt': a symbolic link/),
    expect.stringMatching(/^importexport-drive: warning: skipped '.*docs': a symbolic link/),
  ]);
  expect(run.stdout).toMatch(/3 skipped/);
  const manifest = parseDriveManifest(readFileSync(path.join(drive, MANIFEST_FILE), "utf8"));
  expect(manifest.blobLists[0].blobs.map((blob) => blob.blobPath)).toEqual(["photos/real.txt", "photos/sub/also.txt"]);
  expect(lastJsonLine(run.stdout)).toHaveProperty("manifestHash");
  expect(snapshotTree(outside)).toEqual(before);
});

test("a dead run's staging folder that is a link, one holding a link, and a linked lost+found on the output drive: cleaned up or left, never followed", async () => {
  const source = folder("source");
  writeFileSync(path.join(source, "a.txt"), "a");
  const drive = path.join(folder("drive"), "volume");
  mkdirSync(path.join(drive, ".prepare-deadbeef0001"), { recursive: true });
  const outside = plantBeside(drive, "station", { "keep.txt": "keep", "folder/keep.txt": "keep too" });
  symlinkSync(outside, path.join(drive, ".prepare-deadbeef0000"));
  symlinkSync(path.join(outside, "folder"), path.join(drive, ".prepare-deadbeef0001", "inside"));
  symlinkSync(outside, path.join(drive, "lost+found"));
  const before = snapshotTree(outside);

  const run = await runCli(driveTool, ["prepare", "--drive", drive, "--source", source, "--destination", "photos"]);

  expect(run.code).toBe(0);
  expect(snapshotTree(outside)).toEqual(before);
});
