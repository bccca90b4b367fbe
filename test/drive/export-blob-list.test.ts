/**
 * The export blob list (the XML `blobListBlobPath` points at) and the rule that packs an export's
 * blobs onto drives, pure.
 */
import { BlobListFormatError, parseExportBlobList, splitPrefix, writeExportBlobList } from "../../shared/formats/export-blob-list";
import { blobFootprint, fillDrive, parseDriveSize, planExport, usableBytes } from "../../shared/formats/export-packing";
import { exportedBlobFiles } from "../../shared/formats/export-blob-files";

test("the documented example parses, and what the writer writes parses back the same", () => {
  const example = `<?xml version="1.0" encoding="utf-8"?>
<BlobList>
<BlobPath>pictures/animals/koala.jpg</BlobPath>
<BlobPathPrefix>/vhds/</BlobPathPrefix>
<BlobPathPrefix>/movies/</BlobPathPrefix>
</BlobList>`;
  const selection = parseExportBlobList(example);
  expect(selection).toEqual({ blobPath: ["pictures/animals/koala.jpg"], blobPathPrefix: ["/vhds/", "/movies/"] });
  expect(parseExportBlobList(writeExportBlobList({ blobPath: ["a/b & c<d>.txt"], blobPathPrefix: ["/"] }))).toEqual({ blobPath: ["a/b & c<d>.txt"], blobPathPrefix: ["/"] });
});

test.each([
  ["<List><BlobPath>a/b</BlobPath></List>", /root element is <List>/],
  ["<BlobList></BlobList>", /names no <BlobPath>/],
  ["<BlobList><BlobPath>nocontainer</BlobPath></BlobList>", /'container\/blob'/],
  ["<BlobList><BlobPathPrefix>music/</BlobPathPrefix></BlobList>", /starts with '\/'/],
  ["<BlobList><Blob>x</Blob></BlobList>", /unexpected element <Blob>/],
  ["<BlobList><BlobPath>a/b</BlobPath>", /not well-formed/],
  // Regression: a '..' segment was taken, and the request URL's normalisation moved it into another container.
  ["<BlobList><BlobPath>photos/../private/key.pem</BlobPath></BlobList>", /'\.\.' path segment/],
  ["<BlobList><BlobPath>../private/key.pem</BlobPath></BlobList>", /container name '\.\.'/],
  ["<BlobList><BlobPathPrefix>/../</BlobPathPrefix></BlobList>", /container name '\.\.'/],
  ["<BlobList><BlobPathPrefix>/photos/./x</BlobPathPrefix></BlobList>", /'\.' path segment/],
])("a blob list that is not one is refused: %s", (xml, message) => {
  expect(() => parseExportBlobList(xml)).toThrow(BlobListFormatError);
  expect(() => parseExportBlobList(xml)).toThrow(message);
});

test("prefixes as documented: / the account, /book containers starting with book, /music/love blobs of music starting with love", () => {
  expect(splitPrefix("/")).toEqual({ containerPrefix: "", blobPrefix: "" });
  expect(splitPrefix("/book")).toEqual({ containerPrefix: "book", blobPrefix: "" });
  expect(splitPrefix("/music/")).toEqual({ container: "music", blobPrefix: "" });
  expect(splitPrefix("/music/love")).toEqual({ container: "music", blobPrefix: "love" });
});

test("a drive takes blobs in order until the next does not fit; one too large for any drive is passed over", () => {
  const blob = (length: number) => ({ blobPath: "c/x.bin", length });
  const drive = 2 * 1024 * 1024;
  const one = blobFootprint(blob(300_000));
  const blobs = [blob(300_000), blob(5 * 1024 * 1024), blob(300_000), blob(300_000), blob(300_000), blob(300_000)];
  expect(usableBytes(drive)).toBeGreaterThanOrEqual(3 * one);
  expect(usableBytes(drive)).toBeLessThan(4 * one);

  expect(fillDrive(blobs, 0, drive)).toMatchObject({ taken: [0, 2, 3], tooLarge: [1], next: 4 });
  expect(fillDrive(blobs, 4, drive)).toMatchObject({ taken: [4, 5], tooLarge: [], next: 6 });
  const plan = planExport(blobs, drive);
  expect(plan.drives.map((entry) => entry.blobs)).toEqual([3, 2]);
  expect(plan.tooLarge).toEqual({ blobs: 1, bytes: 5 * 1024 * 1024 });
});

test("drive sizes: decimal GB and TB as drives are sold, binary units, bare bytes", () => {
  expect(parseDriveSize("500GB")).toBe(500e9);
  expect(parseDriveSize("1.5 TB")).toBe(1.5e12);
  expect(parseDriveSize("64MiB")).toBe(64 * 2 ** 20);
  expect(parseDriveSize("1048576")).toBe(1048576);
  expect(parseDriveSize("lots")).toBeUndefined();
  expect(parseDriveSize("0")).toBeUndefined();
});

test("a blob whose name cannot be a file on the drive is passed over, taking no room; the preview counts it as not exportable", () => {
  const blob = (name: string, length = 300_000) => ({ blobPath: `c/${name}`, length });
  const drive = 2 * 1024 * 1024;
  const blobs = [blob("a.bin"), blob("CON"), blob("b.bin"), blob("c:d.bin", 7), blob("e.bin"), blob("f.bin")];

  expect(fillDrive(blobs, 0, drive)).toMatchObject({ taken: [0, 2, 4], tooLarge: [], unnamable: [1, 3], next: 5 });
  const plan = planExport(blobs, drive);
  expect(plan.exportable.blobs).toBe(4);
  expect(plan.unnamable).toEqual({ blobs: 2, bytes: 300_007 });
});

test("a 255-byte name's metadata and properties files keep within a file name's 255 bytes, each its own name", () => {
  const details = { metadata: { a: "1" }, properties: { contentType: "text/plain" } };
  const long = (last: string) => exportedBlobFiles(`c/dir/${"n".repeat(250)}${last}`, details);
  const [one, two] = [long("1.bin"), long("2.bin")];
  const names = [one.metadata!.filePath, one.properties.filePath, two.metadata!.filePath, two.properties.filePath].map((file) => file.split("\\").pop()!);
  for (const name of names) expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
  expect(new Set(names).size).toBe(4);
  expect(one.properties.filePath).toMatch(/^\\_ImportExport\\c\\dir\\n+~[0-9a-f]{16}\.properties\.xml$/);
  // A short name keeps its plain form.
  expect(exportedBlobFiles("c/a.txt", details).properties.filePath).toBe("\\_ImportExport\\c\\a.txt.properties.xml");
  // Wide characters are cut whole, within the bytes.
  const wide = exportedBlobFiles(`c/${"é".repeat(127)}`, details).properties.filePath.split("\\").pop()!;
  expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(255);
  expect(wide).not.toContain("\uFFFD");
});

test("a blob named like another's shortened file name gets files of its own: no blob can take (or, failing, remove) another's metadata or properties file", () => {
  const details = { metadata: { a: "1" }, properties: { contentType: "text/plain" } };
  const long = exportedBlobFiles(`c/${"n".repeat(250)}`, details);
  const shortened = long.properties.filePath.split("\\").pop()!.slice(0, -".properties.xml".length);
  expect(shortened).toMatch(/~[0-9a-f]{16}$/);
  const lookalike = exportedBlobFiles(`c/${shortened}`, details);
  expect(lookalike.properties.filePath).not.toBe(long.properties.filePath);
  expect(lookalike.metadata!.filePath).not.toBe(long.metadata!.filePath);
  expect(Buffer.byteLength(lookalike.properties.filePath.split("\\").pop()!)).toBeLessThanOrEqual(255);
});
