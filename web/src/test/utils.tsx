import { useEffect, type ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { vi } from 'vitest';
import { session } from '../api/session';
import type { Session } from '../api/types';
import { AuthProvider } from '../auth/AuthContext';
import { ToastProvider } from '../components/Toasts';

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: Record<string, string>;
}

type Handler = (call: Call) => Response | Promise<Response> | { status?: number; body?: unknown; headers?: Record<string, string> };

export function json(status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/**
 * Replaces `fetch` with a table of `"METHOD /path"` → handler. Unknown routes answer 404
 * like the gateway; every call is recorded.
 */
export function mockApi(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://127.0.0.1');
    const method = (init?.method ?? 'GET').toUpperCase();
    const call: Call = {
      method,
      path: url.pathname,
      query: url.searchParams,
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      headers: (init?.headers ?? {}) as Record<string, string>,
    };
    calls.push(call);
    const handler = routes[`${method} ${url.pathname}`];
    if (!handler) return json(404, { error: { code: 'not_found', message: `no route for ${method} ${url.pathname}` } });
    const out = await handler(call);
    if (out instanceof Response) return out;
    return json(out.status ?? 200, out.body, out.headers);
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetchMock };
}

export const alice: Session = {
  accessToken: 'access-1',
  refreshToken: 'refresh-1',
  expiresIn: 900,
  user: { id: 'u1', email: 'alice@example.com', role: 'admin', emailVerified: true, createdAt: '2026-01-01T00:00:00Z' },
  tenant: { id: 't1', name: 'Alice', plan: 'free', subscriptionStatus: 'none' },
};

export function newQueryClient() {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity }, mutations: { retry: false } } });
}

let lastLocation = '';
function LocationProbe() {
  const l = useLocation();
  // After the render is committed: a render must not change anything outside itself.
  useEffect(() => {
    lastLocation = l.pathname + l.search;
  });
  return null;
}
/** The router's current path and query, as the last render saw them. */
export function currentLocation() {
  return lastLocation;
}

export function renderPage(
  ui: ReactElement,
  { route = '/', path = '*', signedIn = true, as = alice, client = newQueryClient() }: { route?: string; path?: string; signedIn?: boolean; as?: Session; client?: QueryClient } = {},
) {
  session.clear();
  if (signedIn) session.set(as);
  const result = render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[route]}>
        <ToastProvider>
          <AuthProvider>
            <Routes>
              <Route path={path} element={ui} />
              {path !== "*" && <Route path="*" element={<p>elsewhere</p>} />}
            </Routes>
            <LocationProbe />
          </AuthProvider>
        </ToastProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, client };
}

/** A window whose width the test sets, with `matchMedia` answering `min-width` queries from it. */
export function fakeViewport(width: number) {
  const listeners = new Set<() => void>();
  const state = { width };
  vi.stubGlobal('matchMedia', (query: string) => ({
    get matches() {
      return state.width >= Number(/min-width: (\d+)rem/.exec(query)![1]) * 16;
    },
    addEventListener: (_: string, l: () => void) => listeners.add(l),
    removeEventListener: (_: string, l: () => void) => listeners.delete(l),
  }));
  return {
    resize(to: number) {
      state.width = to;
      listeners.forEach((l) => l());
    },
    listeners,
  };
}
