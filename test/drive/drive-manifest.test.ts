/**
 * The drive manifest: writer → reader round trip, the documented shape of the XML, and the
 * reader's refusals (each departure from the format names what is wrong).
 */
import * as path from "node:path";
import {
  blockIdFor,
  DriveManifest,
  driveFilePath,
  effectiveMetadataPath,
  ManifestFormatError,
  md5Hex,
  ManifestEntry,
  MAX_MANIFEST_TOKEN_CHARS,
  parseDriveManifest,
  readDriveManifest,
  resolveDriveFilePath,
  totalLength,
  writeDriveManifest,
} from "../../shared/formats/drive-manifest";

const HASH_A = md5Hex("a");
const HASH_B = md5Hex("b");

function sampleManifest(): DriveManifest {
  return {
    version: "2014-11-01",
    driveId: "9CA995BA",
    clientCreator: "import-export-service drive tool",
    blobLists: [
      {
        metadataPath: { path: "\\ImportMetadata\\metadata-1.xml", hash: HASH_A },
        propertiesPath: { path: "\\ImportMetadata\\properties-1.xml", hash: HASH_B },
        blobs: [
          {
            blobPath: "photos/2024/été & <noël> \"x\".jpg",
            filePath: "\\photos\\2024\\été & <noël> \"x\".jpg",
            length: 10,
            importDisposition: "no-overwrite",
            blockList: [
              { offset: 0, length: 6, id: blockIdFor(0), hash: HASH_A },
              { offset: 6, length: 4, id: blockIdFor(1), hash: HASH_B },
            ],
          },
          { blobPath: "photos/empty", filePath: "\\photos\\empty", length: 0, blockList: [] },
        ],
      },
      {
        blobs: [
          {
            blobPath: "video/a.mov",
            filePath: "\\video\\a.mov",
            clientData: "from camera 2",
            length: 3,
            importDisposition: "overwrite",
            blockList: [{ offset: 0, length: 3, id: blockIdFor(0), hash: HASH_A }],
            metadataPath: { path: "\\ImportMetadata\\metadata-2.xml", hash: HASH_B },
          },
        ],
      },
    ],
  };
}

/** A one-blob manifest with `blob` spliced in, for the reader's refusals. */
function manifestWithBlob(blob: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<DriveManifest Version="2014-11-01"><Drive><DriveId>D1</DriveId><BlobList><Blob>${blob}</Blob></BlobList></Drive></DriveManifest>`;
}
const okBlock = `<BlockList><Block Offset="0" Length="3" Id="${blockIdFor(0)}" Hash="${HASH_A}"/></BlockList>`;

function formatError(xml: string): string {
  try {
    parseDriveManifest(xml);
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestFormatError);
    return (error as Error).message;
  }
  throw new Error("the manifest was accepted");
}

describe("drive manifest writer and reader", () => {
  it("round-trips a manifest, escaped characters and optional elements included", () => {
    const manifest = sampleManifest();
    const xml = writeDriveManifest(manifest);
    expect(parseDriveManifest(xml)).toEqual(manifest);
    expect(totalLength(manifest)).toBe(13);
  });

  it("writes the documented element layout", () => {
    const xml = writeDriveManifest(sampleManifest());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<DriveManifest Version="2014-11-01">\n  <Drive>\n    <DriveId>9CA995BA</DriveId>\n')).toBe(true);
    expect(xml).toContain(`      <MetadataPath Hash="${HASH_A}">\\ImportMetadata\\metadata-1.xml</MetadataPath>`);
    expect(xml).toContain("<BlobPath>photos/2024/été &amp; &lt;noël&gt; &quot;x&quot;.jpg</BlobPath>");
    expect(xml).toContain(`<Block Offset="6" Length="4" Id="${blockIdFor(1)}" Hash="${HASH_B}"/>`);
    expect(xml).toContain("<ImportDisposition>no-overwrite</ImportDisposition>");
    // Order within a blob, as documented: path, file, client data, length, disposition, blocks, metadata.
    const blob = xml.slice(xml.indexOf("<BlobPath>video/a.mov"));
    const order = ["<BlobPath>", "<FilePath>", "<ClientData>", "<Length>", "<ImportDisposition>", "<BlockList>", "<MetadataPath"].map((tag) => blob.indexOf(tag));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(xml).not.toMatch(/StorageAccountKey|ContainerSas/);
  });

  it("reads a hand-written manifest with comments, single quotes, entities and a page range list", () => {
    const xml = `\uFEFF<?xml version="1.0" encoding="utf-8"?>
<!-- written by hand -->
<DriveManifest Version='2014-11-01'>
  <Drive>
    <DriveId>WD-WCAV12345</DriveId>
    <StorageAccountKey>a2V5</StorageAccountKey>
    <ClientCreator>Microsoft Azure Import/Export Tool, Version=1.4.0.300</ClientCreator>
    <BlobList>
      <Blob>
        <BlobPath>vhds/disk&#x31;.vhd</BlobPath>
        <FilePath>\\vhds\\disk1.vhd</FilePath>
        <Length>1024</Length>
        <PageRangeList>
          <PageRange Offset="0" Length="512" Hash="${HASH_A.toLowerCase()}"/>
          <PageRange Offset="512" Length="512" Hash="${HASH_B}"/>
        </PageRangeList>
      </Blob>
      <Blob>
        <BlobPath><![CDATA[docs/a&b.txt]]></BlobPath>
        <FilePath>\\docs\\a&amp;b.txt</FilePath>
        <Length>3</Length>
        <BlockList><Block Offset="0" Length="3" Hash="${HASH_A}"/></BlockList>
      </Blob>
    </BlobList>
  </Drive>
</DriveManifest>
`;
    const manifest = parseDriveManifest(xml);
    expect(manifest.driveId).toBe("WD-WCAV12345");
    expect(manifest.storageAccountKey).toBe("a2V5");
    const [vhd, doc] = manifest.blobLists[0].blobs;
    expect(vhd.blobPath).toBe("vhds/disk1.vhd");
    expect(vhd.pageRangeList).toEqual([
      { offset: 0, length: 512, hash: HASH_A },
      { offset: 512, length: 512, hash: HASH_B },
    ]);
    expect(doc.blobPath).toBe("docs/a&b.txt");
    expect(doc.filePath).toBe("\\docs\\a&b.txt");
    expect(doc.blockList).toEqual([{ offset: 0, length: 3, hash: HASH_A }]);
  });

  it.each([
    ["a DOCTYPE (no entity expansion)", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><DriveManifest Version="2014-11-01"/>`, "DOCTYPE"],
    ["another version", `<DriveManifest Version="2011-01-01"><Drive><DriveId>D</DriveId></Drive></DriveManifest>`, "version '2011-01-01'"],
    ["another root", `<Manifest/>`, "not <DriveManifest>"],
    ["no DriveId", `<DriveManifest Version="2014-11-01"><Drive><BlobList/></Drive></DriveManifest>`, "no <DriveId>"],
    ["DriveId after a BlobList", `<DriveManifest Version="2014-11-01"><Drive><BlobList/><DriveId>D</DriveId></Drive></DriveManifest>`, "before any <BlobList>"],
    ["both credentials", `<DriveManifest Version="2014-11-01"><Drive><DriveId>D</DriveId><StorageAccountKey>k</StorageAccountKey><ContainerSas>s</ContainerSas></Drive></DriveManifest>`, "both"],
    ["an unknown element", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length>${okBlock}<Colour>red</Colour>`), "unexpected <Colour>"],
    ["a repeated element", manifestWithBlob(`<BlobPath>c/b</BlobPath><BlobPath>c/d</BlobPath><FilePath>\\b</FilePath><Length>3</Length>${okBlock}`), "more than one <BlobPath>"],
    ["a missing Length", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath>${okBlock}`), "no <Length>"],
    ["a negative Length", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>-3</Length>${okBlock}`), "not a non-negative integer"],
    ["blocks shorter than Length", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>4</Length>${okBlock}`), "cover 3 bytes"],
    [
      "a gap between blocks",
      manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>4</Length><BlockList><Block Offset="0" Length="2" Hash="${HASH_A}"/><Block Offset="3" Length="1" Hash="${HASH_A}"/></BlockList>`),
      "expected 2",
    ],
    [
      "a block over 4 MB",
      manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>4194305</Length><BlockList><Block Offset="0" Length="4194305" Hash="${HASH_A}"/></BlockList>`),
      "is 4194305 bytes",
    ],
    ["a bad hash", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length><BlockList><Block Offset="0" Length="3" Hash="xyz"/></BlockList>`), "not a Base16 MD5"],
    [
      "ids on some blocks only",
      manifestWithBlob(
        `<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>4</Length><BlockList><Block Offset="0" Length="2" Id="${blockIdFor(0)}" Hash="${HASH_A}"/><Block Offset="2" Length="2" Hash="${HASH_A}"/></BlockList>`,
      ),
      "some blocks",
    ],
    ["a block id that is not Base64", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length><BlockList><Block Offset="0" Length="3" Id="n#t" Hash="${HASH_A}"/></BlockList>`), "not Base64"],
    ["an unknown disposition", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length><ImportDisposition>replace</ImportDisposition>${okBlock}`), "'replace'"],
    ["neither list", manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length>`), "neither"],
    ["an unknown entity", manifestWithBlob(`<BlobPath>c/&nbsp;</BlobPath><FilePath>\\b</FilePath><Length>3</Length>${okBlock}`), "unknown entity"],
    ["a bare ampersand", manifestWithBlob(`<BlobPath>c/a & b</BlobPath><FilePath>\\b</FilePath><Length>3</Length>${okBlock}`), "entity"],
    ["a mismatched closing tag", `<DriveManifest Version="2014-11-01"><Drive><DriveId>D</DriveId></Drive></DriveManifes>`, "closes"],
    ["content after the root", `<DriveManifest Version="2014-11-01"><Drive><DriveId>D</DriveId></Drive></DriveManifest><x/>`, "after the root"],
    ["a control character", `<DriveManifest Version="2014-11-01"><Drive><DriveId>D\u0001</DriveId></Drive></DriveManifest>`, "not allowed"],
  ])("refuses %s", (_what, xml, message) => {
    expect(formatError(xml)).toContain(message);
  });

  it("leaves blob names to the agent: an invalid or repeated blob path is read, not refused", () => {
    const xml = manifestWithBlob(`<BlobPath>Bad Container/x</BlobPath><FilePath>\\x</FilePath><Length>3</Length>${okBlock}`);
    expect(parseDriveManifest(xml).blobLists[0].blobs[0].blobPath).toBe("Bad Container/x");
  });

  it("uses a blob's own metadata file before its list's default", () => {
    const manifest = sampleManifest();
    const [first, second] = manifest.blobLists;
    expect(effectiveMetadataPath(first, first.blobs[0])?.path).toBe("\\ImportMetadata\\metadata-1.xml");
    expect(effectiveMetadataPath(second, second.blobs[0])?.path).toBe("\\ImportMetadata\\metadata-2.xml");
  });
});

/** The bytes of `text` in pieces of `size`, as a file read streams them. */
async function* pieces(text: string, size: number, afterEach?: (index: number) => void): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, "utf8");
  for (let offset = 0, index = 0; offset < bytes.length; offset += size, index++) {
    yield bytes.subarray(offset, offset + size);
    afterEach?.(index);
  }
}

function manyBlobs(count: number): DriveManifest {
  const blobs = Array.from({ length: count }, (_, index) => ({
    blobPath: `c/file-${index}.txt`,
    filePath: `\\c\\file-${index}.txt`,
    length: 3,
    importDisposition: "rename" as const,
    blockList: [{ offset: 0, length: 3, id: blockIdFor(0), hash: HASH_A }],
  }));
  return { version: "2014-11-01", driveId: "D1", blobLists: [{ blobs: blobs.slice(0, count / 2) }, { metadataPath: { path: "\\m.xml", hash: HASH_B }, blobs: blobs.slice(count / 2) }] };
}

describe("the manifest read as it streams", () => {
  it("refuses 100,000 nested elements as a format error, not a stack overflow (bug: RangeError crashed the agent)", () => {
    const deep = "<x>".repeat(100_000) + "</x>".repeat(100_000);
    expect(formatError(manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length>${okBlock}<ClientData>${deep}</ClientData>`))).toContain("nested too deep");
    expect(formatError(`<DriveManifest Version="2014-11-01">${deep}</DriveManifest>`)).toContain("exactly one <Drive>");
  });

  it("gives the same blobs and totals in pieces of any size as the whole file", async () => {
    const manifest = manyBlobs(40);
    const xml = writeDriveManifest(manifest);
    for (const size of [1, 7, 100, 4096]) {
      const entries: ManifestEntry[] = [];
      const summary = await readDriveManifest(pieces(xml, size), (entry) => void entries.push(entry));
      expect(summary).toEqual({ version: "2014-11-01", driveId: "D1", blobCount: 40, totalBytes: 120, listCount: 2 });
      expect(entries.map((entry) => entry.blob)).toEqual(manifest.blobLists.flatMap((list) => list.blobs));
      expect(entries.map((entry) => entry.index)).toEqual([...Array(40).keys()]);
      expect(entries[39].list).toEqual({ metadataPath: { path: "\\m.xml", hash: HASH_B } });
    }
  });

  it("hands each blob on as soon as it is read, before the rest of the file is asked for", async () => {
    const xml = writeDriveManifest(manyBlobs(200));
    const handed: number[] = [];
    const askedAfter: number[] = [];
    await readDriveManifest(
      pieces(xml, 1024, () => askedAfter.push(handed.length)),
      (entry) => void handed.push(entry.index),
    );
    // Blobs were handed on while the file was still being read, piece by piece.
    expect(askedAfter[1]).toBeGreaterThan(0);
    expect(askedAfter[askedAfter.length - 2]).toBeLessThan(200);
  });

  it("refuses a token longer than its bound as the file streams, holding no more of it", async () => {
    const xml = manifestWithBlob(`<BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length>${okBlock}<ClientData>${"x".repeat(2 * MAX_MANIFEST_TOKEN_CHARS)}</ClientData>`);
    await expect(readDriveManifest(pieces(xml, 64 * 1024))).rejects.toThrow(/token longer than/);
    expect(formatError(xml)).toContain("characters of text");
  });

  it("refuses a list's default metadata file after its first blob: its blobs were read without it", () => {
    const blob = `<Blob><BlobPath>c/b</BlobPath><FilePath>\\b</FilePath><Length>3</Length>${okBlock}</Blob>`;
    const xml = `<DriveManifest Version="2014-11-01"><Drive><DriveId>D1</DriveId><BlobList>${blob}<MetadataPath Hash="${HASH_A}">\\m.xml</MetadataPath></BlobList></Drive></DriveManifest>`;
    expect(formatError(xml)).toContain("must come before its first <Blob>");
  });

  it("refuses a blob of more elements than blocks a blob may have", () => {
    const blocks = Array.from({ length: 50_100 }, () => "<Colour/>").join("");
    expect(formatError(manifestWithBlob(`<BlobPath>c/b</BlobPath>${blocks}`))).toContain("more than 50064 elements");
  });
});

describe("drive file paths", () => {
  const root = path.resolve("/mnt/drive");

  it("maps the drive form to a local path below the drive", () => {
    expect(driveFilePath(["photos", "été", "a.jpg"])).toBe("\\photos\\été\\a.jpg");
    expect(resolveDriveFilePath(root, "\\photos\\été\\a.jpg")).toBe(path.join(root, "photos", "été", "a.jpg"));
    expect(resolveDriveFilePath(root, "photos/a.jpg")).toBe(path.join(root, "photos", "a.jpg"));
  });

  it.each(["\\..\\etc\\passwd", "a\\..\\..\\b", "C:\\windows", "", "\\", "a\\\\b", "a/./b"])("refuses '%s', which does not name a file on the drive", (filePath) => {
    expect(() => resolveDriveFilePath(root, filePath)).toThrow(ManifestFormatError);
  });

  it("gives fixed-length Base64 block ids", () => {
    const ids = [0, 9, 49_999].map(blockIdFor);
    expect(new Set(ids.map((id) => Buffer.from(id, "base64").length)).size).toBe(1);
    expect(Buffer.from(ids[2], "base64").toString()).toBe("block-049999");
  });
});
