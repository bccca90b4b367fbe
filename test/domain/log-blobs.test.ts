/** Blob names are built only from checked segments (issue 11, item 1): pure unit tests of the builder. */
import { blobName, blobSegmentProblem, diagnosticsPathProblem, driveBlobName, isSafeBlobName, jobBlobPrefix } from "../../shared/domain/log-blobs";

const KEY = { subscriptionId: "6E2B5F6A-0000-4000-8000-000000000001", resourceGroup: "My-RG", name: "Job-1" };

describe("blobName", () => {
  test.each(["", ".", "..", "a.", "a\\b", "a\u0000b", "a\u001fb", "a\u007fb", "a\u0085b", "\ud800", "x\udc00", "\uffff"])("refuses the segment %j", (segment) => {
    expect(blobSegmentProblem(segment)).toEqual(expect.any(String));
    expect(() => blobName("ok", segment)).toThrow(/Refusing to build a blob name/);
  });

  test.each(["a", ".hidden", "run 1", "ünïcode", "😀", "a.b", "%2e%2e"])("joins the segment %j", (segment) => {
    expect(blobSegmentProblem(segment)).toBeUndefined();
    expect(blobName("ok", segment)).toBe(`ok/${segment}`);
  });

  test("isSafeBlobName checks every segment of a whole name or prefix", () => {
    expect(isSafeBlobName("waimportexport/sub/rg/job/")).toBe(true);
    expect(isSafeBlobName("waimportexport/../victim/error.log")).toBe(false);
    expect(isSafeBlobName("waimportexport//x")).toBe(false);
    expect(isSafeBlobName("")).toBe(false);
  });
});

describe("job blob names", () => {
  test("the default path, then subscription, resource group and job in lower case; drive ids upper case", () => {
    expect(jobBlobPrefix({ key: KEY })).toBe("waimportexport/6e2b5f6a-0000-4000-8000-000000000001/my-rg/job-1/");
    expect(driveBlobName({ key: KEY, diagnosticsPath: "Logs/Run-1/" }, "drive01", "errorLog")).toBe(
      "logs/run-1/6e2b5f6a-0000-4000-8000-000000000001/my-rg/job-1/drives/DRIVE01/error.log",
    );
  });

  test.each(["../victim-container", "..", "\u0000", "\ud800", "a//b"])("a stored path %j that isn't acceptable falls back to the default", (diagnosticsPath) => {
    expect(diagnosticsPathProblem(diagnosticsPath)).toEqual(expect.any(String));
    expect(jobBlobPrefix({ key: KEY, diagnosticsPath })).toBe("waimportexport/6e2b5f6a-0000-4000-8000-000000000001/my-rg/job-1/");
  });

  test("a drive id that isn't a safe segment is refused, not joined", () => {
    expect(() => driveBlobName({ key: KEY }, "..", "errorLog")).toThrow();
  });
});
