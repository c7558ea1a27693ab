import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { api } from '../api/client';
import { unwrap } from '../api/problem';
import type { components } from '../api/schema';
import { session, type SessionState } from '../api/session';

export type User = components['schemas']['User'];
export type Role = User['role'];

interface SessionValue {
  state: SessionState;
  me: User | undefined;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue>({ state: 'unknown', me: undefined, signOut: async () => {} });

export function useSession(): SessionValue {
  return useContext(SessionContext);
}

// useMe is the signed-in user; only used below a route that requires one.
export function useMe(): User {
  const { me } = useSession();
  if (!me) throw new Error('useMe outside a signed-in route');
  return me;
}

export const isStaff = (role: Role | undefined) => role === 'admin' || role === 'support';

export function SessionProvider({ children }: { children: ReactNode }) {
  const state = useSyncExternalStore(session.subscribe, () => session.state);
  const queries = useQueryClient();
  useEffect(() => {
    if (session.state === 'unknown') void session.resume();
  }, []);
  // Nothing of one user's stays cached for the next one on this browser: the cache is cleared when
  // a session ends, not when a visitor who never signed in loads a public page.
  const was = useRef(state);
  useEffect(() => {
    if (was.current === 'signed-in' && state === 'signed-out') queries.clear();
    was.current = state;
  }, [state, queries]);
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => unwrap(await api.GET('/v1/me')),
    enabled: state === 'signed-in',
    staleTime: 60_000,
  });
  const value = useMemo<SessionValue>(
    () => ({ state, me: state === 'signed-in' ? me.data : undefined, signOut: () => session.signOut() }),
    [state, me.data],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
