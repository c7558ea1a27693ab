import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api/problem';
import { App } from './App';
import { SessionProvider } from './auth/SessionProvider';
import { LocaleProvider } from './i18n/locale';
import { LiveUpdates } from './live/LiveProvider';
import './styles.css';

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // A refusal (4xx) is an answer, not a glitch: only failures to reach the API are retried.
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <LocaleProvider>
        <SessionProvider>
          <LiveUpdates />
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </SessionProvider>
      </LocaleProvider>
    </QueryClientProvider>
  </StrictMode>,
);
