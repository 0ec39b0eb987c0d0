import { describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import { SessionStore } from '../api/session';
import { alice, newQueryClient } from '../test/utils';
import { AuthProvider, useAuth } from './AuthContext';

describe('AuthProvider', () => {
  it('renders a signed-in page once when the restore opens a session, not again when the restore ends', async () => {
    const store = new SessionStore();
    let answer: () => void = () => undefined;
    store.setRefresher(() => new Promise((resolve) => (answer = () => resolve({ ...alice, refreshToken: undefined }))));
    const seen: string[] = [];
    function Page() {
      const { session, restoring } = useAuth();
      seen.push(session ? `signed in as ${session.user.email}` : restoring ? 'restoring' : 'signed out');
      return <p>{seen.at(-1)}</p>;
    }
    render(
      <QueryClientProvider client={newQueryClient()}>
        <AuthProvider store={store}>
          <Page />
        </AuthProvider>
      </QueryClientProvider>,
    );
    expect(screen.getByText('restoring')).toBeInTheDocument();
    await act(async () => answer());
    expect(screen.getByText('signed in as alice@example.com')).toBeInTheDocument();
    expect(seen).toEqual(['restoring', 'signed in as alice@example.com']);
  });

  it('says signed out once a restore finds no session', async () => {
    const store = new SessionStore();
    store.setRefresher(() => Promise.reject(Object.assign(new Error('no'), { status: 401 })));
    function Page() {
      const { session, restoring } = useAuth();
      return <p>{session ? 'signed in' : restoring ? 'restoring' : 'signed out'}</p>;
    }
    render(
      <QueryClientProvider client={newQueryClient()}>
        <AuthProvider store={store}>
          <Page />
        </AuthProvider>
      </QueryClientProvider>,
    );
    expect(await screen.findByText('signed out')).toBeInTheDocument();
  });
});
