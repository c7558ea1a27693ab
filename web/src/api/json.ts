import { int64Fields } from './int64';

// The API's int64 values (amounts in minor units, balances, event ids) are read as bigints, never
// as JS numbers: a number above 2^53 would lose digits. Where the browser gives a reviver the
// number's source text (JSON.parse with source, Chrome 114+), the bigint is read from it exactly;
// elsewhere a safe integer is converted and anything larger refused.

interface ReviverContext {
  source?: string;
}

function revive(key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value !== 'number' || !int64Fields.has(key)) return value;
  const source = context?.source;
  if (source !== undefined && /^-?\d+$/.test(source)) return BigInt(source);
  if (Number.isSafeInteger(value)) return BigInt(value);
  throw new RangeError(`${key} is not an integer this browser can read exactly`);
}

export function parseJSON(text: string): unknown {
  return JSON.parse(text, revive as (this: unknown, key: string, value: unknown) => unknown);
}

const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

// A JSON text of value in which bigints are JSON integers.
export function stringifyJSON(value: unknown): string {
  if (rawJSON) {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJSON(v.toString()) : v));
  }
  // Without JSON.rawJSON: each bigint is written as a marked string, then unquoted. A marker holds
  // a character JSON.stringify always escapes, so no other string can look like one.
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? marker + v.toString() : v));
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
