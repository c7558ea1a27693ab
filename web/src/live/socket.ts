import { parseJSON, stringifyJSON } from '../api/json';
import type { components } from '../api/schema';
import { session } from '../api/session';

export type SocketEvent = components['schemas']['SocketEvent'];
export type TransferEventData = components['schemas']['TransferEventData'];
export type LiveState = 'connecting' | 'live' | 'offline';

type Listener = (event: SocketEvent) => void;

// Close codes the API ends a socket with (api/handlers_ws.go).
const closeUnauthorized = 4401;
const closeTooManySockets = 4429;

// LiveSocket keeps one socket to GET /v1/ws while the user is signed in: it authenticates in its
// first message (never in the URL), hands every event to its listeners, and after a drop reconnects
// with backoff, naming the last event it saw so none is missed.
export class LiveSocket {
  private ws: WebSocket | undefined;
  private after: bigint | undefined;
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  private readonly listeners = new Set<Listener>();
  private readonly stateListeners = new Set<(s: LiveState) => void>();
  state: LiveState = 'offline';

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = undefined;
    this.after = undefined;
    this.setState('offline');
  }

  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (s: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(s: LiveState) {
    this.state = s;
    this.stateListeners.forEach((l) => l(s));
  }

  private async connect() {
    if (this.stopped) return;
    this.setState('connecting');
    const token = await session.accessToken();
    if (this.stopped) return;
    if (!token) {
      this.setState('offline');
      return;
    }
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/v1/ws`);
    this.ws = ws;
    ws.onopen = () => {
      ws.send(stringifyJSON({ type: 'auth', token, ...(this.after !== undefined ? { after: this.after } : {}) }));
      this.retry = 0;
      this.setState('live');
    };
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') return;
      let event: SocketEvent;
      try {
        event = parseJSON(m.data) as SocketEvent;
      } catch {
        return;
      }
      if (typeof event.id === 'bigint') this.after = event.id;
      this.listeners.forEach((l) => l(event));
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      if (this.stopped) return;
      this.setState('offline');
      if (e.code === closeUnauthorized) {
        // The access token lapsed or the session ended: a refresh tells which.
        void session.refresh().then((ok) => (ok ? this.schedule(0) : session.signedOut()));
        return;
      }
      this.schedule(e.code === closeTooManySockets ? 30_000 : undefined);
    };
  }

  private schedule(delay?: number) {
    clearTimeout(this.timer);
    const wait = delay ?? Math.min(30_000, 500 * 2 ** this.retry++) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => void this.connect(), wait);
  }
}

export const live = new LiveSocket();
