import { describe, expect, it } from 'vitest';
import { staff } from '../../i18n/staff';
import { enums } from './labels';
import { countKeys, volumeKeys } from './reportData';

// Every message the staff console asks for is in its catalog, in both languages.
const sources = import.meta.glob(['./*.ts', './*.tsx', '!./*.test.ts', '!./*.test.tsx', '!./labels.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
}) as Record<string, string>;

// The ids written out in the source.
const literal = new Set<string>();
for (const text of Object.values(sources)) {
  for (const m of text.matchAll(/['"`](staff\.[A-Za-z0-9_.]+)['"`]/g)) literal.add(m[1]!);
}

// The ids the source builds from a value.
const built = [
  ...['required', 'invalid', 'too_many_decimals', 'zero', 'too_large'].map((e) => `staff.amount.${e}`),
  ...['approve', 'reject'].flatMap((d) => [`staff.approvals.${d}`, `staff.approvals.${d}Title`, `staff.approvals.${d}Hint`]),
  ...enums.cashKind.flatMap((k) => [`staff.cash.${k}Hint`, `staff.cash.${k}Started`, `staff.cash.${k}Submit`]),
  ...enums.freezeScope.map((s) => `staff.freezeScopeLong.${s}`),
  ...[...volumeKeys, ...countKeys, 'compensated', 'active_customers'].map((k) => `staff.reports.series.${k}`),
  ...['disable', 'enable'].flatMap((a) => [`staff.user.${a}`, `staff.user.${a}Hint`, `staff.user.${a}Submit`, `staff.user.${a}d`]),
];

describe('staff messages', () => {
  it('reads the sources', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(5);
    expect(literal.size).toBeGreaterThan(100);
  });
  it.each([...literal, ...built].sort())('%s is in both languages', (id) => {
    expect(staff.en[id], `en ${id}`).toBeTruthy();
    expect(staff.es[id], `es ${id}`).toBeTruthy();
  });
});
