import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSession } from '../auth/SessionProvider';
import { live, type LiveState, type SocketEvent } from './socket';

// LiveUpdates keeps the socket open while signed in and refreshes what an event changes: a
// customer's open page shows money arrive, a freeze, or a new notification without a reload.
export function LiveUpdates() {
  const { state } = useSession();
  const queries = useQueryClient();
  useEffect(() => {
    if (state !== 'signed-in') return;
    live.start();
    const off = live.on((event) => {
      switch (event.type) {
        case 'notification.created':
          void queries.invalidateQueries({ queryKey: ['notifications'] });
          break;
        case 'transfer.completed':
        case 'transfer.failed':
        case 'transfer.received':
          void queries.invalidateQueries({ queryKey: ['accounts'] });
          void queries.invalidateQueries({ queryKey: ['transfers'] });
          break;
        case 'account.frozen':
        case 'account.unfrozen':
          void queries.invalidateQueries({ queryKey: ['accounts'] });
          break;
        case 'operation.completed':
          void queries.invalidateQueries({ queryKey: ['operations'] });
          void queries.invalidateQueries({ queryKey: ['staff'] });
          break;
      }
    });
    return () => {
      off();
      live.stop();
    };
  }, [state, queries]);
  return null;
}

export function useLiveState(): LiveState {
  const [s, set] = useState<LiveState>(live.state);
  useEffect(() => live.onState(set), []);
  return s;
}

// useLiveEvents calls fn with every event while the component is mounted.
export function useLiveEvents(fn: (event: SocketEvent) => void) {
  useEffect(() => live.on(fn), [fn]);
}
