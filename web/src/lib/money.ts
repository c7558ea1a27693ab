// Money is a bigint of minor units with an ISO 4217 currency, never a JS number: amounts are
// formatted from exact decimal strings and typed amounts parsed into bigints.

// The bank's own minor units, which its ledger keeps: COP has two decimals there, though prices
// in COP are written without them (as Intl does by default).
const bankDigits: Record<string, number> = { USD: 2, EUR: 2, COP: 2, JPY: 0 };

function intlDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

// currencyDigits is how many decimals the currency's minor unit has (2 for EUR, 0 for JPY).
export function currencyDigits(currency: string): number {
  return bankDigits[currency] ?? intlDigits(currency);
}

// toDecimal writes minor units as a decimal in the major unit: 1234n, 2 → "12.34".
export function toDecimal(minor: bigint, digits: number): string {
  const negative = minor < 0n;
  const abs = (negative ? -minor : minor).toString();
  if (digits === 0) return (negative ? '-' : '') + abs;
  const padded = abs.padStart(digits + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -digits)}.${padded.slice(-digits)}`;
}

type DecimalFormat = Intl.NumberFormat & { format(value: `${number}` | string | bigint): string };

export function formatMoney(minor: bigint, currency: string, locale: string, opts: { signed?: boolean } = {}): string {
  const digits = currencyDigits(currency);
  const decimal = toDecimal(minor, digits);
  // Every decimal is shown, never rounded; a currency written in whole units (COP) drops them only
  // when they are zero.
  const whole = digits > 0 && /\.0+$/.test(decimal);
  const nf = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    signDisplay: opts.signed ? 'exceptZero' : 'auto',
    maximumFractionDigits: digits,
    minimumFractionDigits: whole ? Math.min(digits, intlDigits(currency)) : digits,
  }) as DecimalFormat;
  // Intl reads a decimal string exactly (no float on the way).
  return nf.format(decimal);
}

export interface Separators {
  decimal: string;
  group: string;
}

export function separators(locale: string): Separators {
  const parts = (new Intl.NumberFormat(locale, { useGrouping: true }) as DecimalFormat).formatToParts('1234567.5' as unknown as number);
  return {
    decimal: parts.find((p) => p.type === 'decimal')?.value ?? '.',
    group: parts.find((p) => p.type === 'group')?.value ?? ',',
  };
}

export type AmountError = 'required' | 'invalid' | 'too_many_decimals' | 'zero' | 'too_large';

// The largest amount the API takes, in minor units (its Amount schema's maximum).
export const maxAmount = 1_000_000_000_000_000n;

// parseAmount reads an amount typed in the locale's way ("1.234,56" in Spanish, "1,234.56" in
// English) into minor units of currency, refusing more decimals than the currency has.
export function parseAmount(input: string, currency: string, locale: string): { minor: bigint } | { error: AmountError } {
  const { decimal, group } = separators(locale);
  // Spaces (including the narrow no-break space some locales group with) are never significant.
  let text = input.replace(/[\s\u00a0\u202f]/g, '');
  if (text === '') return { error: 'required' };
  const parts = text.split(decimal);
  if (parts.length > 2) return { error: 'invalid' };
  let [whole = '', fraction = ''] = parts;
  if (group && whole.includes(group)) {
    // Grouping is accepted only where it belongs: 1.234.567 in Spanish, never 12.50.
    const groups = whole.split(group);
    if (groups.some((g, i) => (i === 0 ? g.length < 1 || g.length > 3 : g.length !== 3))) return { error: 'invalid' };
    whole = groups.join('');
  }
  if (whole === '') whole = '0';
  if (!/^\d+$/.test(whole) || (parts.length === 2 && !/^\d+$/.test(fraction))) return { error: 'invalid' };
  const digits = currencyDigits(currency);
  fraction = fraction.replace(/0+$/, '');
  if (fraction.length > digits) return { error: 'too_many_decimals' };
  text = whole + fraction.padEnd(digits, '0');
  const minor = BigInt(text);
  if (minor === 0n) return { error: 'zero' };
  if (minor > maxAmount) return { error: 'too_large' };
  return { minor };
}
