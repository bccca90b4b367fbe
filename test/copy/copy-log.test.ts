/**
 * The drive log format, pure: the writer's XML reads back to the same log, the error log keeps only
 * what went wrong, and the summary counts each blob under the code that explains it.
 */
import { copyDriveStatus, DriveLog, errorLogOf, issueKind, parseDriveLog, summarize, writeDriveLog } from "../../shared/copy/copy-log";
import { copyLogLocation, diagnosticsLocation } from "../../shared/copy/copy-log-names";

const LOG: DriveLog = {
  driveId: "9CA995BB",
  status: "CompletedWithErrors",
  blobs: [
    {
      status: "Completed",
      blobPath: "pictures/bob/wild/desert.jpg",
      filePath: "\\Users\\bob\\Pictures\\wild\\desert.jpg",
      length: 98304,
      importDisposition: { status: "Created", value: "overwrite" },
      blocks: [
        { offset: 0, length: 65536, id: "AAAAAA==", hash: "9C8AE14A55241F98533C4D80D85CDC68", status: "Completed" },
        { offset: 65536, length: 32768, id: "AQAAAA==", hash: "DF54C531C9B3CA2570FDDDB3BCD0E27D", status: "Completed" },
      ],
      metadata: { status: "Completed", globalPath: { path: "\\Users\\bob\\Pictures\\wild\\metadata.xml", hash: "E34F54B7086BCF4EC1601D056F4C7E37" } },
    },
    {
      status: "CompletedWithErrors",
      blobPath: "pictures/bob/animals/koala & <friends>.jpg",
      filePath: "\\Users\\bob\\Pictures\\animals\\koala & <friends>.jpg",
      length: 163840,
      importDisposition: { status: "Cancelled", value: "rename" },
      blocks: [
        { offset: 0, length: 65536, hash: "19701B8877418393CB3CB567F53EE225", status: "Uncommitted" },
        { offset: 65536, length: 65536, hash: "AA2585F6F6FD01C4AD4256E018240CD4", status: "Corrupted" },
        { offset: 131072, length: 32768, hash: "9BA552E1C3EEAFFC91B42B979900A996", status: "Cancelled" },
      ],
      properties: { status: "Completed", path: { path: "\\Users\\bob\\koala.jpg.properties", hash: "38D7AE80653F47F63C0222FEE90EC4E7" } },
    },
    { status: "FileNotFound", blobPath: "pictures/gone.jpg", filePath: "\\gone.jpg", length: 10, importDisposition: { status: "Cancelled", value: "rename" } },
    { status: "Completed", blobPath: "pictures/dup (2).jpg", filePath: "\\dup.jpg", length: 5, importDisposition: { status: "Renamed", value: "rename" } },
  ],
};

test("a written log reads back to the same log, escaping included", () => {
  const xml = writeDriveLog(LOG);
  expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<DriveLog Version="2014-11-01">/);
  expect(xml).toContain("<BlobPath>pictures/bob/animals/koala &amp; &lt;friends&gt;.jpg</BlobPath>");
  expect(xml).toContain('<ImportDisposition Status="Renamed">rename</ImportDisposition>');
  expect(parseDriveLog(xml)).toEqual(JSON.parse(JSON.stringify(LOG)));
});

test("the error log keeps the blobs with errors or warnings, and only their failed blocks", () => {
  const errors = errorLogOf(LOG);
  expect(errors.blobs.map((blob) => blob.blobPath)).toEqual(["pictures/bob/animals/koala & <friends>.jpg", "pictures/gone.jpg", "pictures/dup (2).jpg"]);
  expect(errors.blobs[0].blocks?.map((block) => block.status)).toEqual(["Uncommitted", "Corrupted", "Cancelled"]);
  expect(errors.status).toBe("CompletedWithErrors");
});

test("each blob counts under the code that explains it; dispositions alone are warnings", () => {
  expect(LOG.blobs.map(issueKind)).toEqual([undefined, "Corrupted", "FileNotFound", "Renamed"]);
  expect(summarize(LOG)).toEqual({ blobsCopied: 2, issuesByKind: { Corrupted: 1, FileNotFound: 1, Renamed: 1 } });
  expect(copyDriveStatus(LOG.blobs)).toBe("CompletedWithErrors");
  expect(copyDriveStatus([LOG.blobs[0], LOG.blobs[3]])).toBe("CompletedWithWarnings");
  expect(copyDriveStatus([LOG.blobs[0]])).toBe("Completed");
});

test("logs go in the diagnostics path's container and virtual directory; an unusable path falls back to waimportexport", () => {
  expect(copyLogLocation({ key: { name: "myjob" } }, "9ca995bb", "error")).toEqual({ container: "waimportexport", blobName: "myjob_9CA995BB_error.xml" });
  expect(copyLogLocation({ key: { name: "myjob" }, diagnosticsPath: "mylogs/2026/run" }, "D1", "verbose")).toEqual({ container: "mylogs", blobName: "2026/run/myjob_D1_verbose.xml" });
  expect(diagnosticsLocation("../etc")).toEqual({ container: "waimportexport", prefix: "" });
  expect(diagnosticsLocation("logs/../../x")).toEqual({ container: "waimportexport", prefix: "" });
});
