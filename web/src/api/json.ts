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

// stringifyJSON is JSON.stringify in which bigints are written as JSON integers, exactly.
export function stringifyJSON(value: unknown): string {
  return write(value) ?? 'null';
}

function write(v: unknown): string | undefined {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const toJSON = (v as { toJSON?: () => unknown }).toJSON;
  if (typeof toJSON === 'function') return write(toJSON.call(v));
  if (Array.isArray(v)) return `[${v.map((x) => write(x) ?? 'null').join(',')}]`;
  const members: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    const text = write(x);
    if (text !== undefined) members.push(`${JSON.stringify(k)}:${text}`);
  }
  return `{${members.join(',')}}`;
}
