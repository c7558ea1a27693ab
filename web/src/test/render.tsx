import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { LocaleProvider } from '../i18n/locale';
import type { Locale } from '../i18n/messages';

// renderIn renders ui in the app's providers, in locale.
export function renderIn(locale: Locale, ui: ReactNode) {
  const queries = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={queries}>
      <LocaleProvider locale={locale}>
        <MemoryRouter>{ui}</MemoryRouter>
      </LocaleProvider>
    </QueryClientProvider>,
  );
}
