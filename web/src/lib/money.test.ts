import { describe, expect, it } from 'vitest';
import { currencyDigits, formatMoney, parseAmount, toDecimal } from './money';

describe('toDecimal', () => {
  it('writes minor units exactly, beyond 2^53', () => {
    expect(toDecimal(1234n, 2)).toBe('12.34');
    expect(toDecimal(5n, 2)).toBe('0.05');
    expect(toDecimal(-5n, 3)).toBe('-0.005');
    expect(toDecimal(42n, 0)).toBe('42');
    expect(toDecimal(9007199254740993n, 2)).toBe('90071992547409.93');
  });
});

describe('currencyDigits', () => {
  it('follows ISO 4217', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('BHD')).toBe(3);
  });
});

describe('formatMoney', () => {
  it('formats in the locale, exactly', () => {
    expect(formatMoney(12345678n, 'EUR', 'es')).toMatch(/^123\.456,78\s€$/);
    expect(formatMoney(123456n, 'USD', 'en')).toBe('$1,234.56');
    expect(formatMoney(1000n, 'JPY', 'en')).toBe('¥1,000');
    expect(formatMoney(9007199254740993n, 'USD', 'en')).toBe('$90,071,992,547,409.93');
  });
  it('signs when asked', () => {
    expect(formatMoney(-250n, 'USD', 'en', { signed: true })).toBe('-$2.50');
    expect(formatMoney(250n, 'USD', 'en', { signed: true })).toBe('+$2.50');
  });
});

describe('parseAmount', () => {
  it('reads the locale way', () => {
    expect(parseAmount('1,234.56', 'USD', 'en')).toEqual({ minor: 123456n });
    expect(parseAmount('1.234,56', 'EUR', 'es')).toEqual({ minor: 123456n });
    expect(parseAmount('12,5', 'EUR', 'es')).toEqual({ minor: 1250n });
    expect(parseAmount(' 7 ', 'JPY', 'en')).toEqual({ minor: 7n });
    expect(parseAmount('.5', 'USD', 'en')).toEqual({ minor: 50n });
  });
  it('refuses more decimals than the currency has', () => {
    expect(parseAmount('1.234', 'USD', 'en')).toEqual({ error: 'too_many_decimals' });
    expect(parseAmount('1.5', 'JPY', 'en')).toEqual({ error: 'too_many_decimals' });
    expect(parseAmount('1.230', 'USD', 'en')).toEqual({ minor: 123n });
  });
  it('refuses what is not an amount', () => {
    expect(parseAmount('', 'USD', 'en')).toEqual({ error: 'required' });
    expect(parseAmount('12.50', 'EUR', 'es')).toEqual({ error: 'invalid' });
    expect(parseAmount('1e3', 'USD', 'en')).toEqual({ error: 'invalid' });
    expect(parseAmount('-5', 'USD', 'en')).toEqual({ error: 'invalid' });
    expect(parseAmount('1.2.3', 'USD', 'en')).toEqual({ error: 'invalid' });
    expect(parseAmount('0.00', 'USD', 'en')).toEqual({ error: 'zero' });
    expect(parseAmount('99999999999999999', 'USD', 'en')).toEqual({ error: 'too_large' });
  });
});

describe('the bank\'s currencies', () => {
  it('have the decimals the API keeps', () => {
    expect(['USD', 'EUR', 'COP', 'JPY'].map(currencyDigits)).toEqual([2, 2, 2, 0]);
  });
  it('show every decimal, never rounding', () => {
    expect(formatMoney(123450n, 'COP', 'en')).toMatch(/^COP\s1,234\.50$/);
    expect(formatMoney(123400n, 'COP', 'en')).toMatch(/^COP\s1,234$/);
    expect(formatMoney(123450n, 'COP', 'es')).toMatch(/^1234,50\sCOP$/);
  });
});
