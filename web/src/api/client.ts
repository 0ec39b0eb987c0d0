import { ApiError, NetworkError } from './errors';
import { session as defaultSession, type SessionStore } from './session';
import type { Session } from './types';

/** Where the API lives: same origin by default (the local stack, CloudFront in front of API Gateway). */
export const API_BASE: string = import.meta.env.VITE_API_URL ?? '';

export type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Query;
  /** Send the access token (default true). */
  auth?: boolean;
  signal?: AbortSignal;
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** Asks the auth routes to keep the refresh token in the HttpOnly cookie (see session.ts). */
export const SESSION_HEADER = 'x-jobmon-session';

async function send(path: string, opts: RequestOptions, token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (path.startsWith('/v1/auth/')) headers[SESSION_HEADER] = 'cookie';
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(API_BASE + withQuery(path, opts.query), {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new NetworkError();
  }
}

async function toError(response: Response): Promise<ApiError> {
  let code = statusCode(response.status);
  let message = '';
  let details: Record<string, string> = {};
  try {
    const body = await response.json();
    if (body && typeof body.error === 'object') {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? '');
      if (body.error.details && typeof body.error.details === 'object') {
        details = Object.fromEntries(Object.entries(body.error.details).map(([k, v]) => [k, String(v)]));
      }
    }
  } catch {
    // Not JSON (a proxy's error page): the status says enough.
  }
  const retry = Number(response.headers.get('retry-after'));
  return new ApiError(response.status, code, message, details, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

function statusCode(status: number): string {
  return (
    {
      400: 'validation_failed',
      401: 'unauthorized',
      402: 'plan_limit',
      403: 'forbidden',
      404: 'not_found',
      409: 'conflict',
      413: 'payload_too_large',
      429: 'rate_limited',
    }[status] ?? (status >= 500 ? 'internal' : 'error')
  );
}

/**
 * Calls the API. With a session, refreshes a stale access token first and, on a 401,
 * refreshes once and retries; a refused refresh ends the session.
 */
export async function request<T>(path: string, opts: RequestOptions = {}, store: SessionStore = defaultSession): Promise<T> {
  const auth = opts.auth ?? true;
  if (auth && store.isStale()) await store.refresh();
  let response = await send(path, opts, auth ? store.current?.accessToken : undefined);
  if (response.status === 401 && auth && store.current) {
    if (await store.refresh()) {
      response = await send(path, opts, store.current?.accessToken);
    } else if (!store.current) {
      throw await toError(response);
    }
  }
  if (!response.ok) throw await toError(response);
  if (response.status === 204 || response.status === 202 && response.headers.get('content-length') === '0') {
    return undefined as T;
  }
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The refresh call itself: never retried, never refreshed. Without a token: the cookie's. */
export function refreshSession(refreshToken?: string): Promise<Session> {
  return request<Session>('/v1/auth/refresh', { method: 'POST', body: refreshToken ? { refreshToken } : undefined, auth: false });
}

/** Ends the session on the server (revokes its refresh token, clears the cookie). */
export function endSession(refreshToken?: string): Promise<void> {
  return request<void>('/v1/auth/logout', { method: 'POST', body: refreshToken ? { refreshToken } : undefined, auth: false });
}

defaultSession.setRefresher(refreshSession);

export const api = {
  get: <T>(path: string, query?: Query) => request<T>(path, { query }),
  post: <T>(path: string, body?: unknown) => request<T>(path, { method: 'POST', body }),
  put: <T>(path: string, body: unknown) => request<T>(path, { method: 'PUT', body }),
  patch: <T>(path: string, body: unknown) => request<T>(path, { method: 'PATCH', body }),
  del: <T>(path: string, body?: unknown) => request<T>(path, { method: 'DELETE', body }),
  /** Without a token: login, register, password reset… */
  public: <T>(path: string, body: unknown) => request<T>(path, { method: 'POST', body, auth: false }),
};
