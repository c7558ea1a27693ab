import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { IntlProvider } from 'react-intl';
import { messages, type Locale, locales } from './messages';

// The app speaks Spanish and English. The first visit follows the browser's preferred languages;
// a choice made with the switch is remembered on this device (a preference, not a secret).
const storageKey = 'bank.locale';

export function initialLocale(preferred: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  try {
    const saved = localStorage.getItem(storageKey);
    if (saved && (locales as readonly string[]).includes(saved)) return saved as Locale;
  } catch {
    // Storage may be off; the browser's languages decide.
  }
  for (const tag of preferred) {
    const lang = tag.toLowerCase().split('-')[0];
    if (lang && (locales as readonly string[]).includes(lang)) return lang as Locale;
  }
  return 'en';
}

interface LocaleContextValue {
  locale: Locale;
  setLocale: (l: Locale) => void;
}

const LocaleContext = createContext<LocaleContextValue>({ locale: 'en', setLocale: () => {} });

export function useLocale(): LocaleContextValue {
  return useContext(LocaleContext);
}

export function LocaleProvider({ children, locale: fixed }: { children: ReactNode; locale?: Locale }) {
  const [locale, setState] = useState<Locale>(() => fixed ?? initialLocale());
  const setLocale = useCallback((l: Locale) => {
    setState(l);
    try {
      localStorage.setItem(storageKey, l);
    } catch {
      // Not remembered; still switched.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo(() => ({ locale, setLocale }), [locale, setLocale]);
  return (
    <LocaleContext.Provider value={value}>
      <IntlProvider locale={locale} messages={messages[locale]} defaultLocale="en">
        {children}
      </IntlProvider>
    </LocaleContext.Provider>
  );
}
