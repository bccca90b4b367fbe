/**
 * NCRONTAB as the local host reads it (six fields, UTC), checked against the Functions host's parser
 * (NCrontab): the next occurrence is strictly after the given time, fields take lists, ranges and
 * steps, a day must match both the day and the weekday field, and malformed expressions throw.
 * 2026-03-01 is a Sunday.
 */
import { nextOccurrence, parseNcrontab } from "../../shared/app/ncrontab";

const next = (expression: string, after: string) => nextOccurrence(parseNcrontab(expression), new Date(after)).toISOString();

/** The first `count` occurrences after `after`. */
function occurrences(expression: string, after: string, count: number): string[] {
  const schedule = parseNcrontab(expression);
  const found: string[] = [];
  let time = new Date(after);
  for (let i = 0; i < count; i++) {
    time = nextOccurrence(schedule, time);
    found.push(time.toISOString());
  }
  return found;
}

const sorted = (values: Set<number>) => [...values].sort((a, b) => a - b);

describe("parseNcrontab", () => {
  test("'0 0 * * * *' (the default sweep schedule): second 0, minute 0, every hour, day, month and weekday", () => {
    const schedule = parseNcrontab("0 0 * * * *");
    expect(sorted(schedule.seconds)).toEqual([0]);
    expect(sorted(schedule.minutes)).toEqual([0]);
    expect(schedule.hours.size).toBe(24);
    expect(sorted(schedule.days)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(sorted(schedule.months)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(sorted(schedule.weekdays)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  test("lists, ranges, steps, and steps over a range or from a start", () => {
    const schedule = parseNcrontab("*/15 1,2,30 9-11 1-10/3 2/5 1-5");
    expect(sorted(schedule.seconds)).toEqual([0, 15, 30, 45]);
    expect(sorted(schedule.minutes)).toEqual([1, 2, 30]);
    expect(sorted(schedule.hours)).toEqual([9, 10, 11]);
    expect(sorted(schedule.days)).toEqual([1, 4, 7, 10]);
    expect(sorted(schedule.months)).toEqual([2, 7, 12]);
    expect(sorted(schedule.weekdays)).toEqual([1, 2, 3, 4, 5]);
  });

  test("a list mixing single values, ranges and steps; extra blanks around and between fields", () => {
    const schedule = parseNcrontab("  0   5,10-12,40-59/10   *  * *   *  ");
    expect(sorted(schedule.minutes)).toEqual([5, 10, 11, 12, 40, 50]);
  });

  test("weekday 7 is Sunday, like 0", () => {
    expect(sorted(parseNcrontab("0 0 0 * * 7").weekdays)).toEqual([0, 7]);
    expect(next("0 0 12 * * 7", "2026-03-02T00:00:00Z")).toBe("2026-03-08T12:00:00.000Z");
  });

  test.each([
    ["five fields (classic cron)", "0 * * * *"],
    ["seven fields", "0 0 * * * * 2026"],
    ["empty", ""],
    ["second 60", "60 * * * * *"],
    ["minute 60", "0 60 * * * *"],
    ["hour 24", "0 0 24 * * *"],
    ["day 0", "0 0 0 0 * *"],
    ["day 32", "0 0 0 32 * *"],
    ["month 0", "0 0 0 1 0 *"],
    ["month 13", "0 0 0 1 13 *"],
    ["weekday 8", "0 0 0 * * 8"],
    ["a reversed range", "0 0 10-9 * * *"],
    ["a range running past the end", "0 50-61 * * * *"],
    ["step 0", "*/0 * * * * *"],
    ["a letter", "0 0 x * * *"],
    ["an empty list item", "0 1,,2 * * * *"],
    ["a negative number", "0 -1 * * * *"],
    ["'?' (Quartz, not NCRONTAB)", "0 0 0 ? * 1"],
  ])("invalid: %s throws", (_name, expression) => {
    expect(() => parseNcrontab(expression)).toThrow();
  });

  test("the error names the expression and what is wrong", () => {
    expect(() => parseNcrontab("0 * * * *")).toThrow(/six-field NCRONTAB/);
    expect(() => parseNcrontab("0 0 24 * * *")).toThrow(/'24' in '0 0 24 \* \* \*' is out of range 0-23/);
    expect(() => parseNcrontab("0 0 x * * *")).toThrow(/'x' .* is not a cron field/);
  });
});

describe("nextOccurrence", () => {
  test("hourly: the next top of the hour, strictly after the given time", () => {
    expect(next("0 0 * * * *", "2026-03-01T10:15:30.250Z")).toBe("2026-03-01T11:00:00.000Z");
    expect(next("0 0 * * * *", "2026-03-01T10:00:00.000Z")).toBe("2026-03-01T11:00:00.000Z");
    expect(next("0 0 * * * *", "2026-03-01T09:59:59.999Z")).toBe("2026-03-01T10:00:00.000Z");
    expect(next("0 0 * * * *", "2026-03-01T23:00:00.000Z")).toBe("2026-03-02T00:00:00.000Z");
    expect(next("0 0 * * * *", "2026-12-31T23:59:59.000Z")).toBe("2027-01-01T00:00:00.000Z");
    expect(occurrences("0 0 * * * *", "2026-02-28T22:30:00Z", 3)).toEqual(["2026-02-28T23:00:00.000Z", "2026-03-01T00:00:00.000Z", "2026-03-01T01:00:00.000Z"]);
  });

  test("every five seconds", () => {
    expect(next("*/5 * * * * *", "2026-03-01T10:00:00.000Z")).toBe("2026-03-01T10:00:05.000Z");
    expect(next("*/5 * * * * *", "2026-03-01T10:00:03.500Z")).toBe("2026-03-01T10:00:05.000Z");
    expect(next("*/5 * * * * *", "2026-03-01T10:00:04.999Z")).toBe("2026-03-01T10:00:05.000Z");
    expect(next("*/5 * * * * *", "2026-03-01T10:00:55.000Z")).toBe("2026-03-01T10:01:00.000Z");
    expect(occurrences("*/5 * * * * *", "2026-03-01T23:59:50Z", 3)).toEqual(["2026-03-01T23:59:55.000Z", "2026-03-02T00:00:00.000Z", "2026-03-02T00:00:05.000Z"]);
  });

  test("9:30 on weekdays: Friday's run is followed by Monday's", () => {
    expect(next("0 30 9 * * 1-5", "2026-03-01T08:00:00Z")).toBe("2026-03-02T09:30:00.000Z"); // Sunday → Monday
    expect(next("0 30 9 * * 1-5", "2026-03-02T09:29:59Z")).toBe("2026-03-02T09:30:00.000Z");
    expect(next("0 30 9 * * 1-5", "2026-03-02T09:30:00Z")).toBe("2026-03-03T09:30:00.000Z");
    expect(next("0 30 9 * * 1-5", "2026-03-06T09:30:00Z")).toBe("2026-03-09T09:30:00.000Z"); // Friday → Monday
    expect(occurrences("0 30 9 * * 1-5", "2026-03-01T00:00:00Z", 6).map((time) => new Date(time).getUTCDay())).toEqual([1, 2, 3, 4, 5, 1]);
  });

  test("lists and ranges of hours", () => {
    expect(occurrences("0 0 8,12,18 * * *", "2026-03-01T12:00:00Z", 3)).toEqual(["2026-03-01T18:00:00.000Z", "2026-03-02T08:00:00.000Z", "2026-03-02T12:00:00.000Z"]);
    expect(next("0 0 9-17 * * *", "2026-03-01T17:00:00Z")).toBe("2026-03-02T09:00:00.000Z");
    expect(next("0 0 9-17 * * *", "2026-03-01T03:00:00Z")).toBe("2026-03-01T09:00:00.000Z");
  });

  test("steps over a range and from a start", () => {
    expect(occurrences("0 10-50/20 * * * *", "2026-03-01T10:00:00Z", 4)).toEqual([
      "2026-03-01T10:10:00.000Z",
      "2026-03-01T10:30:00.000Z",
      "2026-03-01T10:50:00.000Z",
      "2026-03-01T11:10:00.000Z",
    ]);
    expect(occurrences("0 0 0/6 * * *", "2026-03-01T01:00:00Z", 3)).toEqual(["2026-03-01T06:00:00.000Z", "2026-03-01T12:00:00.000Z", "2026-03-01T18:00:00.000Z"]);
  });

  test("days and months: the 31st skips the short months; the 1st of January and July", () => {
    expect(occurrences("0 0 0 31 * *", "2026-03-31T00:00:00Z", 3)).toEqual(["2026-05-31T00:00:00.000Z", "2026-07-31T00:00:00.000Z", "2026-08-31T00:00:00.000Z"]);
    expect(occurrences("0 0 0 1 1,7 *", "2026-03-01T00:00:00Z", 2)).toEqual(["2026-07-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"]);
    expect(next("0 0 0 29 2 *", "2026-03-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
  });

  test("day and weekday both restricted: both must match, as NCrontab does (Friday the 13th)", () => {
    expect(occurrences("0 0 0 13 * 5", "2026-01-01T00:00:00Z", 3)).toEqual(["2026-02-13T00:00:00.000Z", "2026-03-13T00:00:00.000Z", "2026-11-13T00:00:00.000Z"]);
    for (const time of occurrences("0 0 0 1-7 * 1", "2026-03-01T00:00:00Z", 4)) {
      // The first Monday of each month: not every Monday and every one of the first seven days.
      expect(new Date(time).getUTCDay()).toBe(1);
      expect(new Date(time).getUTCDate()).toBeLessThanOrEqual(7);
    }
    expect(occurrences("0 0 0 1-7 * 1", "2026-03-01T00:00:00Z", 2)).toEqual(["2026-03-02T00:00:00.000Z", "2026-04-06T00:00:00.000Z"]);
  });

  test("a weekday with every day: only that weekday; a day with every weekday: only that day", () => {
    expect(occurrences("0 0 0 * * 0", "2026-03-01T00:00:00Z", 2)).toEqual(["2026-03-08T00:00:00.000Z", "2026-03-15T00:00:00.000Z"]);
    expect(occurrences("0 0 0 15 * *", "2026-03-01T00:00:00Z", 2)).toEqual(["2026-03-15T00:00:00.000Z", "2026-04-15T00:00:00.000Z"]);
  });

  test("a schedule that never occurs throws instead of looping", () => {
    expect(() => nextOccurrence(parseNcrontab("0 0 0 31 2 *"), new Date("2026-03-01T00:00:00Z"))).toThrow(/no occurrence/);
  });
});
