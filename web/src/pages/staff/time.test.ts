import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateTimeInputToRFC3339, dayEnd, dayStart, daysBefore, formatOffset, fromDateTimeInput, toDateInput, toRFC3339 } from './time';

// The tests run in Madrid's zone, whose offset changes in spring and autumn; Node reads TZ anew
// when it is set.
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env;
let saved: string | undefined;
beforeAll(() => {
  saved = env.TZ;
  env.TZ = 'Europe/Madrid';
});
afterAll(() => {
  if (saved === undefined) delete env.TZ;
  else env.TZ = saved;
});

describe('formatOffset', () => {
  it.each([
    [0, 'Z'],
    [60, '+01:00'],
    [120, '+02:00'],
    [-300, '-05:00'],
    [330, '+05:30'],
    [-570, '-09:30'],
  ])('%i minutes east is %s', (minutes, text) => {
    expect(formatOffset(minutes)).toBe(text);
  });
});

describe('dateTimeInputToRFC3339', () => {
  it('writes a winter time with the winter offset', () => {
    expect(dateTimeInputToRFC3339('2026-01-15T09:30')).toBe('2026-01-15T09:30:00+01:00');
  });
  it('writes a summer time with the summer offset', () => {
    expect(dateTimeInputToRFC3339('2026-07-01T23:05')).toBe('2026-07-01T23:05:00+02:00');
  });
  it('keeps seconds when the input has them', () => {
    expect(dateTimeInputToRFC3339('2026-07-01T23:05:09')).toBe('2026-07-01T23:05:09+02:00');
  });
  it('names the instant the wall-clock time means', () => {
    const text = dateTimeInputToRFC3339('2026-10-25T12:00')!;
    expect(new Date(text).toISOString()).toBe('2026-10-25T11:00:00.000Z');
  });
  it('moves a time the spring change skips forward, as clocks do', () => {
    // On 29 March 2026 Madrid's clocks go from 02:00 to 03:00.
    expect(dateTimeInputToRFC3339('2026-03-29T02:30')).toBe('2026-03-29T03:30:00+02:00');
  });
  it.each(['', ' ', '2026-02-30T10:00', '2026-13-01T10:00', '2026-01-01T24:00', '2026-01-01', '10:00', 'yesterday'])(
    'refuses %j',
    (value) => {
      expect(dateTimeInputToRFC3339(value)).toBeUndefined();
      expect(fromDateTimeInput(value)).toBeUndefined();
    },
  );
});

describe('dayStart and dayEnd', () => {
  it('cover the whole day named, in the browser zone', () => {
    expect(dayStart('2026-03-08')).toBe('2026-03-08T00:00:00+01:00');
    expect(dayEnd('2026-03-08')).toBe('2026-03-09T00:00:00+01:00');
  });
  it('follow the offset across a summer-time change', () => {
    expect(dayStart('2026-03-29')).toBe('2026-03-29T00:00:00+01:00');
    expect(dayEnd('2026-03-29')).toBe('2026-03-30T00:00:00+02:00');
  });
  it('cross month and year ends', () => {
    expect(dayEnd('2026-02-28')).toBe('2026-03-01T00:00:00+01:00');
    expect(dayEnd('2026-12-31')).toBe('2027-01-01T00:00:00+01:00');
  });
  it.each(['', '2026-02-29', '2026-3-8', '08/03/2026'])('refuse %j', (value) => {
    expect(dayStart(value)).toBeUndefined();
    expect(dayEnd(value)).toBeUndefined();
  });
});

describe('date input values', () => {
  it('are the local day', () => {
    expect(toDateInput(new Date('2026-03-07T23:30:00Z'))).toBe('2026-03-08');
    expect(daysBefore(new Date(2026, 2, 1, 12), 1)).toBe('2026-02-28');
  });
  it('round-trip through toRFC3339', () => {
    const d = new Date(2026, 5, 1, 8, 15, 30);
    expect(toRFC3339(d)).toBe('2026-06-01T08:15:30+02:00');
  });
});
