import type { AccountsReport, Interval, TransactionsReportRow } from './types';

// The transactions report's rows, shaped for its charts and tables. Amounts stay bigints of minor
// units; the charts get a Number copy of each volume for their scale only.

export type VolumeKey = 'transfer_volume' | 'deposit_volume' | 'withdrawal_volume';
export type CountKey = 'transfers' | 'deposits' | 'withdrawals' | 'failed' | 'compensated' | 'active_customers';

export const volumeKeys: readonly VolumeKey[] = ['transfer_volume', 'deposit_volume', 'withdrawal_volume'];
export const countKeys: readonly CountKey[] = ['transfers', 'deposits', 'withdrawals', 'failed'];

export interface ChartRow {
  label: string;
  row: TransactionsReportRow;
  // Number copies of the volumes, in minor units, for the chart's axis scale and bar heights only:
  // a volume over 2^53 would plot a hair off, which no one can see; every figure shown as text
  // (tooltips, tables) is formatted from the exact bigint in row.
  plot: Record<VolumeKey, number>;
}

// currencies lists the report's currencies, the one with the most movements first.
export function currencies(items: readonly TransactionsReportRow[]): string[] {
  // The busiest first (the report opens on it), then by code.
  const movements = new Map<string, number>();
  for (const r of items) movements.set(r.currency, (movements.get(r.currency) ?? 0) + r.transfers + r.deposits + r.withdrawals);
  return [...movements.keys()].sort((a, b) => movements.get(b)! - movements.get(a)! || a.localeCompare(b));
}

// periodDate reads a period's start on the report's calendar ("2026-03-08T00:00:00") as a Date at
// that wall-clock time in UTC, to be formatted with timeZone UTC: the day shown is the report's,
// whatever the browser's zone.
export function periodDate(period: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(period);
  if (!m) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)));
}

const periodFormats: Record<Interval, Intl.DateTimeFormatOptions> = {
  day: { dateStyle: 'medium', timeZone: 'UTC' },
  week: { dateStyle: 'medium', timeZone: 'UTC' },
  month: { month: 'long', year: 'numeric', timeZone: 'UTC' },
};

// periodLabel names a period in the reader's language: its day, the first day of its week, or its
// month.
export function periodLabel(period: string, interval: Interval, locale: string): string {
  const d = periodDate(period);
  return d ? new Intl.DateTimeFormat(locale, periodFormats[interval]).format(d) : period;
}

export function chartRows(items: readonly TransactionsReportRow[], currency: string, interval: Interval, locale: string): ChartRow[] {
  return items
    .filter((r) => r.currency === currency)
    .map((row) => ({
      label: periodLabel(row.period, interval, locale),
      row,
      plot: {
        transfer_volume: Number(row.transfer_volume),
        deposit_volume: Number(row.deposit_volume),
        withdrawal_volume: Number(row.withdrawal_volume),
      },
    }));
}

export type Totals = Record<VolumeKey, bigint> & Record<CountKey | 'compensated', number>;

// totals adds a currency's periods up, volumes as exact bigints. active_customers is left out: a
// customer active in two periods is one customer, which the periods' counts cannot tell.
export function totals(items: readonly TransactionsReportRow[], currency: string): Omit<Totals, 'active_customers'> {
  const out = { transfer_volume: 0n, deposit_volume: 0n, withdrawal_volume: 0n, transfers: 0, deposits: 0, withdrawals: 0, failed: 0, compensated: 0 };
  for (const r of items) {
    if (r.currency !== currency) continue;
    out.transfer_volume += r.transfer_volume;
    out.deposit_volume += r.deposit_volume;
    out.withdrawal_volume += r.withdrawal_volume;
    out.transfers += r.transfers;
    out.deposits += r.deposits;
    out.withdrawals += r.withdrawals;
    out.failed += r.failed;
    out.compensated += r.compensated;
  }
  return out;
}

export interface StatusCounts {
  currency: string;
  active: number;
  frozen: number;
  closed: number;
}

// accountCounts is how many customer accounts each currency has in each status, for a chart.
export function accountCounts(report: AccountsReport): StatusCounts[] {
  const by = new Map<string, StatusCounts>();
  for (const r of report.by_status) {
    const c = by.get(r.currency) ?? { currency: r.currency, active: 0, frozen: 0, closed: 0 };
    c[r.status] += r.accounts;
    by.set(r.currency, c);
  }
  return [...by.values()];
}

// axisTick writes an axis tick, in minor units as the chart scales them, as a short amount in the
// major unit ("€1.2K"); a tick is a point on the scale, not a figure of the report.
export function axisTick(value: number, currency: string, digits: number, locale: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency, notation: 'compact', maximumFractionDigits: 1 }).format(value / 10 ** digits);
}
