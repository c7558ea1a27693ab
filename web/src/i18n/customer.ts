import type { Catalog } from './messages';

export const customer: Catalog = {
  en: {},
  es: {},
};
