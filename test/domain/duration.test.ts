/**
 * ISO-8601 durations as the service's clocks read them: weeks, days and times, never years or months.
 */
import { addMs, describeDuration, parseIsoDuration } from "../../shared/domain/duration";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("parseIsoDuration", () => {
  test.each<[string, number]>([
    ["P14D", 14 * DAY],
    ["PT30S", 30 * SECOND],
    ["P1W", 7 * DAY],
    ["PT0.5S", 500],
    ["P1DT2H", DAY + 2 * HOUR],
    ["PT1M", MINUTE],
    ["PT90M", 90 * MINUTE],
    ["PT1H30M15S", HOUR + 30 * MINUTE + 15 * SECOND],
    ["P1W2DT3H", 9 * DAY + 3 * HOUR],
    ["P0.5D", 12 * HOUR],
    ["P90D", 90 * DAY],
    ["PT0.0015S", 2],
    ["P0D", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  test.each([
    ["P1Y", "years depend on the calendar"],
    ["P1M", "months depend on the calendar"],
    ["P1Y2M3D", "years and months"],
    ["", "empty"],
    ["P", "no parts"],
    ["PT", "a time marker with no time"],
    ["P1DT", "a trailing time marker"],
    ["14 days", "not ISO-8601"],
    ["p14d", "lower case"],
    ["14D", "no P"],
    ["-P1D", "negative"],
    ["P1H", "hours without T"],
    ["PT1D", "days after T"],
    ["P1D2W", "parts out of order"],
    [" P1D", "leading space"],
    ["P1.D", "a dot without decimals"],
  ])("refuses %j (%s)", (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });
});

describe("addMs", () => {
  test("adds milliseconds to a Date or an ISO time and returns ISO text", () => {
    expect(addMs(new Date("2026-03-01T12:00:00Z"), 14 * DAY)).toBe("2026-03-15T12:00:00.000Z");
    expect(addMs("2026-12-31T23:59:59.500Z", 500)).toBe("2027-01-01T00:00:00.000Z");
    expect(addMs("2026-03-01T00:00:00+01:00", 0)).toBe("2026-02-28T23:00:00.000Z");
  });
});

describe("describeDuration", () => {
  test.each([
    [14 * 86_400_000, "14 days"],
    [86_400_000, "1 day"],
    [3_600_000, "1 hour"],
    [2 * 3_600_000, "2 hours"],
    [30_000, "30 seconds"],
    [500, "500 ms"],
  ])("%d ms reads as %s (regression: short test durations read '0 days')", (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });
});
