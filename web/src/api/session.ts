import { bare } from './client';
import type { components } from './schema';

// The browser's session. The refresh token never reaches JavaScript: the API keeps it in an HttpOnly
// cookie scoped to /v1/auth. The access token lives in this module's memory only, never in
// localStorage or sessionStorage; after a reload it is got again from the cookie, with the CSRF
// token the API left in the readable bank_csrf cookie.

export type SessionState = 'unknown' | 'signed-in' | 'signed-out';

type TokenAnswer = components['schemas']['TokenPair'];

let access: { token: string; expiresAt: number } | undefined;
let csrf: string | undefined;
let state: SessionState = 'unknown';
let refreshing: Promise<boolean> | undefined;
const listeners = new Set<() => void>();

function set(next: SessionState) {
  if (state === next) return;
  state = next;
  listeners.forEach((l) => l());
}

function cookie(name: string): string | undefined {
  const prefix = `${name}=`;
  for (const part of document.cookie.split(';')) {
    const c = part.trim();
    if (c.startsWith(prefix)) return decodeURIComponent(c.slice(prefix.length));
  }
  return undefined;
}

function accept(answer: TokenAnswer) {
  // Refreshed a minute before it expires, so a request never leaves with a token about to lapse.
  const lifetime = Number(answer.expires_in) * 1000;
  access = { token: answer.access_token, expiresAt: Date.now() + Math.max(lifetime - 60_000, lifetime / 2) };
  if (answer.csrf_token) csrf = answer.csrf_token;
  set('signed-in');
}

// oneTabAtATime runs a refresh under a lock every tab of this origin shares. Each refresh spends the
// refresh cookie and sets a new one; two tabs sending the same cookie at once would look like a
// stolen token, and the API would end the session. Under the lock, each tab sends the cookie the
// previous refresh left.
async function oneTabAtATime<T>(fn: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return fn();
  return locks.request('bank-session-refresh', fn);
}

export const session = {
  get state(): SessionState {
    return state;
  },

  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  // signIn answers the API's problem document (or undefined) when it refuses.
  async signIn(email: string, password: string): Promise<{ ok: true } | { ok: false; status: number; problem: unknown }> {
    const { data, error, response } = await bare.POST('/v1/auth/login', { body: { email, password, refresh_cookie: true } });
    if (!data) return { ok: false, status: response.status, problem: error };
    accept(data);
    return { ok: true };
  },

  // refresh gets a new access token from the refresh cookie; false when there is no session.
  refresh(): Promise<boolean> {
    refreshing ??= (async () => {
      try {
        return await oneTabAtATime(async () => {
          const token = csrf ?? cookie('bank_csrf');
          if (!token) return false;
          const { data } = await bare.POST('/v1/auth/refresh', { body: {}, headers: { 'X-CSRF-Token': token } });
          if (!data) return false;
          accept(data);
          return true;
        });
      } catch {
        return false;
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  },

  // accessToken is a token valid for the next request, refreshed first when it is about to expire.
  async accessToken(): Promise<string | undefined> {
    if (access && Date.now() < access.expiresAt) return access.token;
    if (state === 'signed-out') return undefined;
    return (await this.refresh()) ? access?.token : undefined;
  },

  // resume finds out, once at start, whether the browser still has a session.
  async resume(): Promise<void> {
    if (!(await this.refresh())) this.signedOut();
  },

  async signOut(): Promise<void> {
    const token = csrf ?? cookie('bank_csrf');
    try {
      if (token) await bare.POST('/v1/auth/logout', { body: {}, headers: { 'X-CSRF-Token': token } });
    } finally {
      this.signedOut();
    }
  },

  // signedOut forgets the session in this tab, as when the API refuses its refresh cookie.
  signedOut(): void {
    access = undefined;
    csrf = undefined;
    set('signed-out');
  },
};
