/**
 * NCRONTAB, the cron the Functions timer trigger takes, read as the Functions host reads it (the
 * NCrontab library behind its `CronSchedule`): six fields "sec min hour day month weekday", or five
 * without the seconds (second 0), separated by spaces, in UTC. The settings schema checks
 * `SWEEP_SCHEDULE` with it, so a schedule the host would refuse stops start-up; the local host fires
 * timers on the schedule it returns (devhost/timer-schedule.ts).
 *
 * A field is a list of items, each `*`, a value or a range `a-b`, optionally with a step `/n`.
 * Months and weekdays also take English names or any prefix of one ("Mon", "monday", "T" for
 * Tuesday: the first name in order that starts with it). Weekdays run 0-6 from Sunday: NCrontab
 * refuses 7. As NCrontab does, a reversed range is read in order and a step below 1 counts as 1.
 */
interface Field {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

const FIELDS: Field[] = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "weekday", min: 0, max: 6, names: WEEKDAYS },
];

export interface CronSchedule {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  /**
   * As in NCrontab, a day must match both the day and the weekday field: "0 0 0 13 * 5" is Friday
   * the 13th only, not (as in Unix cron) every 13th and every Friday.
   */
  weekdays: Set<number>;
}

export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.split(" ").filter(Boolean);
  if (parts.length === 5) parts.unshift("0");
  if (parts.length !== 6) throw new Error(`'${expression}' is not an NCRONTAB expression: six fields (sec min hour day month weekday) or five without the seconds`);
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((part, index) => parseField(part, FIELDS[index], expression));
  return { seconds, minutes, hours, days, months, weekdays };
}

function parseField(text: string, field: Field, expression: string): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const match = /^(?:(\*)|([0-9]+|[A-Za-z]+)(?:-([0-9]+|[A-Za-z]+))?)(?:\/([0-9]+))?$/.exec(item);
    if (!match) throw new Error(`'${item}' in '${expression}' is not a cron ${field.name} field`);
    const [, star, first, last, stepText] = match;
    const step = Math.max(1, stepText === undefined ? 1 : Number(stepText));
    let start = star ? field.min : valueOf(first, field, expression);
    let end = star || (last === undefined && stepText !== undefined) ? field.max : last === undefined ? start : valueOf(last, field, expression);
    if (start > end) [start, end] = [end, start];
    for (let value = start; value <= end; value += step) values.add(value);
  }
  return values;
}

function valueOf(text: string, field: Field, expression: string): number {
  const value = /^[0-9]/.test(text) ? Number(text) : nameValue(text, field);
  if (value === undefined) throw new Error(`'${text}' in '${expression}' is not a ${field.name}${field.names ? ` (a number or a prefix of ${field.names.join(", ")})` : ""}`);
  if (value < field.min || value > field.max) throw new Error(`${text} in '${expression}' is out of the ${field.name} range ${field.min}-${field.max}`);
  return value;
}

function nameValue(text: string, field: Field): number | undefined {
  const index = field.names?.findIndex((name) => name.toLowerCase().startsWith(text.toLowerCase())) ?? -1;
  return index < 0 ? undefined : field.min + index;
}
