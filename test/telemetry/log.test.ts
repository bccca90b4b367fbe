/**
 * The logging facility itself: records with their fields and causes, the two line formats, levels,
 * the invocation's logger found from deep code, and the one redaction step that keeps every secret
 * shape out of every record (message, fields, nested values, an error's message, cause and stack).
 */
import { InvocationContext } from "@azure/functions";
import {
  contextualLogger,
  createLogger,
  invocationLogger,
  jsonLine,
  lineLogger,
  LogRecord,
  runWithLogger,
  textLine,
  useProcessLogger,
} from "../../shared/telemetry/log";
import { redact } from "../../shared/telemetry/redact";
import { BITLOCKER_KEY } from "../support/fixtures";
import { recordingLogger } from "../support/logs";

const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0aWQiOiJ0ZW5hbnQiLCJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXBhcnQ";
const SIGNATURE = "k7Qz%2BfT0pW8vYx3dE1mN4oP6qR9sU2wX5yZ8aB1cD4e%3D";

/** Every secret shape, as it turns up in text a record may hold. */
const SECRETS: [string, string, string][] = [
  ["a SAS URL", `https://acct.blob.core.windows.net/c/b?sv=2024-08-04&sp=r&sig=${SIGNATURE}&se=2030-01-01`, SIGNATURE],
  ["a SAS connection string", `BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2024&sig=${SIGNATURE}`, SIGNATURE],
  ["a connection string's key", `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${ACCOUNT_KEY};`, ACCOUNT_KEY],
  ["an account key alone (CUSTOMER_ACCOUNT_KEYS)", `demostore:${ACCOUNT_KEY}`, ACCOUNT_KEY],
  ["a bearer token", `authorization: Bearer ${JWT}`, JWT],
  ["an opaque bearer token", "Authorization: Bearer dev-operator-token.123", "dev-operator-token.123"],
  ["a JWT alone", `token=${JWT}`, JWT],
  ["a Shared Key header", "Authorization: SharedKey devstoreaccount1:abcDEF123+/=", "devstoreaccount1:abcDEF123+/="],
  ["a BitLocker key", `key ${BITLOCKER_KEY} refused`, BITLOCKER_KEY],
  ["a BitLocker key without dashes", `key ${BITLOCKER_KEY.replace(/-/g, "")}`, BITLOCKER_KEY.replace(/-/g, "")],
  ["a BitLocker key with spaces", `key ${BITLOCKER_KEY.replace(/-/g, " ")}`, BITLOCKER_KEY.replace(/-/g, " ")],
];

describe("redaction", () => {
  test.each(SECRETS)("%s is taken out, the text around it kept", (_label, text, secret) => {
    const redacted = redact(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain("REDACTED");
    expect(redacted.length).toBeGreaterThan(10);
  });

  test("the connection string keyword goes with its key, so no record says AccountKey at all", () => {
    expect(redact(`AccountName=a;AccountKey=${ACCOUNT_KEY};BlobEndpoint=x`)).toBe("AccountName=a;[REDACTED];BlobEndpoint=x");
  });

  test("what is not secret stays: ids, ETags, hashes, times, a six-digit group, an SDK's words about bearer tokens", () => {
    const text = [
      "Bearer token authentication is not permitted for non-TLS protected (non-https) URLs.",
      "request 6f1c2a8e-5b7d-4c3e-9a1f-0d2b4c6e8f10",
      'etag W/"datetime\'2026-03-01T10%3A00%3A00.123Z\'"',
      "md5 4228EC5D8E048CB9B515338C789314BE8D0B2FDBC7C7A0308E1C826242CDE74E",
      "at 2026-03-01T10:00:00.000Z",
      "tracking 123456",
      "path /subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ImportExport/jobs/j?api-version=2021-01-01",
    ].join("; ");
    expect(redact(text)).toBe(text);
  });
});

describe("records", () => {
  test("a record carries its level, message, time, the bound fields and its own; later fields win", () => {
    const { log, records } = recordingLogger();
    log.with({ job: "job-1", requestId: "r-1" }).info("created", { status: 201, requestId: "r-2" });
    expect(records).toEqual([{ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: "info", message: "created", job: "job-1", requestId: "r-2", status: 201 }]);
  });

  test("bound fields are read when a record is written, so what a request learns later is on every later record", () => {
    const { log, records } = recordingLogger();
    const facts: Record<string, unknown> = { operation: "Jobs_Get" };
    const scoped = log.with(facts);
    scoped.info("before");
    facts.tenantId = "tenant-1";
    scoped.info("after");
    expect(records.map((record) => record.tenantId)).toEqual([undefined, "tenant-1"]);
  });

  test("an error is written as its name, message, code, status and cause; its stack only at level error", () => {
    const { log, records } = recordingLogger();
    const cause = Object.assign(new Error(`connect ECONNREFUSED for AccountKey=${ACCOUNT_KEY}`), { code: "ECONNREFUSED" });
    const error = Object.assign(new Error("The service's storage is temporarily unavailable.", { cause }), { name: "ServiceError", statusCode: 503, request: { headers: { authorization: `Bearer ${JWT}` } } });
    log.warn("skipped", { error });
    log.error("failed", { error });
    const [warned, failed] = records;
    expect(warned.error).toEqual({ name: "ServiceError", message: "The service's storage is temporarily unavailable.", status: 503, cause: { name: "Error", message: "connect ECONNREFUSED for [REDACTED]", code: "ECONNREFUSED" } });
    expect(failed.error).toEqual(expect.objectContaining({ stack: expect.stringMatching(/log\.test\.ts/) }));
    // Not the whole object: the request it held (and its headers) are not written.
    expect(JSON.stringify(records)).not.toContain("authorization");
  });

  test.each(SECRETS)("%s is redacted wherever it stands in a record: message, field, nested value, error, cause", (_label, text, secret) => {
    const { log, records } = recordingLogger();
    const error = new Error(`failed: ${text}`, { cause: new Error(text) });
    log.error(`saw ${text}`, { url: text, nested: { list: [text, { deeper: text }] }, error });
    expect(jsonLine(records[0])).not.toContain(secret);
    expect(textLine(records[0])).not.toContain(secret);
  });

  test("levels below the minimum are not written; a sink that throws does not throw to the caller", () => {
    const lines: string[] = [];
    const log = lineLogger((line) => lines.push(line), "text", "info");
    log.debug("noise");
    log.info("kept");
    expect(lines).toEqual(["kept"]);
    const broken = createLogger(() => {
      throw new Error("disk full");
    });
    expect(() => broken.error("anything")).not.toThrow();
  });

  test("a long field is cut short; a deep one is cut off; values JSON can't hold are written as text", () => {
    const { log, records } = recordingLogger();
    let deep: Record<string, unknown> = { end: true };
    for (let i = 0; i < 10; i++) deep = { deep };
    log.info("sizes", { long: "x".repeat(10_000), deep, big: 10n, at: new Date("2026-03-01T00:00:00Z") });
    const record = records[0];
    expect(String(record.long).length).toBeLessThanOrEqual(4001);
    expect(JSON.stringify(record.deep)).toContain("[…]");
    expect(record.big).toBe("10");
    expect(record.at).toBe("2026-03-01T00:00:00.000Z");
  });
});

describe("lines", () => {
  const record: LogRecord = { time: "2026-03-01T00:00:00.000Z", level: "warn", message: "sweep: blobs left", job: "job-1", durationMs: 12.5, reason: "two words", error: { name: "RestError", message: "gone", code: "BlobNotFound" } };

  test("text: the level (none for info), the message, then key=value, quoted where a value has spaces", () => {
    expect(textLine(record)).toBe('[warn] sweep: blobs left job=job-1 durationMs=12.5 reason="two words" error="RestError: gone (BlobNotFound)"');
    expect(textLine({ ...record, level: "info", error: undefined, reason: undefined })).toBe("sweep: blobs left job=job-1 durationMs=12.5");
  });

  test("json: one object a line, time and level first", () => {
    const line = jsonLine(record);
    expect(line).not.toContain("\n");
    expect(JSON.parse(line)).toEqual(record);
    expect(line.startsWith('{"time":"2026-03-01T00:00:00.000Z","level":"warn","message":')).toBe(true);
  });
});

describe("where records go", () => {
  test("through a Functions invocation's context: one JSON object, at the host's level", () => {
    const calls: { level: string; args: unknown[] }[] = [];
    const context = new InvocationContext({ invocationId: "inv-1", functionName: "Jobs_Get", logHandler: (level, ...args) => void calls.push({ level, args }) });
    const log = invocationLogger(context);
    log.info("served");
    log.warn("slow");
    log.error("failed", { error: new Error("boom") });
    log.debug("detail");
    expect(calls.map((call) => call.level)).toEqual(["information", "warning", "error", "debug"]);
    expect(calls.every((call) => call.args.length === 1 && typeof call.args[0] === "string")).toBe(true);
    expect(JSON.parse(calls[2].args[0] as string)).toEqual(expect.objectContaining({ level: "error", message: "failed", error: expect.objectContaining({ message: "boom" }) }));
  });

  test("a service's logger writes to the invocation it runs in, else to the process's", async () => {
    const invocation = recordingLogger();
    const processWide = recordingLogger();
    useProcessLogger(processWide.log);
    const service = contextualLogger({ component: "sweep" });

    service.info("outside");
    await runWithLogger(invocation.log, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      service.warn("inside", { entry: "e-1" });
    });

    expect(processWide.records).toEqual([expect.objectContaining({ message: "outside", component: "sweep" })]);
    expect(invocation.records).toEqual([expect.objectContaining({ level: "warn", message: "inside", component: "sweep", entry: "e-1" })]);
  });
});
