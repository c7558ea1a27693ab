import { describe, expect, it } from 'vitest';
import { common } from './common';
import { customer } from './customer';
import { docs } from './docs';
import { staff } from './staff';
import { messages } from './messages';

describe('catalogs', () => {
  it.each([
    ['common', common],
    ['customer', customer],
    ['staff', staff],
    ['docs', docs],
  ])('%s has every key in both languages', (_name, catalog) => {
    expect(Object.keys(catalog.es).sort()).toEqual(Object.keys(catalog.en).sort());
  });
  it('no key is defined by two areas', () => {
    const keys = [common, customer, staff, docs].flatMap((c) => Object.keys(c.en));
    expect(keys.length).toBe(new Set(keys).size);
    expect(Object.keys(messages.en).length).toBe(keys.length);
  });
});
