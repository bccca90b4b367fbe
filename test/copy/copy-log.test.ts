/**
 * The drive log format, pure: the writer's XML reads back to the same log, the error log keeps only
 * what went wrong, and the summary counts each blob under the code that explains it.
 */
import { copyDriveStatus, DriveLog, errorLogOf, issueKind, parseDriveLog, summarize, writeDriveLog } from "../../shared/copy/copy-log";
import { copyLogLocation, diagnosticsLocation, MAX_COPY_LOG_NAME_CHARS, runStateName } from "../../shared/copy/copy-log-names";
import { newCreationId } from "../../shared/domain/job";

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

test("a drive error's whole reason is kept in the log (StatusDescription), and read back", () => {
  const log: DriveLog = { driveId: "D1", blobs: [], status: "ManifestNotFound", description: `ManifestNotFound: ${"x".repeat(2000)} <&>` };
  const xml = writeDriveLog(log);
  expect(xml).toContain("<StatusDescription>ManifestNotFound: ");
  expect(parseDriveLog(xml)).toEqual(log);
  expect(parseDriveLog(writeDriveLog({ ...LOG, description: undefined }))).toEqual(LOG);
});

describe("run-state names are one job's own (issue 21 §2)", () => {
  const created = new Date("2026-03-01T10:20:30.456Z");

  test("logs are named jobname_driveid_timestamp_logtype.xml, the timestamp the job's creation id", () => {
    const job = { key: { name: "myjob" }, creationId: "20260301T102030456Z-0123456789abcdef" };
    expect(copyLogLocation(job, "9ca995bb", "error").blobName).toBe("myjob_9CA995BB_20260301T102030456Z-0123456789abcdef_error.xml");
    expect(copyLogLocation(job, "", "incompleteBlobList").blobName).toBe("myjob_20260301T102030456Z-0123456789abcdef_incomplete-blobs.xml");
    expect(newCreationId(created)).toMatch(/^20260301T102030456Z-[0-9a-f]{16}$/);
  });

  test("regression: names that joined into one blob or one journal (a_b/c and a/b_c, one name in two resource groups, a re-created job) now differ", () => {
    const jobs = [
      { subscriptionId: "s", resourceGroup: "x_y", name: "zz", creationId: newCreationId(created) },
      { subscriptionId: "s", resourceGroup: "x", name: "y_zz", creationId: newCreationId(created) },
      { subscriptionId: "s", resourceGroup: "other", name: "zz", creationId: newCreationId(created) },
      // Deleted and created again in the same millisecond, even.
      { subscriptionId: "s", resourceGroup: "x_y", name: "zz", creationId: newCreationId(created) },
    ];
    const drives = ["A_B", "B", "a"];
    const logNames = jobs.flatMap((job) => drives.flatMap((drive) => (["error", "verbose"] as const).map((kind) => copyLogLocation({ key: job, creationId: job.creationId }, drive, kind).blobName)));
    const lists = jobs.map((job) => copyLogLocation({ key: job, creationId: job.creationId }, "", "incompleteBlobList").blobName);
    expect(new Set([...logNames, ...lists]).size).toBe(logNames.length + lists.length);
    // Job a_b with drive C and job a with drive B_C, one creation id apart, never meet.
    expect(copyLogLocation({ key: { name: "a_b" }, creationId: jobs[0].creationId }, "C", "error").blobName).not.toBe(copyLogLocation({ key: { name: "a" }, creationId: jobs[1].creationId }, "B_C", "error").blobName);
    const journals = jobs.flatMap((job) => drives.map((drive) => runStateName(job, drive)));
    expect(new Set(journals).size).toBe(journals.length);
    // The same job, named in another case, is the same journal (ARM names compare without case).
    expect(runStateName({ ...jobs[0], resourceGroup: "X_Y", name: "ZZ" }, "a_b")).toBe(runStateName(jobs[0], "A_B"));
  });

  test("names fit their limits: a log name after the diagnostics path, a journal's file name", () => {
    const longest = { key: { name: "j".repeat(64) }, creationId: newCreationId(created) };
    for (const kind of ["error", "verbose", "incompleteBlobList"] as const) {
      expect(copyLogLocation(longest, "D".repeat(64), kind).blobName.length).toBeLessThanOrEqual(MAX_COPY_LOG_NAME_CHARS);
    }
    expect(copyLogLocation(longest, "D".repeat(64), "verbose").blobName.length).toBe(MAX_COPY_LOG_NAME_CHARS);
    const journal = `${runStateName({ subscriptionId: "0".repeat(36), resourceGroup: "r".repeat(90), name: "j".repeat(64), creationId: longest.creationId }, "D".repeat(64))}.plan.json`;
    expect(Buffer.byteLength(journal)).toBeLessThanOrEqual(255);
    expect(journal).toMatch(/^[a-z0-9_.-]+$/);
  });

  test("jobs stored before creation ids keep the names their logs already have", () => {
    expect(copyLogLocation({ key: { name: "myjob" } }, "D1", "error").blobName).toBe("myjob_D1_error.xml");
  });
});
