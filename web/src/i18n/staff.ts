import type { Catalog } from './messages';

export const staff: Catalog = {
  en: {},
  es: {},
};
