/**
 * Notices and job-progress messages go to an Azure Storage Queue (Azurite locally) as JSON,
 * base64-encoded as the Functions queue trigger expects. One publish of several messages (a sweep
 * purging a thousand jobs) sends them together, `{"type":"batch","messages":[…]}`, up to the queue's
 * 64 KiB per message, instead of a queue transaction each; `decodeQueueMessage` reads both shapes.
 * Every message has a stable `id`, so a consumer drops the duplicates at-least-once delivery brings.
 */
import { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import type { ArrivalNotice } from "../domain/deadlines";
import type { OutboundMessage } from "../domain/messages";
import { chunkBySize } from "./size-chunks";

/** What goes on the queue: a job's messages, or an arrival's notice to operators. */
export type QueueMessage = ArrivalNotice | OutboundMessage;

/** Several messages sent as one queue message. */
export interface QueueBatch {
  type: "batch";
  messages: QueueMessage[];
}

/** Queue messages are at most 64 KiB, and base64 takes 4 characters for 3 bytes: JSON up to 48 KiB. */
const MAX_JSON_BYTES = 48 * 1024 - 64;

/** The messages one queue message carries (a single one, or a batch). */
export function decodeQueueMessage(messageText: string): QueueMessage[] {
  const decoded = JSON.parse(Buffer.from(messageText, "base64").toString("utf8")) as QueueMessage | QueueBatch;
  return decoded.type === "batch" ? decoded.messages : [decoded];
}

/** Packs messages into as few queue messages as fit, each a single message or a batch. */
export function packQueueMessages(messages: QueueMessage[]): string[] {
  const json = messages.map((message) => JSON.stringify(message));
  // One byte more each for the comma between a batch's messages.
  return chunkBySize(json, (text) => Buffer.byteLength(text, "utf8") + 1, MAX_JSON_BYTES).map((chunk) => {
    const body = chunk.length === 1 ? chunk[0] : `{"type":"batch","messages":[${chunk.join(",")}]}`;
    return Buffer.from(body, "utf8").toString("base64");
  });
}

export class NotificationQueue {
  private readonly queue: QueueClient;

  constructor(service: QueueServiceClient, queueName: string) {
    this.queue = service.getQueueClient(queueName);
  }

  async ensureQueue(): Promise<void> {
    await this.queue.createIfNotExists();
  }

  /** Sends `messages`; returns the queue messages (transactions) it took. */
  async publish(messages: QueueMessage[]): Promise<number> {
    const bodies = packQueueMessages(messages);
    // Kept for a week: notices are for people, and a consumer may be down for a while.
    for (const body of bodies) await this.queue.sendMessage(body, { messageTimeToLive: 7 * 86_400 });
    return bodies.length;
  }

  /** For tests and docs/maintenance.md's "read them locally": peeks without removing. */
  async peek(max = 32): Promise<QueueMessage[]> {
    const response = await this.queue.peekMessages({ numberOfMessages: Math.min(max, 32) });
    return response.peekedMessageItems.flatMap((item) => decodeQueueMessage(item.messageText));
  }

  /** Reads and removes up to `max` messages. */
  async receive(max = 32): Promise<QueueMessage[]> {
    const response = await this.queue.receiveMessages({ numberOfMessages: Math.min(max, 32), visibilityTimeout: 30 });
    const messages: QueueMessage[] = [];
    for (const item of response.receivedMessageItems) {
      messages.push(...decodeQueueMessage(item.messageText));
      await this.queue.deleteMessage(item.messageId, item.popReceipt);
    }
    return messages;
  }
}
