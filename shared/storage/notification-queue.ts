/**
 * Notices and job-progress messages go to an Azure Storage Queue (Azurite locally), one JSON message
 * each, base64-encoded as the Functions queue trigger expects. Every message has a stable `id`, so a
 * consumer drops the duplicates that at-least-once delivery can bring.
 */
import { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import type { ArrivalNotice } from "../domain/deadlines";
import type { OutboundMessage } from "../domain/messages";
import { translateStorageError } from "./storage-errors";

/** What goes on the queue: a job's messages, or an arrival's notice to operators. */
export type QueueMessage = ArrivalNotice | OutboundMessage;

export class NotificationQueue {
  private readonly queue: QueueClient;

  constructor(
    service: QueueServiceClient,
    queueName: string,
    private readonly timeoutMs: number,
  ) {
    this.queue = service.getQueueClient(queueName);
  }

  async ensureQueue(): Promise<void> {
    try {
      await this.queue.createIfNotExists({ abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  async publish(messages: QueueMessage[]): Promise<void> {
    try {
      for (const message of messages) {
        const body = Buffer.from(JSON.stringify(message), "utf8").toString("base64");
        // Kept for a week: notices are for people, and a consumer may be down for a while.
        await this.queue.sendMessage(body, { messageTimeToLive: 7 * 86_400, abortSignal: AbortSignal.timeout(this.timeoutMs) });
      }
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  /** For tests and the README's "read them locally": peeks without removing. */
  async peek(max = 32): Promise<QueueMessage[]> {
    const response = await this.queue.peekMessages({ numberOfMessages: Math.min(max, 32) });
    return response.peekedMessageItems.map((item) => JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")) as QueueMessage);
  }

  /** Reads and removes up to `max` messages. */
  async receive(max = 32): Promise<QueueMessage[]> {
    const response = await this.queue.receiveMessages({ numberOfMessages: Math.min(max, 32), visibilityTimeout: 30 });
    const messages: QueueMessage[] = [];
    for (const item of response.receivedMessageItems) {
      messages.push(JSON.parse(Buffer.from(item.messageText, "base64").toString("utf8")) as QueueMessage);
      await this.queue.deleteMessage(item.messageId, item.popReceipt);
    }
    return messages;
  }
}
