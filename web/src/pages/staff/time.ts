// Times typed by staff into date and datetime-local inputs are wall-clock times of the browser's
// zone; the API takes RFC 3339 times. They are sent with the browser's offset for that moment (its
// summer or winter offset), so the API and the audit log read the time the staff member meant.

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

// formatOffset writes an offset east of UTC in minutes as RFC 3339 does: 60 → "+01:00", -300 →
// "-05:00", 0 → "Z".
export function formatOffset(minutesEast: number): string {
  if (minutesEast === 0) return 'Z';
  const sign = minutesEast > 0 ? '+' : '-';
  const abs = Math.abs(minutesEast);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

// toRFC3339 writes d as its wall-clock time in the browser's zone with that zone's offset, to the
// second: 2026-03-08T14:30:00+01:00.
export function toRFC3339(d: Date): string {
  const date = `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${date}T${time}${formatOffset(-d.getTimezoneOffset())}`;
}

const dateRe = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimeRe = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

function localDate(y: number, m: number, d: number, h = 0, min = 0, s = 0): Date | undefined {
  if (y < 1000 || m < 1 || m > 12 || d < 1 || h > 23 || min > 59 || s > 59) return undefined;
  // A day that does not exist (30 February) is refused, not rolled over into the next month.
  if (new Date(Date.UTC(y, m - 1, d)).getUTCDate() !== d) return undefined;
  // A time in the hour a summer-time change skips is moved forward by the browser, as clocks are.
  return new Date(y, m - 1, d, h, min, s);
}

// fromDateTimeInput reads a datetime-local input's value ("2026-03-08T14:30") as a Date, or
// undefined when it is empty or not a time.
export function fromDateTimeInput(value: string): Date | undefined {
  const m = dateTimeRe.exec(value.trim());
  if (!m) return undefined;
  return localDate(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

// dateTimeInputToRFC3339 is a datetime-local input's value as an RFC 3339 time with the browser's
// offset, or undefined when it is empty or not a time.
export function dateTimeInputToRFC3339(value: string): string | undefined {
  const d = fromDateTimeInput(value);
  return d && toRFC3339(d);
}

// dayStart is the start of the day a date input names ("2026-03-08"), in the browser's zone, as
// RFC 3339: a range's inclusive start.
export function dayStart(value: string): string | undefined {
  const m = dateRe.exec(value.trim());
  if (!m) return undefined;
  const d = localDate(Number(m[1]), Number(m[2]), Number(m[3]));
  return d && toRFC3339(d);
}

// dayEnd is the start of the day after the one a date input names: the exclusive end of a range
// whose last day is value, so that "to 8 March" includes all of 8 March.
export function dayEnd(value: string): string | undefined {
  const m = dateRe.exec(value.trim());
  if (!m) return undefined;
  if (!localDate(Number(m[1]), Number(m[2]), Number(m[3]))) return undefined;
  return toRFC3339(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + 1));
}

// toDateInput is d's day in the browser's zone as a date input's value.
export function toDateInput(d: Date): string {
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// daysBefore is the date input value of the day n days before d.
export function daysBefore(d: Date, n: number): string {
  return toDateInput(new Date(d.getFullYear(), d.getMonth(), d.getDate() - n));
}

// browserTimeZone is the IANA zone the browser runs in, UTC when it does not say.
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}
