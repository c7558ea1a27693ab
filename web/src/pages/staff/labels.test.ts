import { describe, expect, it } from 'vitest';
import { staff } from '../../i18n/staff';
import { enums, labelId, type EnumGroup } from './labels';

describe('enum names', () => {
  const cases = (Object.keys(enums) as EnumGroup[]).flatMap((g) => enums[g].map((v) => [g, v] as const));
  it.each(cases)('%s %s has a name in both languages', (group, value) => {
    const id = labelId(group, value);
    expect(staff.en[id], `en ${id}`).toBeTruthy();
    expect(staff.es[id], `es ${id}`).toBeTruthy();
  });
});
