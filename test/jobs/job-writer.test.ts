/**
 * The one write order (service/operations/job-writer.ts), with the stores replaced by recorders: index entry,
 * history archive, job, messages. And the messages' outbox while the queue is down is bounded: a
 * long outage must not grow a job until it can't be written (a sibling of the unbounded history).
 */
import { HISTORY_ARCHIVE_AT, OUTBOX_MAX_CHARS } from "../../shared/domain/history";
import { Job, StateChange } from "../../shared/domain/job";
import { OutboundMessage } from "../../shared/domain/messages";
import { DeadlineCover, JobWriter } from "../../shared/service/operations/job-writer";
import { JobsStore, StoredJob } from "../../shared/storage/jobs.store";
import { creatingJob } from "../support/fixtures";

function message(i: number): OutboundMessage {
  return { id: `job#${i}`, type: "notice", audience: "operators", kind: "Test", message: "m".repeat(900), at: "2026-03-01T00:00:00.000Z", job: { subscriptionId: "s", resourceGroup: "r", name: "j" } };
}

/** Stores that record the calls made to them, in order, as `store.method`. */
function recorders(calls: string[], options: { queueDown?: boolean } = {}) {
  let stored: StoredJob | undefined;
  const index: DeadlineCover = {
    cover: async () => (calls.push("index.cover"), "2026-03-02T00:00:00.000Z"),
    coverMany: async (jobs) => (calls.push("index.coverMany"), jobs.map(() => undefined)),
  };
  const archive = { archive: async () => void calls.push("archive.archive") };
  const queue = {
    publish: async () => {
      calls.push("queue.publish");
      if (options.queueDown) throw new Error("queue down");
      return 1;
    },
  };
  const jobs = {
    insert: async (job: Job, indexedDue?: string) => (calls.push("jobs.insert"), (stored = { job, etag: "e1", indexedDue })),
    replace: async (job: Job, _base: StoredJob, bookkeeping: { indexedDue?: string }) => (calls.push("jobs.replace"), (stored = { job, etag: "e2", ...bookkeeping })),
    mark: async (base: StoredJob, columns: { indexedDue?: string }) => (calls.push("jobs.mark"), (stored = { ...base, ...columns })),
  } as unknown as JobsStore;
  return { writer: new JobWriter(jobs, index, queue, archive), stored: () => stored };
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
  const { writer, stored } = recorders(calls, { queueDown: true });
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
});
