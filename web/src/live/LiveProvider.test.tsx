import { describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { Layout } from '../components/Layout';
import { JobsPage } from '../pages/JobsPage';
import { json, mockApi, renderPage } from '../test/utils';
import { LiveProvider, titleFor } from './LiveProvider';
import { MAX_TOASTS } from '../components/Toasts';

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

function app(digestMs?: number) {
  return (
    <LiveProvider digestMs={digestMs}>
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
    expect(await screen.findByText('Scored 8/10: Rust Dev at Acme', undefined, { timeout: 3000 })).toBeInTheDocument();

    act(() => FakeSocket.all[0].onclose?.());
    expect(screen.getByTestId('connection-banner')).toHaveTextContent(/Live updates are disconnected. Reconnecting in \d s/);
  });

  it('opens the connection once the browser is idle, not amid the first render', async () => {
    FakeSocket.all = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    const idle: (() => void)[] = [];
    const cancelled: number[] = [];
    vi.stubGlobal('requestIdleCallback', (cb: () => void) => idle.push(cb));
    vi.stubGlobal('cancelIdleCallback', (id: number) => cancelled.push(id));
    const { calls } = mockApi({ 'POST /v1/auth/ws-ticket': () => json(200, { ticket: 'T1', expiresIn: 60 }) });
    const { unmount } = renderPage(app(), { route: '/jobs' });
    expect(await screen.findByText('page')).toBeInTheDocument();
    await waitFor(() => expect(idle).toHaveLength(1));
    expect(calls).toHaveLength(0);
    expect(FakeSocket.all).toHaveLength(0);
    act(() => idle[0]());
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    expect(calls.map((c) => c.path)).toEqual(['/v1/auth/ws-ticket']);
    unmount();

    // Leaving before the browser was idle cancels the start.
    const second = renderPage(app(), { route: '/jobs' });
    await waitFor(() => expect(idle).toHaveLength(2));
    second.unmount();
    expect(cancelled).toContain(2);
    expect(FakeSocket.all).toHaveLength(1);
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

function scored(id: string, score: number, title = `Job ${id}`) {
  return { data: JSON.stringify({ type: 'job_scored', data: { id, title, company: 'Acme', status: 'scored', score } }) };
}

describe('calm live updates', () => {
  it('summarises scorings that arrive together in one toast and never stacks more than three', async () => {
    FakeSocket.all = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    mockApi({ 'POST /v1/auth/ws-ticket': () => json(200, { ticket: 'T1', expiresIn: 60 }) });
    renderPage(app(50), { route: '/jobs' });
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    act(() => FakeSocket.all[0].onopen?.());
    act(() => {
      for (let i = 0; i < 12; i++) FakeSocket.all[0].onmessage?.(scored(`j${i}`, i === 5 ? 9 : 4, i === 5 ? 'Senior Rust Engineer' : undefined));
    });
    expect(await screen.findByText('12 jobs scored — best: 9/10 Senior Rust Engineer at Acme', undefined, { timeout: 3000 })).toBeInTheDocument();
    expect(screen.getAllByTestId('toast')).toHaveLength(1);

    // Four separate bursts: only the newest three stay on screen.
    for (let burst = 0; burst < 4; burst++) {
      act(() => FakeSocket.all[0].onmessage?.(scored(`b${burst}`, 5)));
      await screen.findByText(`Scored 5/10: Job b${burst} at Acme`, undefined, { timeout: 3000 });
    }
    expect(screen.getAllByTestId('toast').length).toBeLessThanOrEqual(MAX_TOASTS);
    expect(screen.queryByText(/12 jobs scored/)).not.toBeInTheDocument();
  });

  it('counts strong matches scored while the tab is hidden in the title, and clears on return', async () => {
    FakeSocket.all = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    mockApi({ 'POST /v1/auth/ws-ticket': () => json(200, { ticket: 'T1', expiresIn: 60 }) });
    let visibility: DocumentVisibilityState = 'hidden';
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
    renderPage(app(50), { route: '/jobs' });
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    act(() => {
      FakeSocket.all[0].onmessage?.(scored('a', 9));
      FakeSocket.all[0].onmessage?.(scored('b', 7));
      FakeSocket.all[0].onmessage?.(scored('c', 3));
    });
    await waitFor(() => expect(document.title).toBe('(2) jobmon'), { timeout: 3000 });
    visibility = 'visible';
    act(() => void document.dispatchEvent(new Event('visibilitychange')));
    expect(document.title).toBe('jobmon');
  });

  it('titles the tab with the count only when there is one', () => {
    expect(titleFor(0)).toBe('jobmon');
    expect(titleFor(3)).toBe('(3) jobmon');
  });
});

describe('a newly scored row', () => {
  it('is highlighted in place in the jobs list', async () => {
    FakeSocket.all = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    const job = { id: 'j1', title: 'Rust Dev', company: 'Acme', location: '', remote: false, url: 'https://x', sourceId: 's1', status: 'queued', createdAt: '2026-01-01T00:00:00Z' };
    mockApi({
      'POST /v1/auth/ws-ticket': () => json(200, { ticket: 'T1', expiresIn: 60 }),
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs': () => json(200, { items: [job, { ...job, id: 'j2', title: 'Other' }], nextCursor: null }),
    });
    renderPage(
      <LiveProvider digestMs={20}>
        <JobsPage />
      </LiveProvider>,
      { route: '/jobs' },
    );
    const rows = await screen.findAllByTestId('job-row');
    expect(rows[0]).not.toHaveAttribute('data-fresh');
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    act(() => FakeSocket.all[0].onmessage?.(scored('j1', 8, 'Rust Dev')));
    await waitFor(() => expect(screen.getAllByTestId('job-row')[0]).toHaveAttribute('data-fresh', 'true'));
    expect(within(screen.getAllByTestId('job-row')[0]).getByText('just scored')).toBeInTheDocument();
    expect(screen.getAllByTestId('job-row')[1]).not.toHaveAttribute('data-fresh');
  });
});
