/** Conditional requests on a job: its ETag, and If-Match / If-None-Match as RFC 9110 §13 evaluates them (pure). */
import { assertPreconditions, jobETag, Preconditions } from "../../shared/domain/preconditions";
import { JOB_KEY, thrown } from "../support/fixtures";

const STORED = `W/"datetime'2026-03-01T12%3A00%3A00.0000000Z'"`;
const CURRENT = jobETag(STORED);
const OTHER = jobETag(`W/"datetime'2026-03-01T12%3A00%3A00.0000001Z'"`);
const strong = (etag: string) => ({ weak: false, opaque: etag.slice(1, -1) });
const weak = (etag: string) => ({ weak: true, opaque: etag.slice(1, -1) });

function outcome(preconditions: Preconditions, current: string | undefined): string {
  try {
    assertPreconditions(preconditions, current, JOB_KEY);
    return "holds";
  } catch {
    const error = thrown(() => assertPreconditions(preconditions, current, JOB_KEY));
    return `${error.status} ${error.code} ${error.target}`;
  }
}

test("a job's ETag is strong and quoted, the same for one stored version, another for the next, and hides the storage's", () => {
  expect(CURRENT).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
  expect(jobETag(STORED)).toBe(CURRENT);
  expect(OTHER).not.toBe(CURRENT);
  expect(CURRENT).not.toContain("datetime");
});

test("no condition always holds", () => {
  expect(outcome({}, CURRENT)).toBe("holds");
  expect(outcome({}, undefined)).toBe("holds");
});

test("If-Match: * holds while the job exists; a list holds when it names the current ETag, compared strongly", () => {
  expect(outcome({ ifMatch: "*" }, CURRENT)).toBe("holds");
  expect(outcome({ ifMatch: "*" }, undefined)).toBe("412 PreconditionFailed If-Match");
  expect(outcome({ ifMatch: [strong(CURRENT)] }, CURRENT)).toBe("holds");
  expect(outcome({ ifMatch: [strong(OTHER), strong(CURRENT)] }, CURRENT)).toBe("holds");
  expect(outcome({ ifMatch: [strong(OTHER)] }, CURRENT)).toBe("412 PreconditionFailed If-Match");
  expect(outcome({ ifMatch: [strong(CURRENT)] }, undefined)).toBe("412 PreconditionFailed If-Match");
  // A weak tag never matches in If-Match (RFC 9110 §13.1.1: strong comparison).
  expect(outcome({ ifMatch: [weak(CURRENT)] }, CURRENT)).toBe("412 PreconditionFailed If-Match");
});

test("If-None-Match: * fails while the job exists; a list fails when it names the current ETag, weak or strong", () => {
  expect(outcome({ ifNoneMatch: "*" }, undefined)).toBe("holds");
  expect(outcome({ ifNoneMatch: "*" }, CURRENT)).toBe("412 PreconditionFailed If-None-Match");
  expect(outcome({ ifNoneMatch: [strong(OTHER)] }, CURRENT)).toBe("holds");
  expect(outcome({ ifNoneMatch: [strong(CURRENT)] }, undefined)).toBe("holds");
  expect(outcome({ ifNoneMatch: [strong(CURRENT)] }, CURRENT)).toBe("412 PreconditionFailed If-None-Match");
  expect(outcome({ ifNoneMatch: [weak(CURRENT)] }, CURRENT)).toBe("412 PreconditionFailed If-None-Match");
});

test("both: If-Match is evaluated first, then If-None-Match", () => {
  expect(outcome({ ifMatch: [strong(OTHER)], ifNoneMatch: "*" }, CURRENT)).toBe("412 PreconditionFailed If-Match");
  expect(outcome({ ifMatch: "*", ifNoneMatch: [strong(CURRENT)] }, CURRENT)).toBe("412 PreconditionFailed If-None-Match");
  expect(outcome({ ifMatch: "*", ifNoneMatch: [strong(OTHER)] }, CURRENT)).toBe("holds");
});

test("the 412's message names the job and says what to do, never the ETags", () => {
  const error = thrown(() => assertPreconditions({ ifMatch: [strong(OTHER)] }, CURRENT, JOB_KEY));
  expect(error.message).toContain(JOB_KEY.name);
  expect(error.message).not.toContain(CURRENT.slice(1, -1));
  expect(error.message).toMatch(/GET/);
});
