/**
 * The export blob list (the XML `blobListBlobPath` points at) and the rule that packs an export's
 * blobs onto drives, pure.
 */
import { BlobListFormatError, parseExportBlobList, splitPrefix, writeExportBlobList } from "../../shared/formats/export-blob-list";
import { blobFootprint, fillDrive, parseDriveSize, planExport, usableBytes } from "../../shared/formats/export-packing";

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
