/**
 * The messenger's outbox while the queue is down is bounded: a long outage must not grow a job until
 * it can't be written (a sibling of the unbounded history). Nothing it fails at is silent: a queue
 * that refuses is a warning with its cause, and a message that could not be kept either is logged as
 * lost (the bug this pins: the outbox write's failure was swallowed, the notification gone without a trace).
 */
import { OUTBOX_MAX_CHARS } from "../../shared/domain/history";
import { Job } from "../../shared/domain/job";
import { OutboundMessage } from "../../shared/domain/messages";
import { JobMessenger } from "../../shared/jobs/job-messenger";
import { JobsStore } from "../../shared/storage/jobs.store";
import { NotificationQueue } from "../../shared/storage/notification-queue";
import { ServiceMetrics } from "../../shared/telemetry/metrics";
import { recordingLogger } from "../support/logs";

function message(i: number): OutboundMessage {
  return { id: `job#${i}`, type: "notice", audience: "operators", kind: "Test", message: "m".repeat(900), at: "2026-03-01T00:00:00.000Z", job: { subscriptionId: "s", resourceGroup: "r", name: "j" } };
}

const JOB = { key: { subscriptionId: "sub-1", resourceGroup: "rg-1", name: "job-1" }, outbox: [] } as unknown as Job;
const queueDown = { publish: async () => Promise.reject(new Error("queue down: 503 ServerBusy")) } as unknown as NotificationQueue;

function countingMetrics() {
  const failures: { messages: number; source: string }[] = [];
  const metrics: ServiceMetrics = { stateChanges: () => {}, sweep: () => {}, queuePublishFailed: (messages, source) => void failures.push({ messages, source }) };
  return { metrics, failures };
}

test("with the queue down, messages wait in the outbox up to its bound, and are dropped beyond it", async () => {
  let stored = { ...JOB, outbox: [] } as Job;
  const store = {
    replace: async (job: Job) => {
      stored = job;
      return { job, etag: "etag" };
    },
  } as unknown as JobsStore;
  const { log, records } = recordingLogger();
  const messenger = new JobMessenger(queueDown, store, log, countingMetrics().metrics);

  for (let i = 0; i < 100; i++) await messenger.afterWrite({ job: stored, etag: "etag" }, [message(i)]);

  expect(stored.outbox!.length).toBeGreaterThan(0);
  expect(stored.outbox!.length).toBeLessThan(100);
  expect(JSON.stringify(stored.outbox).length).toBeLessThanOrEqual(OUTBOX_MAX_CHARS);
  expect(stored.outbox![0].id).toBe("job#0");
  // Every one dropped past the bound is logged as lost, by its id.
  const lost = records.filter((record) => record.level === "error" && /lost/.test(record.message));
  expect(lost.map((record) => record.messageId)).toEqual(Array.from({ length: 100 - stored.outbox!.length }, (_, i) => `job#${i + stored.outbox!.length}`));
});

test("the queue refusing is a warning with its cause, counted; the messages wait in the outbox", async () => {
  const replaced: Job[] = [];
  const store = { replace: async (job: Job) => (replaced.push(job), { job, etag: "etag-2" }) } as unknown as JobsStore;
  const { log, records } = recordingLogger();
  const { metrics, failures } = countingMetrics();

  await new JobMessenger(queueDown, store, log, metrics).afterWrite({ job: JOB, etag: "etag-1" }, [message(1), message(2)]);

  expect(replaced[0].outbox!.map((queued) => queued.id)).toEqual(["job#1", "job#2"]);
  expect(failures).toEqual([{ messages: 2, source: "request" }]);
  expect(records).toEqual([
    expect.objectContaining({
      level: "warn",
      message: expect.stringMatching(/refused 2 message\(s\) of job 'job-1'.*outbox/),
      subscriptionId: "sub-1",
      resourceGroup: "rg-1",
      job: "job-1",
      error: expect.objectContaining({ name: "Error", message: "queue down: 503 ServerBusy" }),
    }),
  ]);
});

test("regression: a forced outbox failure after the queue refused is logged, each message as lost, with the cause", async () => {
  const store = { replace: async () => Promise.reject(Object.assign(new Error("The condition specified using HTTP conditional header(s) is not met."), { statusCode: 412 })) } as unknown as JobsStore;
  const { log, records } = recordingLogger();

  await new JobMessenger(queueDown, store, log, countingMetrics().metrics).afterWrite({ job: JOB, etag: "etag-1" }, [message(7), message(8)]);

  const lost = records.filter((record) => record.level === "error");
  expect(lost).toEqual(
    [7, 8].map((i) =>
      expect.objectContaining({
        message: expect.stringMatching(/^Notification lost: the outbox write failed/),
        job: "job-1",
        messageId: `job#${i}`,
        kind: "Test",
        error: expect.objectContaining({ status: 412, message: expect.stringMatching(/conditional header/) }),
      }),
    ),
  );
  expect(records.filter((record) => record.level === "warn")).toHaveLength(1);
});

test("each change of state is one record, with the job, the drive, the states and why", async () => {
  const queue = { publish: async () => 1 } as unknown as NotificationQueue;
  const { log, records } = recordingLogger();
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

  await new JobMessenger(queue, {} as JobsStore, log, countingMetrics().metrics).afterWrite({ job: JOB, etag: "e" }, [change, message(4)]);

  expect(records).toEqual([
    expect.objectContaining({ level: "info", event: "stateChanged", subject: "drive", job: "job-1", subscriptionId: "sub-1", resourceGroup: "rg-1", driveId: "DRIVE01", from: "Transferring", to: "Faulted", message: change.message }),
  ]);
});
