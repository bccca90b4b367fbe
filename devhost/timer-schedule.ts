/**
 * When the local host fires a timer, as the Functions host does: the schedule's `%NAME%` binding
 * expressions are resolved from the app settings (the environment), then read as NCRONTAB
 * (shared/config/ncrontab.ts) and its next occurrence taken in UTC.
 */
import { CronSchedule, parseNcrontab } from "../shared/config/ncrontab";

/**
 * `%NAME%` replaced with the app setting NAME; as in the Functions host, a setting that is not set
 * is an error naming it rather than an empty schedule.
 */
export function resolveAppSettings(text: string, env: Record<string, string | undefined> = process.env): string {
  return text.replace(/%([^%]+)%/g, (expression, name: string) => {
    const value = env[name];
    if (value === undefined || value === "") throw new Error(`'${expression}' does not resolve to a value: set the app setting ${name}`);
    return value;
  });
}

/** The timer's schedule with its app settings resolved, parsed. */
export function timerSchedule(schedule: string, env: Record<string, string | undefined> = process.env): CronSchedule {
  return parseNcrontab(resolveAppSettings(schedule, env));
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
