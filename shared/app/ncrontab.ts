/**
 * NCRONTAB, the six-field cron the Functions timer trigger takes ("sec min hour day month weekday",
 * in UTC): parsing and the next occurrence, so the local host fires timers on the same schedules.
 * Fields take `*`, numbers, ranges `a-b`, steps `*\/n` or `a-b/n`, and lists; weekday 0 (or 7) is Sunday.
 */
interface Field {
  min: number;
  max: number;
}

const FIELDS: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12 },
  { min: 0, max: 7 },
];

export interface CronSchedule {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  /**
   * As in NCrontab (the Functions host's parser), a day must match both the day and the weekday
   * field: "0 0 0 13 * 5" is Friday the 13th only, not (as in Unix cron) every 13th and every Friday.
   */
  weekdays: Set<number>;
}

export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`'${expression}' is not a six-field NCRONTAB expression (sec min hour day month weekday)`);
  const [seconds, minutes, hours, days, months, weekdays] = parts.map((part, index) => parseField(part, FIELDS[index], expression));
  if (weekdays.has(7)) weekdays.add(0);
  return { seconds, minutes, hours, days, months, weekdays };
}

function parseField(text: string, field: Field, expression: string): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const match = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(item);
    if (!match) throw new Error(`'${item}' in '${expression}' is not a cron field`);
    const start = match[1] === "*" ? field.min : Number(match[1]);
    const end = match[2] !== undefined ? Number(match[2]) : match[1] === "*" || match[3] !== undefined ? field.max : start;
    const step = match[3] !== undefined ? Number(match[3]) : 1;
    if (start < field.min || end > field.max || start > end || step < 1) throw new Error(`'${item}' in '${expression}' is out of range ${field.min}-${field.max}`);
    for (let value = start; value <= end; value += step) values.add(value);
  }
  return values;
}

/** The first time strictly after `after` that matches the schedule (UTC). */
export function nextOccurrence(schedule: CronSchedule, after: Date): Date {
  const time = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (time.getTime() < limit) {
    if (!schedule.months.has(time.getUTCMonth() + 1)) {
      time.setUTCMonth(time.getUTCMonth() + 1, 1);
      time.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!dayMatches(schedule, time)) {
      time.setUTCDate(time.getUTCDate() + 1);
      time.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!schedule.hours.has(time.getUTCHours())) {
      time.setUTCHours(time.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!schedule.minutes.has(time.getUTCMinutes())) {
      time.setUTCMinutes(time.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!schedule.seconds.has(time.getUTCSeconds())) {
      time.setUTCSeconds(time.getUTCSeconds() + 1, 0);
      continue;
    }
    return time;
  }
  throw new Error("The schedule has no occurrence in the next five years");
}

function dayMatches(schedule: CronSchedule, time: Date): boolean {
  return schedule.days.has(time.getUTCDate()) && schedule.weekdays.has(time.getUTCDay());
}
