/** The HTTP pipeline's errors: api-version, bodies, content types, unknown paths and methods. */
import {
  API,
  BITLOCKER_KEY,
  importJobBody,
  jobPath,
  newSubscriptionId,
  startTestService,
  TestService,
} from "../support/service";
import { api, createJob, expectArmError, jobUrl } from "./helpers";

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.close());

const RG = "errors-rg";

describe("api-version", () => {
  test("missing → 400 MissingApiVersionParameter naming the supported version", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "GET", jobPath(sub, RG, "job1"));
    expectArmError(response, 400, "MissingApiVersionParameter", { target: "api-version", message: /2021-01-01/ });
  });

  test("empty → 400 MissingApiVersionParameter", async () => {
    const sub = newSubscriptionId();
    expectArmError(await api(service, "GET", `${jobPath(sub, RG, "job1")}?api-version=`), 400, "MissingApiVersionParameter");
  });

  test("unsupported → 400 InvalidApiVersionParameter", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", `${jobPath(sub, RG, "job1")}?api-version=2020-08-01`, importJobBody(sub));
    expectArmError(response, 400, "InvalidApiVersionParameter", { message: /2020-08-01/ });
    expectArmError(await api(service, "GET", jobUrl(sub, RG, "job1")), 404, "ResourceNotFound");
  });

  test("checked before the names: a bad name without api-version is still the api-version error", async () => {
    expectArmError(await api(service, "GET", jobPath("not-a-guid", RG, "x")), 400, "MissingApiVersionParameter");
  });
});

describe("request bodies", () => {
  test("malformed JSON → 400 InvalidRequestContent, never 500", async () => {
    const sub = newSubscriptionId();
    for (const text of ['{"location": "westus", ', "{location: westus}", "nul", '{"a":1}}', "\u0000"]) {
      const response = await api(service, "PUT", jobUrl(sub, RG, "job1"), text);
      expectArmError(response, 400, "InvalidRequestContent", { message: /not valid JSON/ });
    }
  });

  test.each([
    ["an array", "[]"],
    ["an array of the body", JSON.stringify([{ location: "westus" }])],
    ["a number", "42"],
    ["a string", '"hello"'],
    ["null", "null"],
    ["true", "true"],
  ])("a JSON %s body → 400 InvalidRequestContent", async (_label, text) => {
    const sub = newSubscriptionId();
    for (const method of ["PUT", "PATCH"]) {
      if (method === "PATCH") await createJob(service, sub, RG, "job1");
      const response = await api(service, method, jobUrl(sub, RG, "job1"), text);
      expectArmError(response, 400, "InvalidRequestContent");
      expect(response.body.error.details).toEqual([expect.objectContaining({ target: "body" })]);
    }
  });

  test("no body, or an empty or blank one, on PUT and PATCH → 400 InvalidRequestContent", async () => {
    const sub = newSubscriptionId();
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "job1")), 400, "InvalidRequestContent", { message: /empty/ });
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "job1"), ""), 400, "InvalidRequestContent", { message: /empty/ });
    expectArmError(await api(service, "PUT", jobUrl(sub, RG, "job1"), "  \n "), 400, "InvalidRequestContent", { message: /empty/ });
    await createJob(service, sub, RG, "job2");
    expectArmError(await api(service, "PATCH", jobUrl(sub, RG, "job2")), 400, "InvalidRequestContent", { message: /empty/ });
  });

  test("content-type text/plain → 415 UnsupportedMediaType", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PUT", jobUrl(sub, RG, "job1"), JSON.stringify(importJobBody(sub)), { "content-type": "text/plain" });
    expectArmError(response, 415, "UnsupportedMediaType", { message: /text\/plain/ });
    expectArmError(await api(service, "GET", jobUrl(sub, RG, "job1")), 404, "ResourceNotFound");
  });

  test("JSON content types with parameters and +json are accepted", async () => {
    const sub = newSubscriptionId();
    const charset = await api(service, "PUT", jobUrl(sub, RG, "job1"), JSON.stringify(importJobBody(sub)), { "content-type": "application/json; charset=utf-8" });
    expect(charset.status).toBe(201);
    const merge = await api(service, "PATCH", jobUrl(sub, RG, "job1"), JSON.stringify({ tags: { a: "b" } }), { "content-type": "application/merge-patch+json" });
    expect(merge.status).toBe(200);
  });

  test("deeply nested JSON (5000 and 100,000 levels) → 4xx, not 5xx", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "deep");
    for (const depth of [5000, 100_000]) {
      const nested = "[".repeat(depth) + "]".repeat(depth);
      for (const text of [nested, `{"tags": ${nested}}`, `{"tags": {}, "extra": ${nested}}`, `{"properties": {"driveList": ${nested}}}`]) {
        const response = await api(service, "PATCH", jobUrl(sub, RG, "deep"), text);
        expect(response.status).toBeLessThan(500);
        expect(response.status).toBeGreaterThanOrEqual(200);
        if (response.status >= 400) expectArmError(response, response.status, response.body.error.code);
      }
      // Objects take 6 bytes a level: keep them under the 256 KiB default body limit.
      const levels = Math.min(depth, 40_000);
      const objects = '{"a":'.repeat(levels) + "1" + "}".repeat(levels);
      const put = await api(service, "PUT", jobUrl(sub, RG, "deep2"), `{"location": "westus", "properties": ${objects}}`);
      expectArmError(put, 400, "InvalidRequestContent");
    }
  });

  test("unknown properties are ignored; read-only ones echoed back do not change the job", async () => {
    const sub = newSubscriptionId();
    const created = await createJob(service, sub, RG, "echo");
    // A GET response never carries the keys, so a client re-adds them to its drives before a PUT.
    const driveList = created.body.properties.driveList.map((drive: object) => ({ ...drive, bitLockerKey: BITLOCKER_KEY, state: "Completed" }));
    const echoed = { ...created.body, properties: { ...created.body.properties, driveList, state: "Completed", percentComplete: 50 }, unknown: 1 };
    const response = await api(service, "PUT", jobUrl(sub, RG, "echo"), echoed);
    expect(response.status).toBe(200);
    expect(response.body.properties.state).toBe("Creating");
    expect(response.body.properties.percentComplete).toBe(0);
    expect(response.body.properties.driveList.map((drive: { state: string }) => drive.state)).toEqual(["Specified", "Specified"]);
    expect(response.body.systemData.createdAt).toBe(created.body.systemData.createdAt);
  });
});

describe("routing", () => {
  test("an unknown path → 404 NotFound in the ARM shape", async () => {
    for (const path of ["/nothing/here", `/subscriptions/${newSubscriptionId()}/providers/Microsoft.ImportExport/widgets?${API}`, "/"]) {
      const response = await api(service, "GET", path);
      expectArmError(response, 404, "NotFound");
    }
  });

  test("a method no route serves (PROPFIND) → an ARM error with a request id", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "PROPFIND", jobUrl(sub, RG, "job1"));
    expect([404, 405]).toContain(response.status);
    expectArmError(response, response.status, response.status === 404 ? "NotFound" : "MethodNotAllowed");
  });

  test("POST on a job → 405 MethodNotAllowed with Allow", async () => {
    const sub = newSubscriptionId();
    const response = await api(service, "POST", jobUrl(sub, RG, "job1"), importJobBody(sub));
    expectArmError(response, 405, "MethodNotAllowed", { message: /POST/ });
    const allowed = response.headers.get("allow")!.split(",").map((method) => method.trim()).sort();
    expect(allowed).toEqual(["DELETE", "GET", "PATCH", "PUT"]);
  });

  test("PUT on a list path and DELETE on operations → 405 naming GET", async () => {
    const sub = newSubscriptionId();
    const list = await api(service, "PUT", `/subscriptions/${sub}/providers/Microsoft.ImportExport/jobs?${API}`, {});
    expectArmError(list, 405, "MethodNotAllowed");
    expect(list.headers.get("allow")).toBe("GET");
    const operations = await api(service, "DELETE", `/providers/Microsoft.ImportExport/operations?${API}`);
    expectArmError(operations, 405, "MethodNotAllowed");
    expect(operations.headers.get("allow")).toBe("GET");
  });

  test("a job path with a trailing slash is still the job", async () => {
    const sub = newSubscriptionId();
    await createJob(service, sub, RG, "slash");
    const response = await api(service, "GET", `${jobPath(sub, RG, "slash")}/?${API}`);
    expect(response.status).toBe(200);
    expect(response.body.name).toBe("slash");
  });

  test("each response has its own request id", async () => {
    const sub = newSubscriptionId();
    const first = await api(service, "GET", jobUrl(sub, RG, "a1"));
    const second = await api(service, "GET", jobUrl(sub, RG, "a1"));
    expect(first.headers.get("x-ms-request-id")).not.toBe(second.headers.get("x-ms-request-id"));
  });
});
