import { createContext, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { endSession } from '../api/client';
import { session as defaultStore, type SessionState, type SessionStore } from '../api/session';
import type { Session } from '../api/types';

interface Auth {
  session: SessionState | null;
  /** True while the page asks whether the session cookie still holds a session. */
  restoring: boolean;
  signIn: (session: Session) => void;
  signOut: () => Promise<void>;
  isAdmin: boolean;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children, store = defaultStore }: { children: ReactNode; store?: SessionStore }) {
  const queryClient = useQueryClient();
  const current = useSyncExternalStore(
    (cb) => store.subscribe(cb),
    () => store.current,
  );
  // A reload, a new tab or a bookmark: the cookie may still hold a session.
  const [restoring, setRestoring] = useState(() => store.current === null);
  useEffect(() => {
    if (!restoring) return;
    let live = true;
    void store.restore().finally(() => live && setRestoring(false));
    return () => {
      live = false;
    };
  }, [store, restoring]);
  const signIn = useCallback(
    (s: Session) => {
      queryClient.clear();
      store.set(s);
    },
    [store, queryClient],
  );
  const signOut = useCallback(async () => {
    const refreshToken = store.current?.refreshToken;
    store.clear();
    queryClient.clear();
    // Revokes the token family and clears the cookie; if it fails the tokens are
    // forgotten here anyway.
    await endSession(refreshToken).catch(() => undefined);
  }, [store, queryClient]);
  // Once a session is there, the end of the restore changes nothing a page reads: the value
  // stays the same object, so the whole signed-in page does not render once more for it.
  const stillRestoring = restoring && current === null;
  const value = useMemo(
    () => ({ session: current, restoring: stillRestoring, signIn, signOut, isAdmin: current?.user.role === 'admin' }),
    [current, stillRestoring, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}
