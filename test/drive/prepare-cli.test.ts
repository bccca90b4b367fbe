/**
 * `npm run drive -- prepare`, run as a process against temporary folders: what lands on the drive
 * (every file byte-identical, the manifest describing it block by block, the key record), the
 * printed driveList entry, each error with its exit code and nothing left on the drive, and the
 * entry accepted by Create Job.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DriveManifest, MANIFEST_FILE, md5Hex, parseDriveManifest, resolveDriveFilePath } from "../../shared/drive/drive-manifest";
import { KEY_RECORD_FILE, keyUnlocks, parseKeyRecord, recoveryPasswordProblem } from "../../shared/drive/key-record";
import { parseMetadataFile, parsePropertiesFile } from "../../shared/drive/metadata-properties";
import { bundleCli, lastJsonLine, runCli, startCli } from "../support/cli";
import { API, call, importJobBody, jobPath, newSubscriptionId, startTestService, TestService } from "../support/service";

interface DriveListEntry {
  driveId: string;
  bitLockerKey: string;
  manifestFile: string;
  manifestHash: string;
}

let drive: string;
let work: string;

beforeAll(() => {
  drive = bundleCli("drive");
  work = mkdtempSync(path.join(os.tmpdir(), "drive-prepare-"));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

let counter = 0;
/** A fresh folder under the suite's temporary folder. */
function folder(name: string): string {
  const dir = path.join(work, `${++counter}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes `files` (relative path → content) below `root`. */
function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [relative, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), content);
  }
}

/** Reads the prepared drive back and checks it against the entry and itself; returns the manifest. */
function readPreparedDrive(driveDir: string, entry: DriveListEntry): DriveManifest {
  const manifestBytes = readFileSync(path.join(driveDir, MANIFEST_FILE));
  expect(entry.manifestFile).toBe("\\DriveManifest.xml");
  expect(entry.manifestHash).toBe(md5Hex(manifestBytes));
  expect(entry.manifestHash).toMatch(/^[0-9A-F]{32}$/);
  expect(recoveryPasswordProblem(entry.bitLockerKey)).toBeUndefined();
  const manifest = parseDriveManifest(manifestBytes.toString("utf8"));
  expect(manifest.driveId).toBe(entry.driveId);
  const record = parseKeyRecord(readFileSync(path.join(driveDir, KEY_RECORD_FILE), "utf8"));
  expect(record.driveId).toBe(entry.driveId);
  expect(keyUnlocks(record, entry.bitLockerKey)).toBe(true);
  expect(readdirSync(driveDir).filter((name) => name.startsWith("."))).toEqual([]);
  for (const list of manifest.blobLists) {
    for (const blob of list.blobs) {
      const bytes = readFileSync(resolveDriveFilePath(driveDir, blob.filePath));
      expect(bytes.length).toBe(blob.length);
      for (const block of blob.blockList!) expect(block.hash).toBe(md5Hex(bytes.subarray(block.offset, block.offset + block.length)));
    }
  }
  return manifest;
}

function blobsOf(manifest: DriveManifest) {
  return manifest.blobLists.flatMap((list) => list.blobs);
}

describe("drive prepare", () => {
  test("--help on the tool and on prepare", async () => {
    const tool = await runCli(drive, ["--help"]);
    expect(tool.code).toBe(0);
    expect(tool.stdout).toContain("prepare");
    const prepare = await runCli(drive, ["prepare", "--help"]);
    expect(prepare.code).toBe(0);
    expect(prepare.stdout).toContain("--dataset <csv>");
    expect(prepare.stdout).toContain("--disposition");
  });

  test("copies a folder with unicode and deep paths: every file byte-identical, blocks hashed, entry printed last", async () => {
    const source = folder("source");
    const deep = Array.from({ length: 40 }, (_, i) => `level${i}`).join("/");
    const files: Record<string, string | Buffer> = {
      "readme.txt": "hello\n",
      "été/日本語/файл 1 & <2>.txt": "unicode names\n",
      "emoji 😀/ok.bin": Buffer.from([0, 1, 2, 3]),
      [`${deep}/bottom.txt`]: "deep\n",
      "empty.dat": "",
      "multi/blocks.bin": Buffer.from(Array.from({ length: 3500 }, (_, i) => i % 251)),
    };
    writeTree(source, files);
    const driveDir = path.join(folder("drive"), "X");

    const run = await runCli(drive, ["prepare", "--drive", driveDir, "--source", source, "--destination", "photos/2024", "--block-size", "1000", "--drive-id", "WD-TEST01"]);

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const entry = lastJsonLine<DriveListEntry>(run.stdout);
    expect(Object.keys(entry)).toEqual(["driveId", "bitLockerKey", "manifestFile", "manifestHash"]);
    expect(entry.driveId).toBe("WD-TEST01");
    // In a pipe, progress is plain lines, never carriage returns.
    expect(run.stdout).not.toContain("\r");
    expect(run.stdout).toMatch(/6 of 6 files/);

    const manifest = readPreparedDrive(driveDir, entry);
    const blobs = blobsOf(manifest);
    expect(blobs.map((blob) => blob.blobPath).sort()).toEqual(Object.keys(files).map((relative) => `photos/2024/${relative}`).sort());
    for (const blob of blobs) {
      const relative = blob.blobPath.slice("photos/2024/".length);
      const original = Buffer.from(files[relative]);
      expect(md5Hex(readFileSync(resolveDriveFilePath(driveDir, blob.filePath)))).toBe(md5Hex(original));
      expect(blob.importDisposition).toBe("rename");
    }
    const multi = blobs.find((blob) => blob.blobPath.endsWith("multi/blocks.bin"))!;
    expect(multi.blockList!.map((block) => [block.offset, block.length])).toEqual([
      [0, 1000],
      [1000, 1000],
      [2000, 1000],
      [3000, 500],
    ]);
    expect(blobs.find((blob) => blob.blobPath.endsWith("empty.dat"))!.blockList).toEqual([]);
    expect(blobs.find((blob) => blob.blobPath.endsWith("bottom.txt"))!.filePath).toBe(`\\photos\\2024\\${deep.replace(/\//g, "\\")}\\bottom.txt`);
  });

  test("a dataset CSV with two source folders and a single file: one blob list per row, with its disposition, metadata and properties", async () => {
    const videos = folder("videos");
    const photos = folder("photos");
    writeTree(videos, { "a.mov": "movie a", "drama/b.mov": "movie b" });
    writeTree(photos, { "p1.jpg": "photo 1", "2023/p2.jpg": "photo 2" });
    const extras = folder("extras");
    writeTree(extras, {
      "favorite.iso": "iso bytes",
      "metadata.xml": `<?xml version="1.0" encoding="UTF-8"?>\n<Metadata>\n  <UploadMethod>Windows Azure Import/Export service</UploadMethod>\n  <DataSetName>SampleData</DataSetName>\n</Metadata>\n`,
      "properties.xml": `<?xml version="1.0" encoding="UTF-8"?>\n<Properties>\n  <Content-Type>video/quicktime</Content-Type>\n  <Cache-Control>no-cache</Cache-Control>\n</Properties>\n`,
    });
    const csv = path.join(extras, "dataset.csv");
    writeFileSync(
      csv,
      [
        "BasePath,DstBlobPathOrPrefix,BlobType,Disposition,MetadataFile,PropertiesFile",
        `"${videos}/",video/,BlockBlob,overwrite,metadata.xml,"${path.join(extras, "properties.xml")}"`,
        `${photos}/,photo/old/,BlockBlob,no-overwrite,None,None`,
        `"favorite.iso","favorite/FavoriteVideo.ISO",BlockBlob,rename,"None",None`,
        "",
      ].join("\r\n"),
    );
    const driveDir = folder("drive");

    const run = await runCli(drive, ["prepare", "--drive", driveDir, "--dataset", csv]);

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const manifest = readPreparedDrive(driveDir, lastJsonLine<DriveListEntry>(run.stdout));
    expect(manifest.blobLists.map((list) => list.blobs.map((blob) => [blob.blobPath, blob.importDisposition]))).toEqual([
      [
        ["video/a.mov", "overwrite"],
        ["video/drama/b.mov", "overwrite"],
      ],
      [
        ["photo/old/2023/p2.jpg", "no-overwrite"],
        ["photo/old/p1.jpg", "no-overwrite"],
      ],
      [["favorite/FavoriteVideo.ISO", "rename"]],
    ]);
    const [videoList, photoList] = manifest.blobLists;
    expect(photoList.metadataPath).toBeUndefined();
    const metadataBytes = readFileSync(resolveDriveFilePath(driveDir, videoList.metadataPath!.path));
    expect(videoList.metadataPath!.hash).toBe(md5Hex(metadataBytes));
    expect(parseMetadataFile(metadataBytes.toString())).toEqual({ UploadMethod: "Windows Azure Import/Export service", DataSetName: "SampleData" });
    const propertiesBytes = readFileSync(resolveDriveFilePath(driveDir, videoList.propertiesPath!.path));
    expect(videoList.propertiesPath!.hash).toBe(md5Hex(propertiesBytes));
    expect(parsePropertiesFile(propertiesBytes.toString())).toEqual({ contentType: "video/quicktime", cacheControl: "no-cache" });
  });

  describe("errors: exit code, one line on stderr, nothing on the drive", () => {
    function goodSource(): string {
      const source = folder("source");
      writeTree(source, { "a.txt": "a", "sub/b.txt": "b" });
      return source;
    }

    async function expectFailure(args: string[], code: number, message: RegExp, driveDir: string, driveExisted: boolean) {
      const run = await runCli(drive, ["prepare", "--drive", driveDir, ...args]);
      expect(run.code).toBe(code);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).not.toMatch(/driveId/);
      if (driveExisted) expect(readdirSync(driveDir)).toEqual([]);
      else expect(existsSync(driveDir)).toBe(false);
    }

    test.each([
      ["a missing source", () => ["--source", path.join(work, "no-such-folder"), "--destination", "photos"], /source '.*no-such-folder' does not exist/],
      ["a container name Azure refuses", () => ["--source", goodSource(), "--destination", "My_Photos/2024"], /container name 'My_Photos' must be lowercase/],
      ["a short container name", () => ["--source", goodSource(), "--destination", "ab"], /3 to 63/],
      [
        "a file whose blob name Azure refuses",
        () => {
          const source = goodSource();
          writeTree(source, { "sub/bad name./c.txt": "c" });
          return ["--source", source, "--destination", "photos"];
        },
        /bad name\.\/c\.txt.*ending in '\.'/,
      ],
      [
        "an unparseable dataset CSV",
        () => {
          const csv = path.join(folder("csv"), "dataset.csv");
          writeFileSync(csv, 'BasePath,DstBlobPathOrPrefix,BlobType,Disposition,MetadataFile,PropertiesFile\n"/data/,video/,BlockBlob,rename,None,None\n');
          return ["--dataset", csv];
        },
        /dataset CSV line 2: a quoted field is not closed/,
      ],
      [
        "a dataset CSV with the wrong header",
        () => {
          const csv = path.join(folder("csv"), "dataset.csv");
          writeFileSync(csv, "Source,Target\n/data/,video/\n");
          return ["--dataset", csv];
        },
        /the header is 'Source,Target'/,
      ],
      [
        "a metadata file that is not one",
        () => {
          const meta = path.join(folder("meta"), "meta.xml");
          writeFileSync(meta, "<Metadata><bad-name>x</bad-name></Metadata>");
          return ["--source", goodSource(), "--destination", "photos", "--metadata", meta];
        },
        /metadata file .*not a valid name/,
      ],
      ["a block size over 4 MiB", () => ["--source", goodSource(), "--destination", "photos", "--block-size", "4194305"], /block size must be 1 to 4194304/],
      ["a key that is not a recovery key", () => ["--source", goodSource(), "--destination", "photos", "--bitlocker-key", "123456-123456-123456-123456-123456-123456-123456-123456"], /group 1/],
    ])("%s → exit 3, drive not created", async (_what, args, message) => {
      await expectFailure(args(), 3, message, path.join(folder("drive"), "D"), false);
    });

    test("a drive that is not empty → exit 4, left as it was", async () => {
      const driveDir = folder("drive");
      writeFileSync(path.join(driveDir, "someone-elses.txt"), "keep me");
      const run = await runCli(drive, ["prepare", "--drive", driveDir, "--source", goodSource(), "--destination", "photos"]);
      expect(run.code).toBe(4);
      expect(run.stderr).toMatch(/is not empty/);
      expect(readdirSync(driveDir)).toEqual(["someone-elses.txt"]);
    });

    test("a drive already prepared → exit 4", async () => {
      const driveDir = folder("drive");
      const first = await runCli(drive, ["prepare", "--drive", driveDir, "--source", goodSource(), "--destination", "photos"]);
      expect(first.code).toBe(0);
      const manifestBefore = readFileSync(path.join(driveDir, MANIFEST_FILE));
      const second = await runCli(drive, ["prepare", "--drive", driveDir, "--source", goodSource(), "--destination", "other"]);
      expect(second.code).toBe(4);
      expect(second.stderr).toMatch(/already prepared/);
      expect(readFileSync(path.join(driveDir, MANIFEST_FILE))).toEqual(manifestBefore);
    });

    test("a drive inside the source → exit 4", async () => {
      const source = goodSource();
      await expectFailure(["--source", source, "--destination", "photos"], 4, /overlap/, path.join(source, "drive"), false);
    });

    test.each([
      ["no --drive", ["prepare", "--source", "/x", "--destination", "photos"], /--drive is required/],
      ["an unknown option", ["prepare", "--drive", "/tmp/x", "--colour", "red"], /^importexport-drive prepare: unknown option '--colour'$/m],
      ["--dataset with --source", ["prepare", "--drive", "/tmp/x", "--dataset", "a.csv", "--source", "/x"], /--dataset replaces/],
      ["an unknown disposition", ["prepare", "--drive", "/tmp/x", "--source", "/x", "--destination", "c", "--disposition", "replace"], /--disposition must be one of/],
      ["an unknown command", ["format"], /unknown command 'format'/],
    ])("%s → exit 2", async (_what, args, message) => {
      const run = await runCli(drive, args);
      expect(run.code).toBe(2);
      // What was wrong, then where the options are: the wording every tool uses (test/cli/tools.test.ts).
      const lines = run.stderr.trim().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[1]).toMatch(/^Run 'importexport-drive( prepare)? --help' for the options\.$/);
      expect(run.stderr).toMatch(message);
    });

    test("interrupted mid-copy (SIGINT) → exit 130 and the drive as it was", async () => {
      const source = folder("big");
      writeTree(source, { "big.bin": Buffer.alloc(48 * 1024 * 1024, 7) });
      const driveDir = folder("drive");
      const { child, done } = startCli(drive, ["prepare", "--drive", driveDir, "--source", source, "--destination", "photos", "--block-size", "1024"]);
      // The first progress line is printed once the staging folder exists and copying starts.
      await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
      expect(readdirSync(driveDir).some((name) => name.startsWith(".prepare-"))).toBe(true);
      child.kill("SIGINT");
      const run = await done;
      expect(run.code).toBe(130);
      expect(run.stderr).toMatch(/interrupted/);
      expect(readdirSync(driveDir)).toEqual([]);
    });
  });

  describe("the printed entry and Create Job", () => {
    let service: TestService;
    beforeAll(async () => {
      service = await startTestService();
    });
    afterAll(async () => {
      await service.close();
    });

    test("Create Job takes the printed driveList entry as it is: 201, and the key comes back from listBitLockerKeys", async () => {
      const source = folder("source");
      writeTree(source, { "a.txt": "a", "b/c.txt": "c" });
      const driveDir = folder("drive");
      const run = await runCli(drive, ["prepare", "--drive", driveDir, "--source", source, "--destination", "demo"]);
      expect(run.code).toBe(0);
      const entry = lastJsonLine<DriveListEntry>(run.stdout);

      const subscriptionId = newSubscriptionId();
      const job = jobPath(subscriptionId, "drive-rg", "prepared-drive");
      const created = await call(service, "PUT", `${job}?${API}`, importJobBody(subscriptionId, { properties: { driveList: [entry] } }));

      expect(created.status).toBe(201);
      expect(created.body.properties.driveList).toEqual([
        expect.objectContaining({ driveId: entry.driveId, manifestFile: entry.manifestFile, manifestHash: entry.manifestHash, state: "Specified" }),
      ]);
      const keys = await call(service, "POST", `${job}/listBitLockerKeys?${API}`);
      expect(keys.body.value).toEqual([{ driveId: entry.driveId, bitLockerKey: entry.bitLockerKey }]);
    });
  });
});
