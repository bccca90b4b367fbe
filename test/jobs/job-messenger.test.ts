/**
 * The messenger's outbox while the queue is down is bounded: a long outage must not grow a job until
 * it can't be written (a sibling of the unbounded history).
 */
import { OUTBOX_MAX_CHARS } from "../../shared/domain/history";
import { Job } from "../../shared/domain/job";
import { OutboundMessage } from "../../shared/domain/messages";
import { JobMessenger } from "../../shared/jobs/job-messenger";
import { JobsStore } from "../../shared/storage/jobs.store";
import { NotificationQueue } from "../../shared/storage/notification-queue";

function message(i: number): OutboundMessage {
  return { id: `job#${i}`, type: "notice", audience: "operators", kind: "Test", message: "m".repeat(900), at: "2026-03-01T00:00:00.000Z", job: { subscriptionId: "s", resourceGroup: "r", name: "j" } };
}

test("with the queue down, messages wait in the outbox up to its bound, and are dropped beyond it", async () => {
  const queueDown = { publish: async () => Promise.reject(new Error("queue down")) } as unknown as NotificationQueue;
  let stored = { outbox: [] } as unknown as Job;
  const store = {
    replace: async (job: Job) => {
      stored = job;
      return { job, etag: "etag" };
    },
  } as unknown as JobsStore;
  const messenger = new JobMessenger(queueDown, store);

  for (let i = 0; i < 100; i++) await messenger.afterWrite({ job: stored, etag: "etag" }, [message(i)]);

  expect(stored.outbox!.length).toBeGreaterThan(0);
  expect(stored.outbox!.length).toBeLessThan(100);
  expect(JSON.stringify(stored.outbox).length).toBeLessThanOrEqual(OUTBOX_MAX_CHARS);
  expect(stored.outbox![0].id).toBe("job#0");
});
