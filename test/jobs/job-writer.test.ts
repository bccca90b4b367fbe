/**
 * The one write order (service/operations/job-writer.ts), with the stores replaced by recorders: index entry,
 * history archive, job, messages. And the messages' outbox while the queue is down is bounded: a
 * long outage must not grow a job until it can't be written (a sibling of the unbounded history).
 * Nothing it fails at is silent: a queue that refuses is a warning with its cause, and a message
 * that could not be kept either is logged as lost (the bug this pins: the outbox write's failure was
 * swallowed, the notification gone without a trace).
 */
import { HISTORY_ARCHIVE_AT, OUTBOX_MAX_CHARS } from "../../shared/domain/history";
import { Job, StateChange } from "../../shared/domain/job";
import { OutboundMessage } from "../../shared/domain/messages";
import { DeadlineCover, JobWriter } from "../../shared/service/operations/job-writer";
import { JobsStore, StoredJob } from "../../shared/storage/jobs.store";
import { ServiceMetrics } from "../../shared/telemetry/metrics";
import { creatingJob } from "../support/fixtures";
import { recordingLogger } from "../support/logs";

function message(i: number): OutboundMessage {
  return { id: `job#${i}`, type: "notice", audience: "operators", kind: "Test", message: "m".repeat(900), at: "2026-03-01T00:00:00.000Z", job: { subscriptionId: "s", resourceGroup: "r", name: "j" } };
}

/** Stores that record the calls made to them, in order, as `store.method`. */
function recorders(calls: string[], options: { queueDown?: boolean; outboxWriteFails?: boolean } = {}) {
  let stored: StoredJob | undefined;
  let replaces = 0;
  const index: DeadlineCover = {
    cover: async () => (calls.push("index.cover"), "2026-03-02T00:00:00.000Z"),
    coverMany: async (jobs) => (calls.push("index.coverMany"), jobs.map(() => undefined)),
  };
  const archive = { archive: async () => void calls.push("archive.archive") };
  const queue = {
    publish: async () => {
      calls.push("queue.publish");
      if (options.queueDown) throw new Error("queue down: 503 ServerBusy");
      return 1;
    },
  };
  const jobs = {
    insert: async (job: Job, indexedDue?: string) => (calls.push("jobs.insert"), (stored = { job, etag: "e1", indexedDue })),
    replace: async (job: Job, _base: StoredJob, bookkeeping: { indexedDue?: string }) => {
      calls.push("jobs.replace");
      if (options.outboxWriteFails && ++replaces > 1) throw Object.assign(new Error("The condition specified using HTTP conditional header(s) is not met."), { statusCode: 412 });
      return (stored = { job, etag: "e2", ...bookkeeping });
    },
    mark: async (base: StoredJob, columns: { indexedDue?: string }) => (calls.push("jobs.mark"), (stored = { ...base, ...columns })),
  } as unknown as JobsStore;
  const { log, records } = recordingLogger();
  const failures: { messages: number; source: string }[] = [];
  const metrics: ServiceMetrics = { stateChanges: () => {}, sweep: () => {}, queuePublishFailed: (messages, source) => void failures.push({ messages, source }) };
  return { writer: new JobWriter(jobs, index, queue, log, metrics, archive), stored: () => stored, records, failures };
}

const NOW = new Date("2026-03-01T00:00:00.000Z");
const key = (name: string) => ({ subscriptionId: "00000000-0000-0000-0000-000000000001", resourceGroup: "rg", name });

test("a new job: its index entry, then the job with that entry's due time, then its messages", async () => {
  const calls: string[] = [];
  const { writer } = recorders(calls);
  const written = await writer.insert(creatingJob(key("order-insert"), { now: NOW }), [message(1)]);
  expect(calls).toEqual(["index.cover", "jobs.insert", "queue.publish"]);
  expect(written.indexedDue).toBe("2026-03-02T00:00:00.000Z");
});

test("a write that bounds the history: index entry, history archive, job (without the archived entries), messages", async () => {
  const calls: string[] = [];
  const { writer } = recorders(calls);
  const job = creatingJob(key("order-replace"), { now: NOW });
  const change: StateChange = { at: NOW.toISOString(), from: "Creating", to: "Creating", by: "test", role: "customer", reason: "a long history" };
  const long = { ...job, history: Array.from({ length: HISTORY_ARCHIVE_AT.entries + 1 }, () => change) };
  const written = await writer.replace(long, { job, etag: "e0" }, { messages: [message(1)] });
  expect(calls).toEqual(["index.cover", "archive.archive", "jobs.replace", "queue.publish"]);
  expect(written.job.history.length).toBeLessThan(long.history.length);
});

test("chaining: the index entry first, then the job records it", async () => {
  const calls: string[] = [];
  const { writer } = recorders(calls);
  const job = creatingJob(key("order-chain"), { now: NOW });
  const chained = await writer.chain({ job, etag: "e0" });
  expect(calls).toEqual(["index.cover", "jobs.mark"]);
  expect(chained.indexedDue).toBe("2026-03-02T00:00:00.000Z");
});

test("with the queue down, messages wait in the outbox, written in the same order, up to its bound, and are dropped beyond it", async () => {
  const calls: string[] = [];
  const { writer, stored, records } = recorders(calls, { queueDown: true });
  await writer.insert({ ...creatingJob(key("outbox-bound"), { now: NOW }), outbox: [] });
  expect(calls).toEqual(["index.cover", "jobs.insert"]);

  calls.length = 0;
  await writer.replace(stored()!.job, stored()!, { messages: [message(0)] });
  expect(calls).toEqual(["index.cover", "jobs.replace", "queue.publish", "index.cover", "jobs.replace"]);

  for (let i = 1; i < 100; i++) await writer.replace(stored()!.job, stored()!, { messages: [message(i)] });
  const outbox = stored()!.job.outbox!;
  expect(outbox.length).toBeGreaterThan(0);
  expect(outbox.length).toBeLessThan(100);
  expect(JSON.stringify(outbox).length).toBeLessThanOrEqual(OUTBOX_MAX_CHARS);
  expect(outbox[0].id).toBe("job#0");
  // Every one dropped past the bound is logged as lost, by its id.
  const lost = records.filter((record) => record.level === "error" && /lost/.test(record.message));
  expect(lost.map((record) => record.messageId)).toEqual(Array.from({ length: 100 - outbox.length }, (_, i) => `job#${i + outbox.length}`));
});

test("the queue refusing is a warning with its cause, counted; the messages wait in the outbox", async () => {
  const calls: string[] = [];
  const { writer, stored, records, failures } = recorders(calls, { queueDown: true });
  const job = { ...creatingJob(key("queue-refuses"), { now: NOW }), outbox: [] };

  await writer.replace(job, { job, etag: "e0" }, { messages: [message(1), message(2)] });

  expect(stored()!.job.outbox!.map((queued) => queued.id)).toEqual(["job#1", "job#2"]);
  expect(failures).toEqual([{ messages: 2, source: "request" }]);
  expect(records).toEqual([
    expect.objectContaining({
      level: "warn",
      message: expect.stringMatching(/refused 2 message\(s\) of job 'queue-refuses'.*outbox/),
      subscriptionId: key("x").subscriptionId,
      resourceGroup: "rg",
      job: "queue-refuses",
      error: expect.objectContaining({ name: "Error", message: "queue down: 503 ServerBusy" }),
    }),
  ]);
});

test("regression: a forced outbox failure after the queue refused is logged, each message as lost, with the cause", async () => {
  const calls: string[] = [];
  const { writer, records } = recorders(calls, { queueDown: true, outboxWriteFails: true });
  const job = { ...creatingJob(key("outbox-fails"), { now: NOW }), outbox: [] };

  await writer.replace(job, { job, etag: "e0" }, { messages: [message(7), message(8)] });

  expect(calls).toEqual(["index.cover", "jobs.replace", "queue.publish", "index.cover", "jobs.replace"]);
  const lost = records.filter((record) => record.level === "error");
  expect(lost).toEqual(
    [7, 8].map((i) =>
      expect.objectContaining({
        message: expect.stringMatching(/^Notification lost: the outbox write failed/),
        job: "outbox-fails",
        messageId: `job#${i}`,
        kind: "Test",
        error: expect.objectContaining({ status: 412, message: expect.stringMatching(/conditional header/) }),
      }),
    ),
  );
  expect(records.filter((record) => record.level === "warn")).toHaveLength(1);
});

test("each change of state is one record, with the job, the drive, the states and why", async () => {
  const calls: string[] = [];
  const { writer, records } = recorders(calls);
  const job = creatingJob(key("job-1"), { now: NOW });
  const change: OutboundMessage = {
    id: "job#3",
    type: "stateChanged",
    audience: "customer",
    kind: "DriveStateChanged",
    message: "Drive DRIVE01 of job 'job-1' is now 'Faulted' (was 'Transferring'): the key record does not open with the job's key.",
    at: "2026-03-01T00:00:00.000Z",
    job: { subscriptionId: "sub-1", resourceGroup: "rg-1", name: "job-1" },
    driveId: "DRIVE01",
    from: "Transferring",
    to: "Faulted",
  };

  await writer.replace(job, { job, etag: "e0" }, { messages: [change, message(4)] });

  expect(records).toEqual([
    expect.objectContaining({ level: "info", event: "stateChanged", subject: "drive", job: "job-1", subscriptionId: "sub-1", resourceGroup: "rg-1", driveId: "DRIVE01", from: "Transferring", to: "Faulted", message: change.message }),
  ]);
});
