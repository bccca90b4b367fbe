/**
 * What the tools print, as pure units: byte counts, the copy agent's progress
 * line, the reason a call got no answer, and SAS signatures taken out of anything printed.
 */
import { copyProgressLine } from "../../cli/datacenter";
import { unreachableReason } from "../../cli/output";
import { formatBytes } from "../../shared/domain/byte-count";
import { redact } from "../../shared/telemetry/redact";

test("byte counts in units that fit, one wording for the tools and the portal (shared/domain/byte-count)", () => {
  // Regression: preview-export said "Drive size: 0.00 GB" for a small drive.
  expect(formatBytes(3)).toBe("3 B");
  expect(formatBytes(1_069_056)).toBe("1.07 MB");
  expect(formatBytes(370_013)).toBe("370 KB");
  expect(formatBytes(500e9)).toBe("500 GB");
  expect(formatBytes(2e12)).toBe("2.00 TB");
});

test("the agent's progress line says 100 % only once every blob is done (regression: '100.0 %, 0 of 1 blobs')", () => {
  expect(copyProgressLine({ bytesDone: 3, totalBytes: 3, blobsDone: 0, blobCount: 1, elapsedMs: 1000 })).toBe("99.9 %, 0 of 1 blobs, 3 B of 3 B, 3 B/s");
  expect(copyProgressLine({ bytesDone: 3, totalBytes: 3, blobsDone: 1, blobCount: 1, elapsedMs: 1000 })).toBe("100.0 %, 1 of 1 blobs, 3 B of 3 B, 3 B/s");
  expect(copyProgressLine({ bytesDone: 0, totalBytes: 0, blobsDone: 0, blobCount: 2, elapsedMs: 0 })).toBe("0.0 %, 0 of 2 blobs, 0 B of 0 B, 0 B/s");
  expect(copyProgressLine({ bytesDone: 999, totalBytes: 1000, blobsDone: 1, blobCount: 2, elapsedMs: 0 })).toMatch(/^99\.9 %/);
});

test("no answer at all, in words, through the causes the HTTP clients wrap it in; anything else is not about reaching", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  expect(unreachableReason(refused)).toBe("connection refused");
  expect(unreachableReason(new TypeError("fetch failed", { cause: refused }))).toBe("connection refused");
  expect(unreachableReason(new TypeError("fetch failed", { cause: new AggregateError([refused]) }))).toBe("connection refused");
  expect(unreachableReason(Object.assign(new Error("getaddrinfo ENOTFOUND x"), { code: "ENOTFOUND" }))).toBe("host not found");
  expect(unreachableReason(new DOMException("The operation timed out.", "TimeoutError"))).toBe("no answer in time");
  expect(unreachableReason(Object.assign(new Error("409 Conflict"), { code: "LeaseAlreadyPresent" }))).toBeUndefined();
  expect(unreachableReason("ECONNREFUSED")).toBeUndefined();
});

test("a SAS signature never printed: the rest of the URL kept", () => {
  const url = "http://127.0.0.1:10000/demostore/waimportexport/j_D1_verbose.xml?sv=2025-01-05&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=abc%2Bdef%3D";
  expect(redact(url)).toBe("http://127.0.0.1:10000/demostore/waimportexport/j_D1_verbose.xml?sv=2025-01-05&se=2026-01-01T00%3A00%3A00Z&sr=b&sp=r&sig=REDACTED");
  expect(redact(`{"errorLogUri":"https://a.blob.core.windows.net/c/b?SIG=x&sp=r"}`)).toBe(`{"errorLogUri":"https://a.blob.core.windows.net/c/b?SIG=REDACTED&sp=r"}`);
  expect(redact("no signature here: design=1")).toBe("no signature here: design=1");
});
