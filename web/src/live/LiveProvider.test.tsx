import { describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { Layout } from '../components/Layout';
import { json, mockApi, renderPage } from '../test/utils';
import { LiveProvider } from './LiveProvider';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {}
}

function app() {
  return (
    <LiveProvider>
      <Routes>
        <Route element={<Layout />}>
          <Route path="*" element={<p>page</p>} />
        </Route>
      </Routes>
    </LiveProvider>
  );
}

describe('LiveProvider with the layout', () => {
  it('opens the socket with a ticket, toasts scores, and shows a lost connection', async () => {
    FakeSocket.all = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    const { calls } = mockApi({ 'POST /v1/auth/ws-ticket': () => json(200, { ticket: 'T1', expiresIn: 60 }) });
    renderPage(app(), { route: '/jobs' });
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    expect(FakeSocket.all[0].url).toBe(`ws://${location.host}/ws?ticket=T1`);
    expect(calls[0].headers.authorization).toBe('Bearer access-1');
    act(() => FakeSocket.all[0].onopen?.());
    expect(screen.getByTestId('live-dot')).toHaveAttribute('data-status', 'open');

    act(() =>
      FakeSocket.all[0].onmessage?.({
        data: JSON.stringify({ type: 'job_scored', data: { id: 'j', title: 'Rust Dev', company: 'Acme', status: 'scored', score: 8 } }),
      }),
    );
    expect(await screen.findByText('Scored 8/10: Rust Dev at Acme')).toBeInTheDocument();

    act(() => FakeSocket.all[0].onclose?.());
    expect(screen.getByTestId('connection-banner')).toHaveTextContent(/Live updates are disconnected. Reconnecting in \d s/);
  });

  it('shows when the browser is offline', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    mockApi({ 'POST /v1/auth/ws-ticket': () => json(200, { ticket: 'T1', expiresIn: 60 }) });
    renderPage(app(), { route: '/jobs' });
    act(() => void window.dispatchEvent(new Event('offline')));
    expect(screen.getByTestId('connection-banner')).toHaveTextContent('You are offline');
    act(() => void window.dispatchEvent(new Event('online')));
    expect(screen.queryByText(/You are offline/)).not.toBeInTheDocument();
  });
});
