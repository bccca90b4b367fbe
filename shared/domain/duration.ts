/**
 * ISO-8601 durations (`P14D`, `PT30S`, `P1W2DT3H`) for the service's clocks. Years and months are
 * refused because their length depends on the calendar, and the rules need an exact span.
 */
const DURATION = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

const MS = { week: 604_800_000, day: 86_400_000, hour: 3_600_000, minute: 60_000, second: 1_000 };

/** Milliseconds in an ISO-8601 duration, or undefined when the text is not one this service accepts. */
export function parseIsoDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === "P" || text.endsWith("T")) return undefined;
  const [, weeks, days, hours, minutes, seconds] = match.map((part) => (part === undefined ? 0 : Number(part)));
  return Math.round(weeks * MS.week + days * MS.day + hours * MS.hour + minutes * MS.minute + seconds * MS.second);
}

export function addMs(isoTime: string | Date, ms: number): string {
  return new Date(new Date(isoTime).getTime() + ms).toISOString();
}

/** "14 days", "1 hour", "30 seconds": a duration as a person reads it, in its largest whole unit. */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [MS.day, "day"],
    [MS.hour, "hour"],
    [MS.minute, "minute"],
    [MS.second, "second"],
  ];
  for (const [size, name] of units) {
    if (ms >= size) {
      const count = Math.round(ms / size);
      return `${count} ${name}${count === 1 ? "" : "s"}`;
    }
  }
  return `${ms} ms`;
}
