/**
 * The request body limit, with a small MAX_REQUEST_BODY_BYTES. A separate file, because the limit
 * is process-wide for the service under test.
 */
import http from "node:http";
import { importJobBody, newSubscriptionId, startTestService, TestService } from "../support/service";
import { api, expectArmError, expectRequestId, jobUrl } from "./helpers";

const LIMIT = 2048;

let service: TestService;
beforeAll(async () => {
  service = await startTestService({ MAX_REQUEST_BODY_BYTES: String(LIMIT) });
});
afterAll(() => service.close());

const RG = "limits-rg";

/** A valid create body padded (with an ignored property) to exactly `bytes` UTF-8 bytes. */
function paddedBody(sub: string, bytes: number, padChar = "x"): string {
  const base = JSON.stringify({ ...importJobBody(sub), pad: "" });
  const charBytes = Buffer.byteLength(padChar, "utf8");
  const missing = bytes - Buffer.byteLength(base, "utf8");
  if (missing < 0 || missing % charBytes !== 0) throw new Error(`cannot pad to ${bytes} bytes with '${padChar}'`);
  const text = base.replace('"pad":""', `"pad":"${padChar.repeat(missing / charBytes)}"`);
  expect(Buffer.byteLength(text, "utf8")).toBe(bytes);
  return text;
}

/** Sends `chunks` as a chunked request (no content-length), returning status, headers and parsed body. */
function sendChunked(path: string, chunks: string[]): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: { error?: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${service.url}${path}`, { method: "PUT", headers: { "content-type": "application/json", authorization: "Bearer dev" } }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text) }));
      response.on("error", reject);
    });
    // The server may answer and close before every chunk is written; the answer is what counts.
    request.on("error", () => undefined);
    for (const chunk of chunks) request.write(chunk);
    request.end();
  });
}

test("a body exactly at the limit is accepted", async () => {
  const sub = newSubscriptionId();
  const response = await api(service, "PUT", jobUrl(sub, RG, "fits"), paddedBody(sub, LIMIT));
  expect(response.status).toBe(201);
});

test("a 3 KB body → 413 RequestEntityTooLarge in the ARM shape, with a request id; nothing is created", async () => {
  const sub = newSubscriptionId();
  const response = await api(service, "PUT", jobUrl(sub, RG, "toobig"), paddedBody(sub, 3 * 1024));
  expectArmError(response, 413, "RequestEntityTooLarge", { message: /2048 bytes/ });
  expectArmError(await api(service, "GET", jobUrl(sub, RG, "toobig")), 404, "ResourceNotFound");
});

test("one byte over the limit → 413", async () => {
  const sub = newSubscriptionId();
  expectArmError(await api(service, "PUT", jobUrl(sub, RG, "justover"), paddedBody(sub, LIMIT + 1)), 413, "RequestEntityTooLarge");
});

test("the limit counts bytes, not characters", async () => {
  const sub = newSubscriptionId();
  // 900 three-byte characters: well under the limit in characters, over it in bytes.
  const baseBytes = Buffer.byteLength(JSON.stringify({ ...importJobBody(sub), pad: "" }), "utf8");
  const text = paddedBody(sub, baseBytes + 3 * 900, "€");
  expect(text.length).toBeLessThan(LIMIT);
  expect(Buffer.byteLength(text, "utf8")).toBeGreaterThan(LIMIT);
  expectArmError(await api(service, "PUT", jobUrl(sub, RG, "wide"), text), 413, "RequestEntityTooLarge");
});

test("a 3 KB PATCH → 413 too", async () => {
  const sub = newSubscriptionId();
  expect((await api(service, "PUT", jobUrl(sub, RG, "patched"), importJobBody(sub))).status).toBe(201);
  const response = await api(service, "PATCH", jobUrl(sub, RG, "patched"), { tags: { big: "x".repeat(256) }, pad: "y".repeat(3 * 1024) });
  expectArmError(response, 413, "RequestEntityTooLarge");
});

test("a chunked body with no content-length over the limit → 413 in the ARM shape", async () => {
  const sub = newSubscriptionId();
  const text = paddedBody(sub, 3 * 1024);
  const chunks = [text.slice(0, 1000), text.slice(1000, 2000), text.slice(2000)];
  const response = await sendChunked(jobUrl(sub, RG, "chunked"), chunks);
  expect(response.status).toBe(413);
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  expect(response.body.error?.code).toBe("RequestEntityTooLarge");
  expectRequestId({ headers: new Headers(response.headers as Record<string, string>) });
  expectArmError(await api(service, "GET", jobUrl(sub, RG, "chunked")), 404, "ResourceNotFound");
});

test("a chunked body within the limit is read whole", async () => {
  const sub = newSubscriptionId();
  const text = JSON.stringify(importJobBody(sub));
  const response = await sendChunked(jobUrl(sub, RG, "chunkedok"), [text.slice(0, 100), text.slice(100)]);
  expect(response.status).toBe(201);
});
