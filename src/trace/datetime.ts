/**
 * Date-times of arrival traces: `2023-11-16 18:15:46.6805900` (Azure's traces), also with a
 * `T`, and with `Z` or an offset (`+01:00`, `-0500`, `+01`). Without a zone the time is read
 * as UTC, so that no daylight-saving shift enters the gaps between arrivals.
 *
 * Pure arithmetic, no `Date`: `Date.UTC` rolls bad fields over (2023-02-30 becomes March 2,
 * 25:00 the next day) and maps years 0..99 to 1900..1999, and either would silently move
 * arrivals. Here a field out of range is an error that says which.
 */
export const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A date-time split in two so that no digit of the fraction is lost: the whole seconds as
 * epoch ms (an integer, exact), and the fraction in ms as written (`.6805900` = 680.59 ms).
 * A double holds epoch ms to about 0.2 us only, so adding them is left to the caller, who
 * first subtracts a common origin from `wholeMs`.
 */
export interface DateTimeParts {
  wholeMs: number;
  fractionMs: number;
}

/** The parts of `text`, or why it is not a date-time (`undefined` reason: not the shape at all). */
export function parseDateTime(text: string): DateTimeParts | { invalid: string | undefined } {
  const match = dateTimePattern.exec(text);
  if (!match) return { invalid: undefined };
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return { invalid: `month ${match[2]} is not 01..12` };
  const monthDays = daysInMonth(year, month);
  if (day < 1 || day > monthDays) return { invalid: `day ${match[3]} is not 01..${monthDays} in ${year}-${match[2]}` };
  if (hour > 23) return { invalid: `hour ${match[4]} is not 00..23` };
  if (minute > 59) return { invalid: `minute ${match[5]} is not 00..59` };
  // No leap seconds: traces are written from clocks that smear them (and Date.UTC has none).
  if (second > 59) return { invalid: `second ${match[6]} is not 00..59` };
  let offsetMs = 0;
  const zone = match[8];
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const offsetH = Number(digits.slice(0, 2));
    const offsetMin = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (offsetH > 23 || offsetMin > 59) return { invalid: `offset ${zone} is not within -23:59..+23:59` };
    offsetMs = (zone.startsWith('-') ? -1 : 1) * (offsetH * 3_600_000 + offsetMin * 60_000);
  }
  const wholeMs = daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 - offsetMs;
  // Number('0.6805900') * 1000: the digits as written, to a double's precision at < 1000.
  const fractionMs = match[7] === undefined ? 0 : Number(`0.${match[7]}`) * 1000;
  return { wholeMs, fractionMs };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
