/**
 * Ship dates. The 2021-01-01 spec types `shipDate` as a free string, and Microsoft's own examples
 * write it the way .NET prints a date in the US (`9/29/2017 10:28:35 PM`), while ISO 8601 is what
 * every other date of the API uses. Both are accepted and stored in one form, ISO 8601: a date alone
 * stays a date (`2017-09-29`), a date with a time becomes UTC (`2017-09-29T22:28:35.000Z`; a US-form
 * time has no zone and is taken as UTC). Anything else is refused: a ship date nobody can read
 * serves no one, and the domain compares and shows it.
 */

export const SHIP_DATE_FORMS = "an ISO-8601 date or date-time (2017-09-29, 2017-09-29T22:28:35Z) or M/D/YYYY with an optional h:mm:ss AM/PM time (9/29/2017 10:28:35 PM)";

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/i;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AP]M))?$/i;

/** The ship date in its stored form, or undefined when it is in neither accepted form or no real date. */
export function normalizeShipDate(value: string): string | undefined {
  const text = value.trim();
  const isoDate = ISO_DATE.exec(text);
  if (isoDate) return validDate(Number(isoDate[1]), Number(isoDate[2]), Number(isoDate[3])) ? text : undefined;
  if (ISO_DATE_TIME.test(text)) {
    const date = text.slice(0, 10).split("-").map(Number);
    const time = Date.parse(text);
    return validDate(date[0], date[1], date[2]) && !Number.isNaN(time) ? new Date(time).toISOString() : undefined;
  }
  const us = US_DATE.exec(text);
  if (!us) return undefined;
  const [month, day, year] = [Number(us[1]), Number(us[2]), Number(us[3])];
  if (!validDate(year, month, day)) return undefined;
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  if (us[4] === undefined) return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  const [hour12, minute, second] = [Number(us[4]), Number(us[5]), Number(us[6] ?? 0)];
  if (hour12 < 1 || hour12 > 12 || minute > 59 || second > 59) return undefined;
  const hour = (hour12 % 12) + (us[7].toUpperCase() === "PM" ? 12 : 0);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second)).toISOString();
}

function validDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
