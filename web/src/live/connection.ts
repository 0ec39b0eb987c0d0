// One WebSocket to the live API, kept open: a fresh one-time ticket for every attempt,
// exponential backoff with jitter between attempts, and a resync signal after each
// reconnect (messages sent while the socket was down are lost, so the caller refetches).

import type { LiveMessage } from '../api/types';

export type LiveStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped';

export interface LiveOptions {
  /** A one-time ticket (`POST /v1/auth/ws-ticket`). */
  getTicket: () => Promise<string>;
  url: (ticket: string) => string;
  onMessage: (message: LiveMessage) => void;
  onStatus: (status: LiveStatus, retryInMs?: number) => void;
  /** Called when a socket opens after an earlier one was lost. */
  onResync: () => void;
  createSocket?: (url: string) => WebSocket;
  backoff?: (attempt: number) => number;
}

export const MAX_BACKOFF_MS = 30_000;

/** 1 s, 2 s, 4 s … 30 s, each ±20 %. */
export function defaultBackoff(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class LiveConnection {
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private everOpened = false;
  private stopped = true;

  constructor(private opts: LiveOptions) {}

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close();
    }
    this.opts.onStatus('stopped');
  }

  /** Try now instead of waiting for the backoff (the browser came back online). */
  retryNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.timer);
    void this.connect();
  }

  private async connect() {
    this.opts.onStatus(this.everOpened ? 'reconnecting' : 'connecting');
    let ticket: string;
    try {
      ticket = await this.opts.getTicket();
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const socket = (this.opts.createSocket ?? ((u) => new WebSocket(u)))(this.opts.url(ticket));
    this.socket = socket;
    socket.onopen = () => {
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.opts.onStatus('open');
      if (reconnected) this.opts.onResync();
    };
    socket.onmessage = (event) => {
      try {
        const message = JSON.parse(String(event.data)) as LiveMessage;
        if (message && typeof message.type === 'string') this.opts.onMessage(message);
      } catch {
        // Not ours: ignore.
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.stopped) this.scheduleRetry();
    };
    socket.onerror = () => {
      // onclose follows and schedules the retry.
    };
  }

  private scheduleRetry() {
    if (this.stopped) return;
    const wait = (this.opts.backoff ?? defaultBackoff)(this.attempt);
    this.attempt += 1;
    this.opts.onStatus('reconnecting', wait);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), wait);
  }
}
