/**
 * The `$filter` subset: the tree each supported form parses to, its Table Storage translation, and
 * a 400 that lists what is supported for everything else.
 */
import { parseJobFilter, SUPPORTED_FILTER } from "../../shared/service/api/odata-filter";
import { ServiceError } from "../../shared/domain/errors";
import { JobFilter } from "../../shared/domain/job-filter";
import { toTableFilter } from "../../shared/storage/jobs.store";

const creating: JobFilter = { kind: "state", op: "eq", value: "Creating" };
const shipping: JobFilter = { kind: "state", op: "eq", value: "Shipping" };
const importType: JobFilter = { kind: "jobType", op: "eq", value: "Import" };

function filterError(text: string): ServiceError {
  try {
    parseJobFilter(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    return error as ServiceError;
  }
  throw new Error(`expected '${text.slice(0, 60)}' to be refused`);
}

describe("supported forms", () => {
  test.each<[string, JobFilter, string]>([
    ["state eq 'Creating'", creating, "State eq 'Creating'"],
    ["state ne 'Shipping'", { kind: "state", op: "ne", value: "Shipping" }, "State ne 'Shipping'"],
    ["properties/state eq 'Transferring'", { kind: "state", op: "eq", value: "Transferring" }, "State eq 'Transferring'"],
    ["jobType eq 'Import'", importType, "JobType eq 'Import'"],
    ["jobType ne 'Export'", { kind: "jobType", op: "ne", value: "Export" }, "JobType ne 'Export'"],
    ["properties/jobType eq 'Export'", { kind: "jobType", op: "eq", value: "Export" }, "JobType eq 'Export'"],
  ])("%s", (text, tree, table) => {
    const parsed = parseJobFilter(text);
    expect(parsed).toEqual(tree);
    expect(toTableFilter(parsed)).toBe(table);
  });

  test.each([["ge"], ["gt"], ["le"], ["lt"]] as ["ge" | "gt" | "le" | "lt"][])("creationTime %s datetime'...'", (op) => {
    const parsed = parseJobFilter(`creationTime ${op} datetime'2026-01-02T03:04:05Z'`);
    expect(parsed).toEqual({ kind: "createdAt", op, value: new Date("2026-01-02T03:04:05.000Z") });
    expect(toTableFilter(parsed)).toBe(`CreatedAt ${op} datetime'2026-01-02T03:04:05.000Z'`);
  });

  test.each([["createdAt"], ["systemData/createdAt"], ["CREATIONTIME"]])("%s is an alias of creationTime", (field) => {
    expect(parseJobFilter(`${field} lt datetime'2026-01-01T00:00:00Z'`)).toEqual({
      kind: "createdAt",
      op: "lt",
      value: new Date("2026-01-01T00:00:00Z"),
    });
  });

  test("a time with an offset is converted to UTC", () => {
    const parsed = parseJobFilter("creationTime gt datetime'2026-01-01T10:00:00+02:00'");
    expect(toTableFilter(parsed)).toBe("CreatedAt gt datetime'2026-01-01T08:00:00.000Z'");
    const west = parseJobFilter("creationTime gt datetime'2026-01-01T10:00:00.250-05:00'");
    expect(toTableFilter(west)).toBe("CreatedAt gt datetime'2026-01-01T15:00:00.250Z'");
  });

  test("a time without an offset is read as UTC, whatever the host's time zone", () => {
    // Run with TZ=America/New_York to see the difference this makes.
    const parsed = parseJobFilter("creationTime ge datetime'2026-01-01T00:00:00'");
    expect(toTableFilter(parsed)).toBe("CreatedAt ge datetime'2026-01-01T00:00:00.000Z'");
    const withFraction = parseJobFilter("creationTime ge datetime'2026-07-01T12:30:00.5'");
    expect(toTableFilter(withFraction)).toBe("CreatedAt ge datetime'2026-07-01T12:30:00.500Z'");
    const dateOnly = parseJobFilter("creationTime ge datetime'2026-01-01'");
    expect(toTableFilter(dateOnly)).toBe("CreatedAt ge datetime'2026-01-01T00:00:00.000Z'");
  });

  test("creationTime also takes a plain quoted time", () => {
    expect(parseJobFilter("creationTime le '2026-06-01T00:00:00Z'")).toEqual({
      kind: "createdAt",
      op: "le",
      value: new Date("2026-06-01T00:00:00Z"),
    });
  });

  test("and", () => {
    const parsed = parseJobFilter("state eq 'Creating' and jobType eq 'Import'");
    expect(parsed).toEqual({ kind: "and", left: creating, right: importType });
    expect(toTableFilter(parsed)).toBe("(State eq 'Creating') and (JobType eq 'Import')");
  });

  test("or", () => {
    const parsed = parseJobFilter("state eq 'Creating' or state eq 'Shipping'");
    expect(parsed).toEqual({ kind: "or", left: creating, right: shipping });
    expect(toTableFilter(parsed)).toBe("(State eq 'Creating') or (State eq 'Shipping')");
  });

  test("and binds tighter than or", () => {
    const parsed = parseJobFilter("state eq 'Creating' or state eq 'Shipping' and jobType eq 'Import'");
    expect(parsed).toEqual({ kind: "or", left: creating, right: { kind: "and", left: shipping, right: importType } });
    expect(toTableFilter(parsed)).toBe("(State eq 'Creating') or ((State eq 'Shipping') and (JobType eq 'Import'))");
  });

  test("parentheses override precedence", () => {
    const parsed = parseJobFilter("(state eq 'Creating' or state eq 'Shipping') and jobType eq 'Import'");
    expect(parsed).toEqual({ kind: "and", left: { kind: "or", left: creating, right: shipping }, right: importType });
    expect(toTableFilter(parsed)).toBe("((State eq 'Creating') or (State eq 'Shipping')) and (JobType eq 'Import')");
  });

  test("chains are left-associative", () => {
    const parsed = parseJobFilter("state eq 'Creating' and jobType eq 'Import' and creationTime ge datetime'2026-01-01T00:00:00Z'");
    expect(parsed).toEqual({
      kind: "and",
      left: { kind: "and", left: creating, right: importType },
      right: { kind: "createdAt", op: "ge", value: new Date("2026-01-01T00:00:00Z") },
    });
    expect(toTableFilter(parsed)).toBe(
      "((State eq 'Creating') and (JobType eq 'Import')) and (CreatedAt ge datetime'2026-01-01T00:00:00.000Z')",
    );
  });

  test("redundant parentheses and whitespace are fine", () => {
    expect(parseJobFilter("  ((( state   eq\t'Creating' )))  ")).toEqual(creating);
    expect(parseJobFilter("(state eq 'Creating')and(jobType eq 'Import')")).toEqual({ kind: "and", left: creating, right: importType });
  });

  test("keywords, property names and values are case-insensitive; values come out canonical", () => {
    expect(parseJobFilter("STATE EQ 'creating' AND JobType Eq 'IMPORT'")).toEqual({ kind: "and", left: creating, right: importType });
    expect(parseJobFilter("Properties/State NE 'completed' Or createdat ge datetime'2026-01-01T00:00:00Z'")).toEqual({
      kind: "or",
      left: { kind: "state", op: "ne", value: "Completed" },
      right: { kind: "createdAt", op: "ge", value: new Date("2026-01-01T00:00:00Z") },
    });
    expect(parseJobFilter("creationTime GT DateTime'2026-01-01T00:00:00Z'")).toEqual({
      kind: "createdAt",
      op: "gt",
      value: new Date("2026-01-01T00:00:00Z"),
    });
  });

  test("two quotes in a row stand for one quote in a value", () => {
    const error = filterError("state eq 'O''Brien'");
    expect(error.message).toContain("'O'Brien' is not a job state");
  });

  test("an escaped quote does not end the value, so what follows stays inside it", () => {
    const error = filterError("state eq 'Creating'' or state eq ''Shipping'");
    expect(error.message).toContain("'Creating' or state eq 'Shipping' is not a job state");
  });

  test("20 comparisons and 10 levels of parentheses are allowed", () => {
    const twenty = Array.from({ length: 20 }, () => "state eq 'Creating'").join(" or ");
    expect(() => parseJobFilter(twenty)).not.toThrow();
    expect(parseJobFilter(`${"(".repeat(10)}state eq 'Creating'${")".repeat(10)}`)).toEqual(creating);
  });

  test("a filter of exactly 2048 characters is allowed", () => {
    const text = "state eq 'Creating'".padEnd(2048, " ");
    expect(text).toHaveLength(2048);
    expect(parseJobFilter(text)).toEqual(creating);
  });
});

test("regression: a date in the years 0-99 is that year, not 19xx (Date.UTC's reading)", () => {
  expect(parseJobFilter("creationTime ge datetime'0001-01-01T00:00:00Z'")).toEqual({ kind: "createdAt", op: "ge", value: new Date("0001-01-01T00:00:00Z") });
});

describe("toTableFilter", () => {
  test("quotes in values are escaped for Table Storage", () => {
    // The parser never yields such a value; the translation is safe on its own anyway.
    const tree = { kind: "state", op: "eq", value: "O'Brien" } as unknown as JobFilter;
    expect(toTableFilter(tree)).toBe("State eq 'O''Brien'");
  });

  test("ne translates to ne", () => {
    expect(toTableFilter({ kind: "jobType", op: "ne", value: "Import" })).toBe("JobType ne 'Import'");
  });
});

describe("unsupported forms are a 400 InvalidFilter that lists what is supported", () => {
  const twentyOne = Array.from({ length: 21 }, () => "state eq 'Creating'").join(" or ");
  test.each<[string, string, string]>([
    ["an unknown property", "name eq 'job1'", "the property 'name' cannot be filtered on"],
    ["a function call", "contains(state,'Creating')", "unexpected character ','"],
    ["a function call without a comma", "contains(state)", "the property 'contains' cannot be filtered on"],
    ["state gt", "state gt 'Creating'", "state takes eq or ne, not 'gt'"],
    ["jobType lt", "jobType lt 'Import'", "jobType takes eq or ne, not 'lt'"],
    ["an unknown state", "state eq 'Lost'", "'Lost' is not a job state"],
    ["an unknown job type", "jobType eq 'Copy'", "'Copy' is not a job type"],
    ["an unquoted state", "state eq Creating", "state is compared with a quoted string"],
    ["creationTime eq", "creationTime eq datetime'2026-01-01T00:00:00Z'", "creationTime takes gt, ge, lt or le, not 'eq'"],
    ["creationTime with a word", "creationTime gt yesterday", "creationTime is compared with datetime"],
    ["creationTime with a non-time", "creationTime gt datetime'soon'", "'soon' is not an ISO-8601 time"],
    ["creationTime with an impossible date", "creationTime gt datetime'2026-13-45T00:00:00Z'", "is not an ISO-8601 time"],
    ["regression: a day the month does not have (not rolled over to March)", "creationTime gt datetime'2026-02-30T00:00:00Z'", "is not an ISO-8601 time"],
    ["an unclosed quote", "state eq 'Creating", "a quoted value is not closed"],
    ["an unclosed datetime", "creationTime gt datetime'2026-01-01", "a quoted value is not closed"],
    ["an unclosed parenthesis", "(state eq 'Creating'", "the filter ends where ')' was expected"],
    ["an extra closing parenthesis", "state eq 'Creating')", "unexpected ')'"],
    ["an empty pair of parentheses", "()", "expected a property name but found ')'"],
    ["a parenthesis closed by something else", "(state eq 'Creating' 'x'", "expected ')' but found 'x'"],
    ["trailing tokens", "state eq 'Creating' jobType", "unexpected 'jobType'"],
    ["a trailing and", "state eq 'Creating' and", "the filter ends where a comparison or '(' was expected"],
    ["a leading or", "or state eq 'Creating'", "the property 'or' cannot be filtered on"],
    ["a missing value", "state eq", "the filter ends where a value was expected"],
    ["a missing operator", "state", "the filter ends where an operator was expected"],
    ["not", "not state eq 'Creating'", "the property 'not' cannot be filtered on"],
    ["an operator symbol", "state = 'Creating'", "unexpected character '='"],
    ["an empty filter", "", "the filter is empty"],
    ["a blank filter", "   ", "the filter is empty"],
    ["a filter that is too long", "state eq 'Creating'".padEnd(2049, " "), "longer than 2048 characters"],
    ["too many comparisons", twentyOne, "more than 20 comparisons"],
    ["parentheses nested too deep", `${"(".repeat(11)}state eq 'Creating'${")".repeat(11)}`, "nested more than 10 deep"],
  ])("%s", (_label, text, reason) => {
    const error = filterError(text);
    expect(error.status).toBe(400);
    expect(error.code).toBe("InvalidFilter");
    expect(error.target).toBe("$filter");
    expect(error.message).toContain(reason);
    expect(error.message).toContain("Supported:");
    expect(error.message.endsWith(SUPPORTED_FILTER)).toBe(true);
  });
});
