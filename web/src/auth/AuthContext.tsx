import { createContext, useCallback, useContext, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { session as defaultStore, type SessionState, type SessionStore } from '../api/session';
import type { Session } from '../api/types';

interface Auth {
  session: SessionState | null;
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
    if (refreshToken) {
      // Revokes the token family; if it fails the tokens are forgotten anyway.
      await api.public('/v1/auth/logout', { refreshToken }).catch(() => undefined);
    }
  }, [store, queryClient]);
  const value = useMemo(
    () => ({ session: current, signIn, signOut, isAdmin: current?.user.role === 'admin' }),
    [current, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}
