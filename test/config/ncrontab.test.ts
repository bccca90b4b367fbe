/**
 * NCRONTAB as the settings check and the local host read it, checked against the Functions host's
 * parser (NCrontab, CrontabFieldImpl and CrontabSchedule): six fields or five without the seconds,
 * weekdays 0-6 (7 refused), month and weekday names by prefix, the next occurrence strictly after
 * the given time, and a day that must match both the day and the weekday field. The local host
 * resolves `%SETTING%` in a timer's schedule as the Functions host does. 2026-03-01 is a Sunday.
 */
import { resolveAppSettings, nextOccurrence, timerSchedule } from "../../devhost/timer-schedule";
import { parseNcrontab } from "../../shared/config/ncrontab";

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
    expect(sorted(schedule.weekdays)).toEqual([0, 1, 2, 3, 4, 5, 6]);
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

  test("weekdays run 0-6 from Sunday; 7 is refused, as NCrontab's weekday field ends at 6 (the Functions host would not start the timer)", () => {
    expect(sorted(parseNcrontab("0 0 0 * * 0,6").weekdays)).toEqual([0, 6]);
    expect(() => parseNcrontab("0 0 12 * * 7")).toThrow(/7 in '0 0 12 \* \* 7' is out of the weekday range 0-6/);
    expect(() => parseNcrontab("0 0 12 * * 5-7")).toThrow(/out of the weekday range 0-6/);
  });

  test("month and weekday names: any case, any prefix of the English name, the first name in order that it starts", () => {
    expect(sorted(parseNcrontab("0 0 9 * * Mon-Fri").weekdays)).toEqual([1, 2, 3, 4, 5]);
    expect(sorted(parseNcrontab("0 0 9 * * monday,WEDNESDAY,fri").weekdays)).toEqual([1, 3, 5]);
    expect(sorted(parseNcrontab("0 0 9 * * S").weekdays)).toEqual([0]); // Sunday before Saturday
    expect(sorted(parseNcrontab("0 0 9 * * T,Th").weekdays)).toEqual([2, 4]);
    expect(sorted(parseNcrontab("0 0 9 * * Sa").weekdays)).toEqual([6]);
    expect(sorted(parseNcrontab("0 0 0 1 Jan,jul * ").months)).toEqual([1, 7]);
    expect(sorted(parseNcrontab("0 0 0 1 J *").months)).toEqual([1]); // January before June and July
    expect(sorted(parseNcrontab("0 0 0 1 mar-May/2 *").months)).toEqual([3, 5]);
    expect(next("0 0 12 * * Sun", "2026-03-02T00:00:00Z")).toBe("2026-03-08T12:00:00.000Z");
  });

  test.each([
    ["a name longer than the month's", "0 0 0 1 Januaryy *"],
    ["a name that is no weekday's prefix", "0 0 0 * * Mondays"],
    ["a name in a field without names", "0 0 noon * * *"],
    ["SUN-style three letters in the day field", "0 0 0 Mon * *"],
  ])("names refused: %s", (_name, expression) => {
    expect(() => parseNcrontab(expression)).toThrow(/is not a (month|weekday|hour|day)/);
  });

  test("five fields are minutes first with second 0, as the Functions host reads them", () => {
    const schedule = parseNcrontab("30 9 * * 1-5");
    expect(sorted(schedule.seconds)).toEqual([0]);
    expect(sorted(schedule.minutes)).toEqual([30]);
    expect(sorted(schedule.hours)).toEqual([9]);
    expect(next("30 9 * * 1-5", "2026-03-01T08:00:00Z")).toBe("2026-03-02T09:30:00.000Z");
  });

  test("as NCrontab does, a reversed range is read in order and a step of 0 counts as 1", () => {
    expect(sorted(parseNcrontab("0 0 11-9 * * *").hours)).toEqual([9, 10, 11]);
    expect(sorted(parseNcrontab("0 0 20/0 * * *").hours)).toEqual([20, 21, 22, 23]);
  });

  test.each([
    ["seven fields", "0 0 * * * * 2026"],
    ["four fields", "0 * * *"],
    ["empty", ""],
    ["fields separated by a tab (NCrontab splits on spaces only)", "0\t0 * * * *"],
    ["second 60", "60 * * * * *"],
    ["minute 60", "0 60 * * * *"],
    ["hour 24", "0 0 24 * * *"],
    ["day 0", "0 0 0 0 * *"],
    ["day 32", "0 0 0 32 * *"],
    ["month 0", "0 0 0 1 0 *"],
    ["month 13", "0 0 0 1 13 *"],
    ["weekday 8", "0 0 0 * * 8"],
    ["a range running past the end", "0 50-61 * * * *"],
    ["a letter", "0 0 x * * *"],
    ["an empty list item", "0 1,,2 * * * *"],
    ["a negative number", "0 -1 * * * *"],
    ["a range from '*'", "0 *-5 * * * *"],
    ["'?' (Quartz, not NCRONTAB)", "0 0 0 ? * 1"],
    ["'L' (Quartz, not NCRONTAB)", "0 0 0 L * *"],
    ["'#' (Quartz, not NCRONTAB)", "0 0 0 * * 1#2"],
  ])("invalid: %s throws", (_name, expression) => {
    expect(() => parseNcrontab(expression)).toThrow();
  });

  test("the error names the expression and what is wrong", () => {
    expect(() => parseNcrontab("0 * * *")).toThrow(/six fields \(sec min hour day month weekday\) or five/);
    expect(() => parseNcrontab("0 0 24 * * *")).toThrow(/24 in '0 0 24 \* \* \*' is out of the hour range 0-23/);
    expect(() => parseNcrontab("0 0 x * * *")).toThrow(/'x' .* is not a hour/);
    expect(() => parseNcrontab("0 0 0 1 13x *")).toThrow(/'13x' in .* is not a cron month field/);
  });
});

describe("a timer's schedule with %SETTING% expressions, resolved as the Functions host resolves them", () => {
  test("'%NAME%' is the app setting NAME", () => {
    expect(resolveAppSettings("%SWEEP_SCHEDULE%", { SWEEP_SCHEDULE: "0 */5 * * * *" })).toBe("0 */5 * * * *");
    expect(sorted(timerSchedule("%SWEEP_SCHEDULE%", { SWEEP_SCHEDULE: "0 */20 * * * *" }).minutes)).toEqual([0, 20, 40]);
    expect(resolveAppSettings("0 0 * * * *", {})).toBe("0 0 * * * *");
  });

  test("a setting that is not set (or empty, as local.settings.json leaves it) is an error naming it", () => {
    expect(() => resolveAppSettings("%SWEEP_SCHEDULE%", {})).toThrow("'%SWEEP_SCHEDULE%' does not resolve to a value: set the app setting SWEEP_SCHEDULE");
    expect(() => timerSchedule("%SWEEP_SCHEDULE%", { SWEEP_SCHEDULE: "" })).toThrow(/SWEEP_SCHEDULE/);
  });

  test("a resolved value that is no NCRONTAB expression is refused like any other", () => {
    expect(() => timerSchedule("%SWEEP_SCHEDULE%", { SWEEP_SCHEDULE: "0 0 12 * * 7" })).toThrow(/weekday range 0-6/);
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
