import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { useToast } from '../components/Toasts';
import { applyLiveMessage, resync } from './cache';
import { LiveConnection, type LiveStatus } from './connection';

export interface LiveState {
  status: LiveStatus;
  retryInMs?: number;
  online: boolean;
}

const LiveContext = createContext<LiveState>({ status: 'stopped', online: true });

export function liveUrl(ticket: string): string {
  const base = import.meta.env.VITE_WS_URL ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return `${base}?ticket=${encodeURIComponent(ticket)}`;
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const { session } = useAuth();
  const client = useQueryClient();
  const toast = useToast();
  const signedIn = session !== null;
  const [state, setState] = useState<LiveState>({ status: 'stopped', online: navigator.onLine });

  useEffect(() => {
    const online = () => setState((s) => ({ ...s, online: true }));
    const offline = () => setState((s) => ({ ...s, online: false }));
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    return () => {
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
    };
  }, []);

  useEffect(() => {
    if (!signedIn) return;
    const connection = new LiveConnection({
      getTicket: async () => (await api.post<{ ticket: string }>('/v1/auth/ws-ticket')).ticket,
      url: liveUrl,
      onMessage: (message) => {
        const text = applyLiveMessage(client, message);
        if (text) toast(text, message.type === 'job_scored' ? 'success' : 'info');
      },
      onStatus: (status, retryInMs) => setState((s) => ({ ...s, status, retryInMs })),
      onResync: () => {
        resync(client);
        toast('Live updates are back. The list is up to date again.', 'info');
      },
    });
    connection.start();
    const online = () => connection.retryNow();
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('online', online);
      connection.stop();
    };
  }, [signedIn, client, toast]);

  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveState {
  return useContext(LiveContext);
}
