import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, NetworkError } from './errors';
import { REFRESH_MARGIN_MS, REFRESH_RETRY_MS, SessionStore } from './session';
import type { Session } from './types';

function sessionWith(n: number, expiresIn = 900): Session {
  return {
    accessToken: `access-${n}`,
    refreshToken: `refresh-${n}`,
    expiresIn,
    user: { id: 'u', email: 'a@example.com', role: 'admin', emailVerified: true, createdAt: '2026-01-01T00:00:00Z' },
    tenant: { id: 't', name: 'T', plan: 'free', subscriptionStatus: 'none' },
  };
}

describe('SessionStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('refreshes a minute before the access token expires and rotates the refresh token', async () => {
    const store = new SessionStore(() => Date.now());
    const refresher = vi.fn(async (token?: string) => sessionWith(Number(token!.split('-')[1]) + 1));
    store.setRefresher(refresher);
    store.set(sessionWith(1));
    await vi.advanceTimersByTimeAsync(900_000 - REFRESH_MARGIN_MS - 1);
    expect(refresher).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(refresher).toHaveBeenCalledWith('refresh-1');
    expect(store.current?.accessToken).toBe('access-2');
    // The next refresh presents the rotated token, never the spent one.
    await vi.advanceTimersByTimeAsync(900_000 - REFRESH_MARGIN_MS);
    expect(refresher).toHaveBeenLastCalledWith('refresh-2');
    expect(store.current?.refreshToken).toBe('refresh-3');
  });

  it('sends one refresh for concurrent callers (a spent token would revoke the family)', async () => {
    const store = new SessionStore();
    let release!: (s: Session) => void;
    const refresher = vi.fn(() => new Promise<Session>((r) => (release = r)));
    store.setRefresher(refresher);
    store.set(sessionWith(1));
    const a = store.refresh();
    const b = store.refresh();
    release(sessionWith(2));
    expect(await a).toBe(true);
    expect(await b).toBe(true);
    expect(refresher).toHaveBeenCalledTimes(1);
  });

  it('restores with one refresh however many ask (start-up and the auth provider both do)', async () => {
    const store = new SessionStore();
    let release!: (s: Session) => void;
    const refresher = vi.fn(() => new Promise<Session>((r) => (release = r)));
    store.setRefresher(refresher);
    const early = store.restore();
    const mounted = store.restore();
    release({ ...sessionWith(1), refreshToken: undefined });
    expect(await early).toBe(true);
    expect(await mounted).toBe(true);
    expect(refresher).toHaveBeenCalledTimes(1);
    expect(store.current?.accessToken).toBe('access-1');
  });

  it('asks again on a later restore after one found no session', async () => {
    const store = new SessionStore();
    const refresher = vi.fn(async (): Promise<Session> => {
      throw new ApiError(401, 'unauthorized', 'no session');
    });
    store.setRefresher(refresher);
    expect(await store.restore()).toBe(false);
    expect(await store.restore()).toBe(false);
    expect(refresher).toHaveBeenCalledTimes(2);
  });

  it('ends the session when the refresh token is refused', async () => {
    const store = new SessionStore();
    const seen: (string | null)[] = [];
    store.subscribe((s) => seen.push(s?.accessToken ?? null));
    store.setRefresher(async () => {
      throw new ApiError(401, 'unauthorized', 'revoked');
    });
    store.set(sessionWith(1));
    expect(await store.refresh()).toBe(false);
    expect(store.current).toBeNull();
    expect(seen).toEqual(['access-1', null]);
  });

  it('keeps the session and tries again soon when the network fails', async () => {
    const store = new SessionStore();
    const refresher = vi.fn().mockRejectedValueOnce(new NetworkError()).mockResolvedValueOnce(sessionWith(2));
    store.setRefresher(refresher);
    store.set(sessionWith(1));
    expect(await store.refresh()).toBe(false);
    expect(store.current?.accessToken).toBe('access-1');
    await vi.advanceTimersByTimeAsync(REFRESH_RETRY_MS);
    expect(refresher).toHaveBeenCalledTimes(2);
    expect(store.current?.accessToken).toBe('access-2');
  });

  it('is stale shortly before expiry', () => {
    let now = 0;
    const store = new SessionStore(() => now);
    store.set(sessionWith(1, 60));
    expect(store.isStale()).toBe(false);
    now = 56_000;
    expect(store.isStale()).toBe(true);
  });
});
