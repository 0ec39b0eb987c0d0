import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { useToast } from '../components/Toasts';
import { applyLiveMessage, resync } from './cache';
import { LiveConnection, type LiveStatus } from './connection';
import { ScoreDigest, STRONG_SCORE } from './scoreDigest';

export interface LiveState {
  status: LiveStatus;
  retryInMs?: number;
  online: boolean;
  /** Jobs scored in the last few seconds: the list highlights their rows in place. */
  fresh: ReadonlySet<string>;
  /** Strong matches scored while this tab was in the background (shown in its title). */
  unseenStrong: number;
}

const INITIAL: LiveState = { status: 'stopped', online: true, fresh: new Set(), unseenStrong: 0 };
const LiveContext = createContext<LiveState>(INITIAL);
// The fresh rows on their own as well: the jobs list reads only them, and must not render
// all its rows again each time the connection's status changes (three times as a page opens).
const FreshContext = createContext<ReadonlySet<string>>(INITIAL.fresh);

/** How long a newly scored row stays highlighted. */
export const FRESH_MS = 8000;
const TITLE = 'jobmon';

export function liveUrl(ticket: string): string {
  const base = import.meta.env.VITE_WS_URL ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return `${base}?ticket=${encodeURIComponent(ticket)}`;
}

/** The tab title names the strong matches that arrived while the user looked elsewhere. */
export function titleFor(unseenStrong: number): string {
  return unseenStrong > 0 ? `(${unseenStrong}) ${TITLE}` : TITLE;
}

/** Runs `fn` once the browser is first idle, or after `timeoutMs` at the latest; returns a cancel. */
function whenIdle(fn: () => void, timeoutMs = 1000): () => void {
  if (typeof requestIdleCallback === 'function') {
    const id = requestIdleCallback(fn, { timeout: timeoutMs });
    return () => cancelIdleCallback(id);
  }
  const id = setTimeout(fn, 0);
  return () => clearTimeout(id);
}

/** How long the digest waits for more scorings before it announces them. */
export const DIGEST_MS = 1500;

export function LiveProvider({ children, digestMs = DIGEST_MS }: { children: ReactNode; digestMs?: number }) {
  const { session } = useAuth();
  const client = useQueryClient();
  const toast = useToast();
  const signedIn = session !== null;
  const [state, setState] = useState<LiveState>({ ...INITIAL, online: navigator.onLine });

  useEffect(() => {
    const online = () => setState((s) => ({ ...s, online: true }));
    const offline = () => setState((s) => ({ ...s, online: false }));
    // Looking at the tab again is the visit that clears the count.
    const visible = () => {
      if (document.visibilityState === 'visible') setState((s) => (s.unseenStrong === 0 ? s : { ...s, unseenStrong: 0 }));
    };
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    document.addEventListener('visibilitychange', visible);
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      document.removeEventListener('visibilitychange', visible);
    };
  }, []);

  useEffect(() => {
    document.title = titleFor(state.unseenStrong);
  }, [state.unseenStrong]);

  useEffect(() => {
    if (!signedIn) return;
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const digest = new ScoreDigest((text, cards) => {
      toast(text, 'success');
      const ids = cards.map((c) => c.id);
      const strong = document.visibilityState === 'hidden' ? cards.filter((c) => (c.score ?? 0) >= STRONG_SCORE).length : 0;
      setState((s) => ({ ...s, fresh: new Set([...s.fresh, ...ids]), unseenStrong: s.unseenStrong + strong }));
      const timer = setTimeout(() => {
        timers.delete(timer);
        setState((s) => ({ ...s, fresh: new Set([...s.fresh].filter((id) => !ids.includes(id))) }));
      }, FRESH_MS);
      timers.add(timer);
    }, digestMs);
    const connection = new LiveConnection({
      getTicket: async () => (await api.post<{ ticket: string }>('/v1/auth/ws-ticket')).ticket,
      url: liveUrl,
      onMessage: (message) => {
        const text = applyLiveMessage(client, message);
        if (message.type === 'job_scored') digest.add(message.data);
        if (text) toast(text, 'info');
      },
      onStatus: (status, retryInMs) => setState((s) => ({ ...s, status, retryInMs })),
      onResync: () => {
        resync(client);
        toast('Live updates are back. The list is up to date again.', 'info');
      },
    });
    // Not before the page has rendered and asked for its data: the ticket request would hold
    // one of the browser's six connections to the API while the page's own requests wait (the
    // board asks for six lists at once), and the socket's start-up would run amid the first
    // render. The page's queries read the current state anyway; live updates follow it.
    const cancelStart = whenIdle(() => connection.start());
    const online = () => connection.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      cancelStart();
      connection.stop();
      digest.stop();
      timers.forEach(clearTimeout);
      setState((s) => ({ ...s, fresh: new Set(), unseenStrong: 0 }));
    };
  }, [signedIn, client, toast, digestMs]);

  return (
    <LiveContext.Provider value={state}>
      <FreshContext.Provider value={state.fresh}>{children}</FreshContext.Provider>
    </LiveContext.Provider>
  );
}

/** Jobs scored in the last few seconds, which the list highlights; changes only when they do. */
export function useFresh(): ReadonlySet<string> {
  return useContext(FreshContext);
}

export function useLive(): LiveState {
  return useContext(LiveContext);
}
