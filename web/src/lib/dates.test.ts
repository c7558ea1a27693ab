import { describe, expect, it } from 'vitest';
import { dayEnd, dayStart, localDay } from './dates';

describe('day ranges', () => {
  it('start at local midnight and end at the next one', () => {
    const start = new Date(dayStart('2026-03-28')!);
    const end = new Date(dayEnd('2026-03-28')!);
    expect(localDay(start)).toBe('2026-03-28');
    expect(start.getHours()).toBe(0);
    expect(localDay(end)).toBe('2026-03-29');
    expect(end.getHours()).toBe(0);
  });
  it('roll over months and years', () => {
    expect(localDay(new Date(dayEnd('2026-12-31')!))).toBe('2027-01-01');
  });
  it('refuse what is not a day', () => {
    expect(dayStart('28/03/2026')).toBeUndefined();
    expect(dayEnd('')).toBeUndefined();
  });
});
