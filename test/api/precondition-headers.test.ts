/** Reading If-Match and If-None-Match (RFC 9110 §13.1.1, §13.1.2): `*` or a list of entity tags (pure). */
import { parsePreconditions } from "../../shared/api/precondition-headers";
import { ServiceError } from "../../shared/domain/errors";

const headers = (values: Record<string, string>) => new Headers(values);

function refusal(values: Record<string, string>): string {
  try {
    parsePreconditions(headers(values));
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    const { status, code, target } = error as ServiceError;
    return `${status} ${code} ${target}`;
  }
  return "accepted";
}

test("absent or empty headers are no condition (ARM: If-Match \"\" is as absent)", () => {
  expect(parsePreconditions(headers({}))).toEqual({});
  expect(parsePreconditions(headers({ "If-Match": "", "If-None-Match": "  " }))).toEqual({});
});

test("`*`, one tag, or a list of strong and weak tags (a comma may sit inside a tag)", () => {
  expect(parsePreconditions(headers({ "If-Match": "*" }))).toEqual({ ifMatch: "*" });
  expect(parsePreconditions(headers({ "If-None-Match": " * " }))).toEqual({ ifNoneMatch: "*" });
  expect(parsePreconditions(headers({ "If-Match": '"abc"' }))).toEqual({ ifMatch: [{ weak: false, opaque: "abc" }] });
  expect(parsePreconditions(headers({ "If-Match": 'W/"x,y" ,"", "z"' }))).toEqual({
    ifMatch: [
      { weak: true, opaque: "x,y" },
      { weak: false, opaque: "" },
      { weak: false, opaque: "z" },
    ],
  });
  // Empty list elements are allowed (RFC 9110 §5.6.1).
  expect(parsePreconditions(headers({ "If-None-Match": ', "a",, "b",' }))).toEqual({
    ifNoneMatch: [
      { weak: false, opaque: "a" },
      { weak: false, opaque: "b" },
    ],
  });
});

test("anything else → 400 InvalidHeaderValue naming the header", () => {
  for (const value of ["abc", '"abc', 'abc"', '*, "a"', '"a" "b"', '"a"x', "W/abc", 'w/"a"', '"a\u007fb"', '"a b"', '"a"\\"b"', ",", "**"]) {
    expect([value, refusal({ "If-Match": value })]).toEqual([value, "400 InvalidHeaderValue If-Match"]);
    expect([value, refusal({ "If-None-Match": value })]).toEqual([value, "400 InvalidHeaderValue If-None-Match"]);
  }
});
