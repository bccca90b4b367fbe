/**
 * Every customer string that becomes part of a blob name or a table key fits the limits of each
 * place it ends up, after every transformation (lower-casing, base64, the prefixes and suffixes the
 * service adds), counted in bytes. Regression (issue 20, item 2): a `diagnosticsPath` of 305
 * non-ASCII characters was accepted, then its job's BlobCleanup index key (the blob prefix in
 * base64) was over Table Storage's key limit, so the job could never be deleted; lower-casing `İ`
 * made log blob names of ~1,100 characters. Pure unit tests, property-based where the input is a
 * string.
 */
import * as fc from "fast-check";
import { copyLogLocation } from "../../shared/copy/copy-log-names";
import { diagnosticsPathProblem, driveBlobName, historyChunkName, incompleteBlobListName, jobBlobPrefix, MAX_DIAGNOSTICS_PATH_BYTES } from "../../shared/domain/log-blobs";
import { BLOB_NAME_MAX_BYTES, BLOB_NAME_MAX_SEGMENTS, NAME_LIMITS, TABLE_KEY_MAX_CHARS, utf8Bytes } from "../../shared/domain/storage-limits";
import { jobParams } from "../../shared/api/schemas";
import { DeadlineIndex, IndexTables, jobSubject, parseEntry } from "../../shared/storage/deadline-index.store";
import { partitionKeyOf, rowKeyOf } from "../../shared/storage/jobs.store";

/** The longest names the API takes: every bound below is reached with these. */
const LONGEST_KEY = {
  subscriptionId: "6E2B5F6A-0000-4000-8000-000000000001",
  resourceGroup: `R${"g".repeat(NAME_LIMITS.resourceGroup - 2)})`,
  name: `J${"o".repeat(NAME_LIMITS.jobName - 1)}`,
};
const LONGEST_DRIVE_ID = `D${"r".repeat(NAME_LIMITS.driveId - 1)}`;
/** History chunk names carry sequence numbers of ten digits. */
const LAST_SEQUENCE = 9_999_999_999;

/** Characters that grow when encoded or lower-cased: 'İ' lower-cases to two code units (3 bytes). */
const WIDE = ["İ", "漢", "😀", "ü", "ß", "Σ", "a", "-", " "];
const wideText = (maxLength: number) => fc.string({ unit: fc.constantFrom(...WIDE), minLength: 1, maxLength, size: "max" });
/** Paths of every size around the budget: a container, then segments of wide characters. */
const diagnosticsPath = fc
  .tuple(fc.stringMatching(/^[a-z0-9]{3,20}$/), fc.array(wideText(200), { maxLength: 6, size: "max" }), fc.boolean())
  .map(([container, directory, trailingSlash]) => [container, ...directory.map((segment) => segment.trim() || "x")].join("/") + (trailingSlash ? "/" : ""))
  .filter((path) => !path.split("/").some((segment) => segment.endsWith(".")));

/** `logs/` and two-byte characters (within the 512-character limit), then ASCII to make up `bytes`. */
function pathOfBytes(bytes: number): string {
  const fill = bytes - "logs/".length;
  return `logs/${"ü".repeat(Math.floor(fill / 2))}${"a".repeat(fill % 2)}`;
}

/** Every name the service writes under a job's prefix, at the longest names. */
function serviceBlobNames(path: string): string[] {
  const job = { key: LONGEST_KEY, diagnosticsPath: path };
  return [
    ...(["errorLog", "verboseLog", "manifest"] as const).map((kind) => driveBlobName(job, LONGEST_DRIVE_ID, kind)),
    incompleteBlobListName(job),
    historyChunkName(job, LAST_SEQUENCE, LAST_SEQUENCE),
  ];
}

/** Characters no table key may hold (Table Storage's data model). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const FORBIDDEN_IN_KEYS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

function expectValidKey(key: string): void {
  expect(key.length).toBeLessThanOrEqual(TABLE_KEY_MAX_CHARS);
  expect(key).not.toMatch(FORBIDDEN_IN_KEYS);
}

const noTables: IndexTables = {
  service: undefined as never,
  client: () => {
    throw new Error("entryOf builds keys without storage");
  },
};
const index = new DeadlineIndex(noTables, "deadlines", 16, { creatingLifetimeMs: 1, shippingWaitMs: 1, finishedRetentionMs: 1, shippingResponseWindowMs: 1, returnAddressWaitMs: 1, arrivalReturnMs: 1, arrivalDestroyMs: 1 } as never);
const DUE = "2026-11-23T10:00:00.000Z";

describe("the limits behind the names", () => {
  test("the API's name rules are the names the limits assume: one character more is refused", () => {
    const params = { subscriptionId: LONGEST_KEY.subscriptionId, resourceGroupName: LONGEST_KEY.resourceGroup, jobName: LONGEST_KEY.name };
    expect(jobParams.safeParse(params).success).toBe(true);
    expect(jobParams.safeParse({ ...params, resourceGroupName: `x${params.resourceGroupName}` }).success).toBe(false);
    expect(jobParams.safeParse({ ...params, jobName: `${params.jobName}x` }).success).toBe(false);
    expect(LONGEST_KEY.subscriptionId).toHaveLength(NAME_LIMITS.subscriptionId);
  });

  test("the jobs table's keys and the expiry index's job entries fit at the longest names", () => {
    expectValidKey(partitionKeyOf(LONGEST_KEY));
    expectValidKey(rowKeyOf(LONGEST_KEY));
    for (const kind of ["CreatingExpiry", "ShippingOverdue", "ShippingClose", "Purge", "ReturnAddressExpiry", "Outbox"] as const) {
      expectValidKey(index.entryOf({ kind, dueAt: DUE }, jobSubject({ key: LONGEST_KEY })).rowKey);
    }
  });
});

describe("diagnosticsPath", () => {
  test(`accepted: every blob name the service builds under it, at the longest names, is at most ${1024} bytes and ${254} segments`, () => {
    fc.assert(
      fc.property(diagnosticsPath, (path) => {
        if (diagnosticsPathProblem(path) !== undefined) return;
        for (const name of serviceBlobNames(path)) {
          expect(utf8Bytes(name)).toBeLessThanOrEqual(BLOB_NAME_MAX_BYTES);
          expect(name.split("/").length).toBeLessThanOrEqual(BLOB_NAME_MAX_SEGMENTS);
        }
        // The copy agent's logs in the customer's account, under the same path.
        for (const kind of ["error", "verbose", "incompleteBlobList"] as const) {
          expect(utf8Bytes(copyLogLocation({ key: LONGEST_KEY, diagnosticsPath: path }, LONGEST_DRIVE_ID, kind).blobName)).toBeLessThanOrEqual(BLOB_NAME_MAX_BYTES);
        }
      }),
      { numRuns: 500, endOnFailure: true },
    );
  });

  test("the budget is exact: a path of the most bytes allowed is accepted and fits, one byte more is refused naming the limit", () => {
    const longest = pathOfBytes(MAX_DIAGNOSTICS_PATH_BYTES);
    expect(utf8Bytes(longest)).toBe(MAX_DIAGNOSTICS_PATH_BYTES);
    expect(diagnosticsPathProblem(longest)).toBeUndefined();
    expect(Math.max(...serviceBlobNames(longest).map(utf8Bytes))).toBe(BLOB_NAME_MAX_BYTES);
    expect(diagnosticsPathProblem(pathOfBytes(MAX_DIAGNOSTICS_PATH_BYTES + 1))).toMatch(new RegExp(`at most ${MAX_DIAGNOSTICS_PATH_BYTES} bytes`));
  });

  test("305 non-ASCII characters (the issue's path) are refused: 920 bytes with 'logs/'", () => {
    expect(diagnosticsPathProblem(`logs/${"漢".repeat(305)}`)).toMatch(/920 bytes.*at most \d+ bytes/);
  });

  test("lower-casing is counted: 250 'İ' are 500 bytes as sent but 750 once lower-cased, and refused; 250 'Ä' stay 500 and pass", () => {
    expect(diagnosticsPathProblem(`logs/${"İ".repeat(250)}`)).toMatch(/755 bytes/);
    expect(diagnosticsPathProblem(`logs/${"Ä".repeat(250)}`)).toBeUndefined();
  });
});

describe("a deleted job's BlobCleanup index entry", () => {
  test("its key fits whatever path the job was stored with (even one refused today), and the entry gives the prefix back", () => {
    fc.assert(
      fc.property(fc.oneof(diagnosticsPath, wideText(512)), (path) => {
        const job = { key: LONGEST_KEY, diagnosticsPath: path };
        const prefix = jobBlobPrefix(job);
        const entry = index.entryOf({ kind: "BlobCleanup", dueAt: DUE }, { type: "blobs", partitionKey: partitionKeyOf(job.key), rowKey: rowKeyOf(job.key), prefix });
        expectValidKey(entry.rowKey);
        expect(parseEntry(entry.table, entry.shard, entry.rowKey, { Prefix: prefix })?.subject).toEqual(entry.subject);
      }),
      { numRuns: 300, endOnFailure: true },
    );
  });

  test("the issue's job: 305 non-ASCII characters, or ~500 ASCII, stored before paths were measured", () => {
    for (const path of [`logs/${"é".repeat(305)}`, `logs/${"x".repeat(495)}`]) {
      const prefix = jobBlobPrefix({ key: LONGEST_KEY, diagnosticsPath: path });
      expect(prefix.startsWith(path.toLowerCase())).toBe(true);
      expectValidKey(index.entryOf({ kind: "BlobCleanup", dueAt: DUE }, { type: "blobs", partitionKey: "p", rowKey: "r", prefix }).rowKey);
    }
  });

  test("an entry written before keys were hashed (the prefix in base64url in the key) still reads back", () => {
    const prefix = "waimportexport/sub/rg/job/";
    const legacy = `${DUE}|BlobCleanup|blobs|sub:rg|job|${Buffer.from(prefix, "utf8").toString("base64url")}`;
    expect(parseEntry("deadlines20261123", "s1", legacy)?.subject).toEqual({ type: "blobs", partitionKey: "sub:rg", rowKey: "job", prefix });
  });
});
