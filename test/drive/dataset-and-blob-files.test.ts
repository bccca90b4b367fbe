/**
 * The WAImportExport dataset CSV and the metadata and properties files.
 */
import * as path from "node:path";
import { DatasetError, parseDatasetCsv } from "../../shared/formats/dataset-csv";
import {
  BlobFileFormatError,
  parseMetadataFile,
  parsePropertiesFile,
  writePropertiesFile,
} from "../../shared/formats/metadata-properties";

const HEADER = "BasePath,DstBlobPathOrPrefix,BlobType,Disposition,MetadataFile,PropertiesFile";
const FOLDER = path.resolve("/data/csv");

describe("dataset CSV", () => {
  it("reads the documented sample: a file row and a folder row, quoted and unquoted", () => {
    const rows = parseDatasetCsv(
      `${HEADER}\r\n"/src/50M_original/100M_1.csv.txt","containername/100M_1.csv.txt",BlockBlob,rename,"None",None\r\n"/src/50M_original/","containername/",BlockBlob,rename,"None",None\r\n`,
      FOLDER,
    );
    expect(rows).toEqual([
      { line: 2, basePath: path.resolve("/src/50M_original/100M_1.csv.txt"), isFolder: false, destination: "containername/100M_1.csv.txt", blobType: "BlockBlob", disposition: "rename" },
      { line: 3, basePath: path.resolve("/src/50M_original"), isFolder: true, destination: "containername/", blobType: "BlockBlob", disposition: "rename" },
    ]);
  });

  it("takes defaults, relative paths from the CSV's folder, metadata files, URL destinations and quoted commas", () => {
    const rows = parseDatasetCsv(
      `${HEADER}\nphotos\\,https://acct.blob.core.windows.net/photos/2024/,,,meta.xml,"props, final.xml"\n"a ""quoted"", name.txt",docs/a.txt,Block,No-Overwrite,none,\n`,
      FOLDER,
    );
    expect(rows[0]).toMatchObject({
      basePath: path.join(FOLDER, "photos"),
      isFolder: true,
      destination: "photos/2024/",
      disposition: "rename",
      metadataFile: path.join(FOLDER, "meta.xml"),
      propertiesFile: path.join(FOLDER, "props, final.xml"),
    });
    expect(rows[1]).toMatchObject({ basePath: path.join(FOLDER, 'a "quoted", name.txt'), isFolder: false, destination: "docs/a.txt", disposition: "no-overwrite" });
    expect(rows[1].metadataFile).toBeUndefined();
  });

  it.each([
    ["an empty file", "", "empty"],
    ["a wrong header", "Path,Destination\n/a/,c/\n", "the header is"],
    ["no rows", `${HEADER}\n`, "no rows"],
    ["a short row", `${HEADER}\n/a/,c/,BlockBlob\n`, "line 2: 3 fields"],
    ["a page blob", `${HEADER}\n/a/,c/,PageBlob,rename,None,None\n`, "BlobType 'PageBlob'"],
    ["an unknown disposition", `${HEADER}\n/a/,c/,BlockBlob,replace,None,None\n`, "Disposition 'replace'"],
    ["a folder without a trailing slash on its destination", `${HEADER}\n/a/,c/dir,BlockBlob,rename,None,None\n`, "must end with '/'"],
    ["a folder with only a container", `${HEADER}\n/a/,c,BlockBlob,rename,None,None\n`, "'container/'"],
    ["a file with a folder destination", `${HEADER}\n/a.txt,c/,BlockBlob,rename,None,None\n`, "'container/blob-name'"],
    ["an unclosed quote", `${HEADER}\n"/a/,c/,BlockBlob,rename,None,None\n`, "not closed"],
    ["a stray quote", `${HEADER}\n/a"b/,c/,BlockBlob,rename,None,None\n`, "quote inside"],
    ["text after a closing quote", `${HEADER}\n"/a/"x,c/,BlockBlob,rename,None,None\n`, "after a closing quote"],
  ])("refuses %s", (_what, text, message) => {
    expect(() => parseDatasetCsv(text, FOLDER)).toThrow(DatasetError);
    expect(() => parseDatasetCsv(text, FOLDER)).toThrow(message);
  });

  it.each([
    ["an unquoted field", (big: string) => `${HEADER}\n${big},c/,BlockBlob,rename,None,None\n`],
    ["a quoted field", (big: string) => `${HEADER}\n"${big}",c/,BlockBlob,rename,None,None\n`],
    ["a field the rules would quote back", (big: string) => `${HEADER}\n/a/,c/,${big},rename,None,None\n`],
    ["the header", (big: string) => `${big}\n/a/,c/,BlockBlob,rename,None,None\n`],
  ])("refuses a 20 MB field in %s without echoing it whole (bug: the message held all of it)", (_what, csv) => {
    const text = csv("x".repeat(20 * 1024 * 1024));
    let message = "";
    try {
      parseDatasetCsv(text, FOLDER);
    } catch (error) {
      expect(error).toBeInstanceOf(DatasetError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/longer than 16384 characters/);
    expect(message.length).toBeLessThan(300);
  });

  it("quotes a long value in a message only in part", () => {
    expect(() => parseDatasetCsv(`${HEADER}\n/a/,c/,${"P".repeat(5000)},rename,None,None\n`, FOLDER)).toThrow(/BlobType 'P{100}… \(5000 characters\)' is not supported/);
  });
});

describe("metadata and properties files", () => {
  it("reads every metadata name and every property an import sets, with XML escapes", () => {
    const metadata = `<?xml version="1.0" encoding="UTF-8"?>
<Metadata>
  <UploadMethod>Windows Azure Import/Export service</UploadMethod>
  <DataSetName>SampleData &amp; more</DataSetName>
  <CreationDate>10/1/2013</CreationDate>
</Metadata>
`;
    expect(parseMetadataFile(metadata)).toEqual({ UploadMethod: "Windows Azure Import/Export service", DataSetName: "SampleData & more", CreationDate: "10/1/2013" });
    const md5 = Buffer.alloc(16, 1).toString("base64");
    const properties = `<?xml version="1.0" encoding="UTF-8"?>
<Properties>
  <Content-Type>image/jpeg</Content-Type>
  <Content-MD5>${md5}</Content-MD5>
  <Content-Encoding>identity</Content-Encoding>
  <Content-Language>en-US</Content-Language>
  <Cache-Control>no-cache</Cache-Control>
</Properties>
`;
    expect(parsePropertiesFile(properties)).toEqual({ contentType: "image/jpeg", contentLanguage: "en-US", cacheControl: "no-cache", contentEncoding: "identity", contentMD5: md5 });
  });

  it("refuses metadata beyond Azure's 8 KiB of names and values, which the commit would refuse", () => {
    const within = `<Metadata><a>${"x".repeat(8191)}</a></Metadata>`;
    expect(parseMetadataFile(within)).toEqual({ a: "x".repeat(8191) });
    expect(() => parseMetadataFile(`<Metadata><a>${"x".repeat(8191)}</a><b>y</b></Metadata>`)).toThrow(/8194 bytes .* at most 8192/);
  });

  it("reads an export's properties file: the export-only properties, in the documented order, and Content-Disposition", () => {
    const exported = { lastModified: "Thu, 26 Nov 2026 02:41:20 GMT", etag: '"0x8DC0"', contentLength: "12", contentType: "text/plain", contentDisposition: 'attachment; filename="a.txt"' };
    const text = writePropertiesFile(exported);
    expect(text.split("\n").slice(2, 7).map((line) => line.trim().replace(/>.*$/, ">"))).toEqual(["<Last-Modified>", "<Etag>", "<Content-Length>", "<Content-Type>", "<Content-Disposition>"]);
    expect(parsePropertiesFile(text)).toEqual(exported);
  });

  it("reads the documented sample with indentation", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<Metadata>
    <UploadMethod>Windows Azure Import/Export service</UploadMethod>
    <DataSetName>SampleData</DataSetName>
</Metadata>`;
    expect(parseMetadataFile(xml)).toEqual({ UploadMethod: "Windows Azure Import/Export service", DataSetName: "SampleData" });
  });

  it.each([
    ["a metadata name starting with a digit", () => parseMetadataFile("<Metadata><1st>x</1st></Metadata>"), "not well-formed"],
    ["a metadata name with a hyphen", () => parseMetadataFile("<Metadata><my-name>x</my-name></Metadata>"), "not a valid name"],
    ["a repeated metadata name", () => parseMetadataFile("<Metadata><a>x</a><A>y</A></Metadata>"), "twice"],
    ["a non-ASCII metadata value", () => parseMetadataFile("<Metadata><a>été</a></Metadata>"), "HTTP header"],
    ["another root", () => parseMetadataFile("<Properties/>"), "not <Metadata>"],
    ["an unknown property", () => parsePropertiesFile("<Properties><Content-Location>x</Content-Location></Properties>"), "unknown property"],
    ["a Content-MD5 that is not 16 bytes", () => parsePropertiesFile("<Properties><Content-MD5>abc=</Content-MD5></Properties>"), "16-byte"],
  ])("refuses %s", (_what, read, message) => {
    expect(read).toThrow(BlobFileFormatError);
    expect(read).toThrow(message);
  });
});
