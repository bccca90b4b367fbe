/**
 * How notices are packed onto the queue (pure, no storage): one message goes plain, as before
 * batching; several go together as `{"type":"batch","messages":[…]}`, split so that no queue message
 * passes the queue's 64 KiB; `decodeQueueMessage` reads both shapes back, in order.
 */
import fc from "fast-check";
import type { ArrivalNotice } from "../../shared/domain/deadlines";
import type { OutboundMessage } from "../../shared/domain/messages";
import { decodeQueueMessage, packQueueMessages, QueueMessage } from "../../shared/storage/notification-queue";

/** The queue's limit on one message's text (base64 here). */
const MAX_QUEUE_MESSAGE_CHARS = 64 * 1024;

const SUB = "6a5c3f0e-2b7d-4d6e-9a61-0c2f4b8e7d10";

function notice(i: number, extra = ""): OutboundMessage {
  const name = `job-${i}`;
  const dueAt = "2026-11-23T11:00:00.000Z";
  return {
    id: `${SUB}/rg-east/${name}@2026-11-23T10:00:00.000Z|JobDeletedCreatingExpired|customer|${dueAt}`,
    type: "notice",
    audience: "customer",
    kind: "JobDeletedCreatingExpired",
    message: `Job '${name}' was deleted: it stayed 'Creating' past ${dueAt} without being shipped.${extra}`,
    at: "2026-11-23T11:00:01.000Z",
    job: { subscriptionId: SUB, resourceGroup: "RG-East", name },
    contactEmail: "ops@contoso.example",
  };
}

function stateChanged(i: number): OutboundMessage {
  return {
    id: `${SUB}/rg-east/job-${i}@2026-11-23T10:00:00.000Z#1`,
    type: "stateChanged",
    audience: "customer",
    kind: "DriveStateChanged",
    message: `Drive DRIVE01 of job 'job-${i}' is now 'NeverReceived' (was 'Specified'): The package is overdue.`,
    at: "2026-11-23T12:00:00.000Z",
    job: { subscriptionId: SUB, resourceGroup: "RG-East", name: `job-${i}` },
    driveId: "DRIVE01",
    from: "Specified",
    to: "NeverReceived",
  };
}

const arrival: ArrivalNotice = {
  id: "arrival|3f1c|ArrivalReturn",
  type: "notice",
  audience: "operators",
  kind: "ReturnUnmatchedDrives",
  message: "Package 1Z-123 (drives Z1) has matched no job since 2026-11-23T10:00:00.000Z. Return the drives to the sender.",
  at: "2026-11-23T16:00:00.000Z",
};

function jsonOf(body: string): unknown {
  return JSON.parse(Buffer.from(body, "base64").toString("utf8"));
}

test("a single message is sent plain: its body is the message itself, not a batch", () => {
  const message = notice(1);

  const bodies = packQueueMessages([message]);

  expect(bodies).toHaveLength(1);
  expect(jsonOf(bodies[0])).toEqual(message);
  expect(jsonOf(bodies[0])).not.toHaveProperty("messages");
  expect(decodeQueueMessage(bodies[0])).toEqual([message]);
  // The same bytes as a message queued before batching existed, so consumers of either read it.
  expect(bodies[0]).toBe(Buffer.from(JSON.stringify(message), "utf8").toString("base64"));
});

test("several messages go in one batch body and decode back equal and in order", () => {
  const messages: QueueMessage[] = [notice(1), stateChanged(1), arrival, notice(2)];

  const bodies = packQueueMessages(messages);

  expect(bodies).toHaveLength(1);
  expect(jsonOf(bodies[0])).toEqual({ type: "batch", messages });
  expect(decodeQueueMessage(bodies[0])).toEqual(messages);
});

test("300 messages of about 1 KB are split into several bodies, each within 64 KiB, and decode back in order", () => {
  // Multi-byte text too: the limit is on bytes (then base64), not on characters.
  const messages = Array.from({ length: 300 }, (_, i) => notice(i, ` Zürich Straße 12 — 東京 ${"x".repeat(900)} #${i}`));
  const jsonBytes = messages.reduce((sum, message) => sum + Buffer.byteLength(JSON.stringify(message), "utf8"), 0);

  const bodies = packQueueMessages(messages);

  expect(bodies.length).toBeGreaterThan(1);
  for (const body of bodies) expect(body.length).toBeLessThanOrEqual(MAX_QUEUE_MESSAGE_CHARS);
  // As few as fit: about one body per 48 KiB of JSON, not one per message.
  expect(bodies.length).toBeLessThanOrEqual(Math.ceil(jsonBytes / (47 * 1024)) + 1);
  for (const body of bodies) expect(jsonOf(body)).toMatchObject({ type: "batch" });
  expect(bodies.flatMap(decodeQueueMessage)).toEqual(messages);
});

test("an empty list gives no bodies", () => {
  expect(packQueueMessages([])).toEqual([]);
});

test("any list of messages, each under 40 KB of JSON: every body fits the queue and all decode back in order", () => {
  const text = fc.string({ unit: "binary", maxLength: 1_500, size: "max" });
  const message = fc.record({ i: fc.nat(), text, repeat: fc.integer({ min: 1, max: 4 }) }).map(({ i, text: extra, repeat }) => notice(i, extra.repeat(repeat)));
  let split = 0;
  // At most 1,500 code points × 4 repeats × 6 bytes (a control character escaped) ≈ 36 KB of text.
  fc.assert(
    fc.property(fc.array(message, { maxLength: 40, size: "max" }), (messages) => {
      const bodies = packQueueMessages(messages);
      for (const body of bodies) expect(body.length).toBeLessThanOrEqual(MAX_QUEUE_MESSAGE_CHARS);
      expect(bodies.flatMap(decodeQueueMessage)).toEqual(messages);
      if (messages.length === 0) expect(bodies).toEqual([]);
      if (bodies.length > 1) split++;
    }),
    { numRuns: 100 },
  );
  // The runs did reach the limit, so splitting was exercised, not only single bodies.
  expect(split).toBeGreaterThan(0);
});
