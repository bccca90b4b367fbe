/**
 * Sends a job's messages after the write that caused them. If the queue can't be reached, the
 * messages go into the job's outbox instead (an ETag-guarded write), and the maintenance sweep sends
 * them later: a customer's request never fails because a notification could not be queued.
 */
import { OUTBOX_MAX_CHARS } from "../domain/history";
import { OutboundMessage } from "../domain/messages";
import { JobsStore, StoredJob } from "../storage/jobs.store";
import { NotificationQueue } from "../storage/notification-queue";

export class JobMessenger {
  constructor(
    private readonly queue: NotificationQueue,
    private readonly store: JobsStore,
  ) {}

  /** `written` is the job as the write that caused the messages left it. */
  async afterWrite(written: StoredJob, messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const { job } = written;
    try {
      await this.queue.publish(messages);
    } catch {
      const outbox = [...(job.outbox ?? []), ...messages];
      // A long outage must not grow the job past what it can store (see domain/history.ts).
      if (JSON.stringify(outbox).length > OUTBOX_MAX_CHARS) return;
      try {
        await this.store.replace({ ...job, outbox }, written);
      } catch {
        // The job changed again meanwhile (its writer sends its own messages) or storage is down:
        // these messages are lost, which is the one window at-least-once delivery leaves open here.
      }
    }
  }
}
