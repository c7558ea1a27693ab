import { describe, expect, it } from 'vitest';
import { parseJSON, stringifyJSON } from './json';

describe('parseJSON', () => {
  it('reads the contract\'s int64 fields as bigints and leaves other numbers alone', () => {
    const v = parseJSON('{"balance": 1234, "available_balance": 0, "limit": 20, "id": "abc", "unread_count": 3}') as Record<string, unknown>;
    expect(v.balance).toBe(1234n);
    expect(v.available_balance).toBe(0n);
    expect(v.limit).toBe(20);
    expect(v.id).toBe('abc');
    expect(v.unread_count).toBe(3);
  });
  it('reads int64s in nested arrays', () => {
    const v = parseJSON('{"items":[{"amount":5,"balance_after":-7}]}') as { items: { amount: bigint; balance_after: bigint }[] };
    expect(v.items[0]?.amount).toBe(5n);
    expect(v.items[0]?.balance_after).toBe(-7n);
  });
  it('never rounds: an int64 past 2^53 is read exactly or refused', () => {
    let read: unknown;
    try {
      read = (parseJSON('{"cash_balance": 9007199254740993}') as { cash_balance: bigint }).cash_balance;
    } catch (err) {
      read = err;
    }
    if (typeof read === 'bigint') expect(read).toBe(9007199254740993n);
    else expect(read).toBeInstanceOf(RangeError);
  });
});

describe('stringifyJSON', () => {
  it('writes bigints as JSON integers', () => {
    expect(stringifyJSON({ type: 'auth', after: 9007199254740993n })).toBe('{"type":"auth","after":9007199254740993}');
  });
  it('writes everything else as JSON.stringify does', () => {
    const v = { d: '\u0000bigint:5 "quoted"', list: [1, null, undefined, 'x'], skip: undefined, nested: { at: new Date(0), ok: true } };
    expect(stringifyJSON(v)).toBe(JSON.stringify(v));
  });
});
