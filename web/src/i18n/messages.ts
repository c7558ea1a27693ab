import { common } from './common';
import { customer } from './customer';
import { docs } from './docs';
import { staff } from './staff';

export const locales = ['es', 'en'] as const;
export type Locale = (typeof locales)[number];

// Each area's file holds both languages side by side; a key missing in one fails the unit tests.
export type Catalog = Record<Locale, Record<string, string>>;

const areas: Catalog[] = [common, customer, staff, docs];

export const messages: Record<Locale, Record<string, string>> = {
  es: Object.assign({}, ...areas.map((a) => a.es)),
  en: Object.assign({}, ...areas.map((a) => a.en)),
};
