import { describe, expect, it } from 'vitest';
import { json, mockApi, alice } from '../test/utils';
import { request } from './client';
import { ApiError, NetworkError } from './errors';
import { session } from './session';
import { vi } from 'vitest';

describe('request', () => {
  it('sends the bearer token and parses JSON', async () => {
    session.set(alice);
    const { calls } = mockApi({ 'GET /v1/sources': () => json(200, { items: [], nextCursor: null }) });
    expect(await request('/v1/sources')).toEqual({ items: [], nextCursor: null });
    expect(calls[0].headers.authorization).toBe('Bearer access-1');
  });

  it('on 401 refreshes once with the refresh token and retries with the new access token', async () => {
    session.set(alice);
    const { calls } = mockApi({
      'GET /v1/tenant': (c) => (c.headers.authorization === 'Bearer access-2' ? json(200, { id: 't1' }) : json(401, { error: { code: 'unauthorized', message: 'expired' } })),
      'POST /v1/auth/refresh': (c) => {
        expect(c.body).toEqual({ refreshToken: 'refresh-1' });
        expect(c.headers.authorization).toBeUndefined();
        return json(200, { ...alice, accessToken: 'access-2', refreshToken: 'refresh-2' });
      },
    });
    expect(await request('/v1/tenant')).toEqual({ id: 't1' });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v1/tenant', 'POST /v1/auth/refresh', 'GET /v1/tenant']);
    expect(session.current?.refreshToken).toBe('refresh-2');
  });

  it('ends the session when the refresh is refused', async () => {
    session.set(alice);
    mockApi({
      'GET /v1/tenant': () => json(401, { error: { code: 'unauthorized', message: 'expired' } }),
      'POST /v1/auth/refresh': () => json(401, { error: { code: 'unauthorized', message: 'revoked' } }),
    });
    await expect(request('/v1/tenant')).rejects.toMatchObject({ status: 401 });
    expect(session.current).toBeNull();
  });

  it('reads the error body, field details and Retry-After', async () => {
    mockApi({
      'POST /v1/sources': () => json(400, { error: { code: 'validation_failed', message: 'invalid', details: { 'config.board': 'is required' } } }),
      'POST /v1/jobs/fetch': () => json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '30' }),
    });
    const e = (await request('/v1/sources', { method: 'POST', body: {} }).catch((x: unknown) => x)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.details).toEqual({ 'config.board': 'is required' });
    const r = (await request('/v1/jobs/fetch', { method: 'POST' }).catch((x: unknown) => x)) as ApiError;
    expect(r.retryAfter).toBe(30);
  });

  it('turns a failed connection into NetworkError', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')));
    await expect(request('/v1/health', { auth: false })).rejects.toBeInstanceOf(NetworkError);
  });

  it('returns nothing for 204', async () => {
    mockApi({ 'POST /v1/auth/logout': () => new Response(null, { status: 204 }) });
    expect(await request('/v1/auth/logout', { method: 'POST', body: {}, auth: false })).toBeUndefined();
  });
});
