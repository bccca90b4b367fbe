/**
 * Sends a job's messages after the write that caused them. If the queue can't be reached, the
 * messages go into the job's outbox instead (an ETag-guarded write), and the maintenance sweep sends
 * them later: a customer's request never fails because a notification could not be queued. Every
 * failure on the way is logged with its cause; messages that could not be kept either are logged as
 * lost, one record each, naming the job and the message.
 */
import { OUTBOX_MAX_CHARS } from "../domain/history";
import { OutboundMessage } from "../domain/messages";
import { JobsStore, StoredJob } from "../storage/jobs.store";
import { NotificationQueue } from "../storage/notification-queue";
import type { Logger } from "../telemetry/log";
import type { ServiceMetrics } from "../telemetry/metrics";

export class JobMessenger {
  constructor(
    private readonly queue: NotificationQueue,
    private readonly store: JobsStore,
    private readonly log: Logger,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** `written` is the job as the write that caused the messages left it. */
  async afterWrite(written: StoredJob, messages: OutboundMessage[]): Promise<void> {
    if (messages.length === 0) return;
    logStateChanges(this.log, messages);
    this.metrics.stateChanges(messages);
    const { job } = written;
    try {
      await this.queue.publish(messages);
      return;
    } catch (error) {
      this.metrics.queuePublishFailed(messages.length, "request");
      this.log.warn(`The notification queue refused ${messages.length} message(s) of job '${job.key.name}'; they wait in its outbox for the sweep`, { ...jobFields(written), messages: messages.length, error });
    }
    const outbox = [...(job.outbox ?? []), ...messages];
    // A long outage must not grow the job past what it can store (see domain/history.ts).
    if (JSON.stringify(outbox).length > OUTBOX_MAX_CHARS) {
      this.lost(written, messages, "the job's outbox is full", undefined);
      return;
    }
    try {
      await this.store.replace({ ...job, outbox }, written);
    } catch (error) {
      // The job changed again meanwhile (its writer sends its own messages) or storage is down:
      // these messages are lost, which is the one window at-least-once delivery leaves open here.
      this.lost(written, messages, "the outbox write failed", error);
    }
  }

  private lost(written: StoredJob, messages: OutboundMessage[], why: string, error: unknown): void {
    for (const message of messages) {
      this.log.error(`Notification lost: ${why}, after the queue refused it`, { ...jobFields(written), messageId: message.id, kind: message.kind, audience: message.audience, error });
    }
  }
}

/**
 * One record per change of state of a job or a drive, with why (its message), where the write that
 * made it is logged: a job's story (and a drive that faulted, a copy that finished with errors) can
 * be read from the log alone.
 */
export function logStateChanges(log: Logger, messages: readonly OutboundMessage[]): void {
  for (const message of messages) {
    if (message.type !== "stateChanged") continue;
    const { subscriptionId, resourceGroup, name } = message.job;
    log.info(message.message, { event: "stateChanged", subject: message.driveId ? "drive" : "job", subscriptionId, resourceGroup, job: name, driveId: message.driveId, from: message.from ?? undefined, to: message.to });
  }
}

function jobFields({ job }: StoredJob) {
  return { subscriptionId: job.key.subscriptionId, resourceGroup: job.key.resourceGroup, job: job.key.name };
}
