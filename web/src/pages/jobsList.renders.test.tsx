import { describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { LiveProvider } from '../live/LiveProvider';
import { json, mockApi, renderPage } from '../test/utils';
import { workModeLabel } from '../format';
import { JobsPage } from './JobsPage';

// Each row's facts ask for the work mode's label once per render of the list: a count of list renders.
vi.mock('../format', async (original) => {
  const real = await original<typeof import('../format')>();
  return { ...real, workModeLabel: vi.fn(real.workModeLabel) };
});

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

describe('the jobs list and the live connection', () => {
  it('does not render the list again when only the connection status changes', async () => {
    vi.stubGlobal('WebSocket', FakeSocket);
    const job = { id: 'j1', title: 'Rust Dev', company: 'Acme', location: '', remote: true, url: 'https://x', sourceId: 's1', status: 'queued', createdAt: '2026-01-01T00:00:00Z' };
    mockApi({
      'POST /v1/auth/ws-ticket': () => json(200, { ticket: 'T1', expiresIn: 60 }),
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs': () => json(200, { items: [job], nextCursor: null }),
    });
    renderPage(
      <LiveProvider>
        <JobsPage />
      </LiveProvider>,
      { route: '/jobs' },
    );
    await screen.findAllByTestId('job-row');
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    const renders = vi.mocked(workModeLabel).mock.calls.length;
    expect(renders).toBeGreaterThan(0);
    act(() => FakeSocket.all[0].onopen?.());
    act(() => FakeSocket.all[0].onclose?.());
    expect(vi.mocked(workModeLabel).mock.calls.length).toBe(renders);
  });

  it('does not render the rows again for each key typed in the search box', async () => {
    mockApi({
      'GET /v1/sources': () => json(200, { items: [{ id: 's1', name: 'Acme board' }], nextCursor: null }),
      'GET /v1/jobs': () => json(200, { items: [{ id: 'j1', title: 'Rust Dev', company: 'Acme', location: '', remote: true, url: 'https://x', sourceId: 's1', status: 'queued', createdAt: '2026-01-01T00:00:00Z' }], nextCursor: null }),
    });
    renderPage(<JobsPage />, { route: '/jobs' });
    await screen.findAllByTestId('job-row');
    await waitFor(() => expect(screen.getByRole('option', { name: 'Acme board' })).toBeInTheDocument());
    const renders = vi.mocked(workModeLabel).mock.calls.length;
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'r' } });
    fireEvent.change(screen.getByLabelText('Search'), { target: { value: 'ru' } });
    expect(screen.getByLabelText('Search')).toHaveValue('ru');
    expect(vi.mocked(workModeLabel).mock.calls.length).toBe(renders);
  });
});
