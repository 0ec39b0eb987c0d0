// The access token lives in memory only (see README, "Tokens"); the refresh token lives in
// an HttpOnly cookie that script cannot read (the server sets it when the dashboard asks
// with `x-jobmon-session: cookie`), so a reload, a new tab or a bookmark opens signed in.
// The access token is refreshed a minute before it expires; every refresh rotates the
// refresh token (the server revokes the family if a spent one is presented again), so
// refreshes are single-flight — across tabs too, through a Web Lock where the browser has
// them: two tabs presenting the same cookie at once would look like a stolen token.

import type { Session, Tenant, User } from './types';

export interface SessionState {
  accessToken: string;
  /** Only for sessions that carry it (API-style); the dashboard's is in the cookie. */
  refreshToken?: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  user: User;
  tenant: Tenant;
}

type Listener = (state: SessionState | null) => void;
/**
 * Exchanges a refresh token (or, without one, the session cookie) for a new session;
 * throws `ApiError` 401 when it is refused.
 */
export type Refresher = (refreshToken?: string) => Promise<Session>;

/** Runs `fn` while holding the browser-wide refresh lock, or directly without Web Locks. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? (locks.request('jobmon-session-refresh', fn) as Promise<T>) : fn();
}

/** Refresh this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;
/** After a failed refresh that was not a refusal (network), try again this soon. */
export const REFRESH_RETRY_MS = 10_000;

export class SessionStore {
  private state: SessionState | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<boolean> | null = null;
  private restoring: Promise<boolean> | null = null;
  private listeners = new Set<Listener>();
  private refresher: Refresher | null = null;

  constructor(private now: () => number = Date.now) {}

  setRefresher(refresher: Refresher) {
    this.refresher = refresher;
  }

  get current(): SessionState | null {
    return this.state;
  }

  /** Stores a session from login, register, invitation or refresh. */
  set(session: Session) {
    this.state = {
      accessToken: session.accessToken,
      refreshToken: session.refreshToken ?? undefined,
      expiresAt: this.now() + session.expiresIn * 1000,
      user: session.user,
      tenant: session.tenant,
    };
    this.schedule(Math.max(session.expiresIn * 1000 - REFRESH_MARGIN_MS, (session.expiresIn * 1000) / 2));
    this.emit();
  }

  /** Keeps the tokens, replaces the user and tenant (after `GET /v1/auth/me`). */
  update(user: User, tenant: Tenant) {
    if (!this.state) return;
    this.state = { ...this.state, user, tenant };
    this.emit();
  }

  clear() {
    clearTimeout(this.timer);
    this.timer = undefined;
    const had = this.state !== null;
    this.state = null;
    if (had) this.emit();
  }

  /** True when the access token is expired or about to be. */
  isStale(): boolean {
    return this.state !== null && this.now() >= this.state.expiresAt - 5_000;
  }

  /**
   * Rotates the tokens. Resolves `true` with a fresh session, `false` when the session
   * ended (the server refused the refresh token: it is cleared) or the server could not
   * be reached (kept; retried shortly).
   */
  refresh(): Promise<boolean> {
    if (this.inFlight) return this.inFlight;
    const state = this.state;
    if (!state || !this.refresher) return Promise.resolve(false);
    const refresher = this.refresher;
    this.inFlight = (async () => {
      try {
        const session = await exclusive(() => refresher(state.refreshToken));
        // A logout while the refresh ran wins.
        if (this.state === null) return false;
        this.set(session);
        return true;
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (status === 401 || status === 400) {
          this.clear();
        } else {
          this.schedule(REFRESH_RETRY_MS);
        }
        return false;
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  /**
   * Opens the session the cookie holds (page load, new tab, bookmark). Resolves `true`
   * signed in, `false` when there is no session to restore (or the server is unreachable).
   */
  restore(): Promise<boolean> {
    if (this.state) return Promise.resolve(true);
    if (!this.refresher) return Promise.resolve(false);
    // Single flight: the page starts the restore before React renders (main.tsx) and the
    // auth provider asks again once mounted; a second refresh would rotate the cookie twice.
    if (this.restoring) return this.restoring;
    const refresher = this.refresher;
    this.restoring = exclusive(() => refresher())
      .then((session) => {
        // A sign-in that finished meanwhile wins.
        if (!this.state) this.set(session);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        this.restoring = null;
      });
    return this.restoring;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private schedule(ms: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), ms);
  }

  private emit() {
    for (const l of this.listeners) l(this.state);
  }
}

export const session = new SessionStore();
