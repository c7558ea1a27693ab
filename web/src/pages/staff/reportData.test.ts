import { describe, expect, it } from 'vitest';
import { accountCounts, axisTick, chartRows, currencies, periodLabel, totals } from './reportData';
import type { TransactionsReportRow } from './types';

const row = (period: string, currency: string, over: Partial<TransactionsReportRow> = {}): TransactionsReportRow => ({
  period,
  start_at: `${period}Z`,
  end_at: `${period}Z`,
  currency,
  transfers: 0,
  transfer_volume: 0n,
  deposits: 0,
  deposit_volume: 0n,
  withdrawals: 0,
  withdrawal_volume: 0n,
  failed: 0,
  compensated: 0,
  active_customers: 0,
  ...over,
});

describe('transactions report', () => {
  const items = [
    row('2026-03-08T00:00:00', 'EUR', { transfers: 2, transfer_volume: 9_007_199_254_740_993n, failed: 1 }),
    row('2026-03-08T00:00:00', 'JPY', { deposits: 1, deposit_volume: 5000n }),
    row('2026-03-09T00:00:00', 'EUR', { transfers: 1, transfer_volume: 7n, withdrawals: 1, withdrawal_volume: 100n, compensated: 1 }),
  ];
  it('lists currencies busiest first, then by code', () => {
    expect(currencies(items)).toEqual(['EUR', 'JPY']);
    expect(currencies([row('2026-03-08T00:00:00', 'COP'), ...items.slice(1), row('2026-03-08T00:00:00', 'USD')])).toEqual(['EUR', 'JPY', 'COP', 'USD']);
    expect(currencies([row('2026-03-08T00:00:00', 'COP'), row('2026-03-08T00:00:00', 'USD', { deposits: 1 })])).toEqual(['USD', 'COP']);
  });
  it('adds volumes up exactly, past 2^53', () => {
    const t = totals(items, 'EUR');
    expect(t.transfer_volume).toBe(9_007_199_254_741_000n);
    expect(t.withdrawal_volume).toBe(100n);
    expect(t.transfers).toBe(3);
    expect(t.failed).toBe(1);
    expect(t.compensated).toBe(1);
  });
  it('keeps the exact row beside the plotted numbers', () => {
    const rows = chartRows(items, 'EUR', 'day', 'en');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.row.transfer_volume).toBe(9_007_199_254_740_993n);
    expect(rows[0]!.plot.transfer_volume).toBe(9_007_199_254_740_992);
    expect(rows[0]!.label).toBe('Mar 8, 2026');
  });
  it('names periods on the report calendar, whatever the browser zone', () => {
    expect(periodLabel('2026-03-01T00:00:00', 'month', 'es')).toBe('marzo de 2026');
    expect(periodLabel('2026-03-09T00:00:00', 'week', 'en')).toBe('Mar 9, 2026');
    expect(periodLabel('garbage', 'day', 'en')).toBe('garbage');
  });
});

describe('accounts report', () => {
  it('counts accounts by currency and status', () => {
    const counts = accountCounts({
      by_status: [
        { currency: 'EUR', status: 'active', accounts: 3, balance: 10n, on_hold: 0n },
        { currency: 'EUR', status: 'frozen', accounts: 1, balance: 5n, on_hold: 0n },
        { currency: 'USD', status: 'closed', accounts: 2, balance: 0n, on_hold: 0n },
      ],
      totals: [],
      frozen: [],
    });
    expect(counts).toEqual([
      { currency: 'EUR', active: 3, frozen: 1, closed: 0 },
      { currency: 'USD', active: 0, frozen: 0, closed: 2 },
    ]);
  });
});

describe('axisTick', () => {
  it('writes a short amount in the major unit', () => {
    expect(axisTick(123_456_00, 'EUR', 2, 'en')).toBe('€123.5K');
    expect(axisTick(5000, 'JPY', 0, 'en')).toBe('¥5K');
  });
});
