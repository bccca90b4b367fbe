/** The bound on the history a job carries (pure): what is archived, what is kept, how entries are numbered. */
import { ServiceError } from "../../shared/domain/errors";
import { assertDefinitionFits, boundHistory, HISTORY_ARCHIVE_AT, HISTORY_KEPT, historyLength, JOB_DEFINITION_MAX_CHARS } from "../../shared/domain/history";
import { createJob, Job, StateChange } from "../../shared/domain/job";
import { stateChangeMessages } from "../../shared/domain/messages";
import { domainDrive, JOB_KEY as KEY, STORAGE_ACCOUNT, T0 } from "../support/fixtures";

function newJob(overrides: Partial<Parameters<typeof createJob>[1]> = {}): Job {
  return createJob(
    KEY,
    {
      location: "westus",
      jobType: "Import",
      storageAccountId: STORAGE_ACCOUNT,
      driveList: [domainDrive("DRIVE01")],
      ...overrides,
    },
    {},
    { now: T0, actor: { id: "test", type: "User" }, rules: { creatingLifetimeMs: 1, shippingWaitMs: 1, finishedRetentionMs: 1 } },
  );
}

function entries(count: number, reasonLength = 10, start = 0): StateChange[] {
  return Array.from({ length: count }, (_, i) => ({ at: T0.toISOString(), from: "A", to: "B", by: "op", role: "operator" as const, reason: `${start + i}`.padEnd(reasonLength, ".") }));
}

test("within the bound nothing is archived", () => {
  expect(boundHistory({ ...newJob(), history: entries(HISTORY_ARCHIVE_AT.entries) })).toBeUndefined();
});

test("over the entry bound: the oldest move to a chunk numbered from the first carried entry, the newest are kept", () => {
  const job = { ...newJob(), history: entries(HISTORY_ARCHIVE_AT.entries + 1, 10, 40), historyArchived: 40 };
  const bounded = boundHistory(job)!;
  expect(bounded.job.history).toHaveLength(HISTORY_KEPT.entries);
  expect(bounded.job.history[0].reason).toMatch(/^91\./);
  expect(bounded.job.historyArchived).toBe(91);
  expect(bounded.archive.firstSequence).toBe(40);
  expect(bounded.archive.entries.map((entry) => parseInt(entry.reason, 10))).toEqual(Array.from({ length: 51 }, (_, i) => 40 + i));
  expect(historyLength(bounded.job)).toBe(historyLength(job));
});

test("over the size bound with few entries: kept entries fit the kept size", () => {
  const job = { ...newJob(), history: entries(120, 1000) };
  const bounded = boundHistory(job)!;
  const keptChars = bounded.job.history.reduce((sum, entry) => sum + JSON.stringify(entry).length + 1, 0);
  expect(keptChars).toBeLessThanOrEqual(HISTORY_KEPT.chars);
  expect(bounded.job.history.length + bounded.archive.entries.length).toBe(120);
});

test("state-change message ids keep counting from the creation after entries are archived", () => {
  const before = { ...newJob(), history: entries(100), historyArchived: 60 };
  const after = { ...before, history: [...before.history, ...entries(2, 10, 160)] };
  expect(stateChangeMessages(before, after).map((message) => message.id.split("#")[1])).toEqual(["160", "161"]);
});

test("a customer's definition must leave room for history and events: JobTooLarge", () => {
  const blobPath = Array.from({ length: 200 }, (_, i) => `/container/${String(i).padStart(4, "0")}/${"x".repeat(700)}`);
  const big = newJob({ jobType: "Export", driveList: undefined, export: { blobPath } });
  expect(JSON.stringify(big).length).toBeGreaterThan(JOB_DEFINITION_MAX_CHARS);
  let thrown: unknown;
  try {
    assertDefinitionFits(big);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ServiceError);
  expect(thrown).toMatchObject({ status: 400, code: "JobTooLarge" });
  expect(() => assertDefinitionFits(newJob())).not.toThrow();
});
