import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { NotificationChannel } from '../api/types';
import { alice, json, mockApi, renderPage } from '../test/utils';
import { NotificationsPage } from './NotificationsPage';

const settings = { email: { instant: { enabled: false, minScore: 8 }, digest: { enabled: false, hour: 8, timeZone: 'UTC' } } };
const channel = (id: string, patch: Partial<NotificationChannel> = {}): NotificationChannel => ({
  id,
  kind: 'slack',
  url: `https://hooks.example.com/${id}`,
  minScore: 7,
  enabled: true,
  lastError: null,
  consecutiveFailures: 0,
  createdAt: '2026-11-30T08:00:00Z',
  updatedAt: '2026-11-30T08:00:00Z',
  ...patch,
});
const render = (as = alice) => renderPage(<NotificationsPage />, { route: '/notifications', path: '/notifications', as });

describe('Notifications page channels', () => {
  it('shows each channel with its last error and sends a test', async () => {
    const { calls } = mockApi({
      'GET /v1/notifications': () => json(200, settings),
      'GET /v1/notifications/channels': () =>
        json(200, { items: [channel('c1'), channel('c2', { kind: 'webhook', enabled: false, lastError: 'HTTP 404', consecutiveFailures: 5 })], nextCursor: null }),
      'POST /v1/notifications/channels/c1/test': () => json(200, { delivered: true }),
      'POST /v1/notifications/channels/c2/test': () => json(200, { delivered: false, error: 'HTTP 410' }),
    });
    render();
    const rows = await screen.findAllByTestId('channel-row');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toHaveTextContent('Last error: HTTP 404 (5 failures in a row)');
    expect(rows[1]).toHaveTextContent('off');
    expect(rows[0]).not.toHaveTextContent('Last error');
    await userEvent.click(within(rows[0]).getByRole('button', { name: 'Send test' }));
    expect(await within(rows[0]).findByRole('status')).toHaveTextContent('Test message delivered.');
    await userEvent.click(within(rows[1]).getByRole('button', { name: 'Send test' }));
    expect(await within(rows[1]).findByRole('status')).toHaveTextContent('Test not delivered: HTTP 410');
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([
      '/v1/notifications/channels/c1/test',
      '/v1/notifications/channels/c2/test',
    ]);
  });

  it('adds a webhook channel, shows its secret once, and names a refused field', async () => {
    const items: NotificationChannel[] = [];
    const { calls } = mockApi({
      'GET /v1/notifications': () => json(200, settings),
      'GET /v1/notifications/channels': () => json(200, { items, nextCursor: null }),
      'POST /v1/notifications/channels': (c) => {
        const body = c.body as { kind: 'webhook'; url: string; minScore: number };
        if (body.url.includes('127.0.0.1'))
          return json(400, { error: { code: 'validation_failed', message: 'url: must not point at a private address', details: { url: 'must not point at a private address' } } });
        const created = channel('c9', { kind: body.kind, url: body.url, minScore: body.minScore });
        items.push(created);
        return json(201, { ...created, signingSecret: 'ab'.repeat(32) });
      },
    });
    render();
    expect(await screen.findByText('No channels yet.')).toBeInTheDocument();
    const form = screen.getByRole('form', { name: 'Add a channel' });
    await userEvent.selectOptions(within(form).getByLabelText('Kind'), 'webhook');
    await userEvent.type(within(form).getByLabelText('Channel URL'), 'https://127.0.0.1/hook');
    await userEvent.click(within(form).getByRole('button', { name: 'Add channel' }));
    expect(await within(form).findByText(/must not point at a private address/)).toBeInTheDocument();
    const url = within(form).getByLabelText('Channel URL');
    await userEvent.clear(url);
    await userEvent.type(url, 'https://hooks.example.com/in');
    await userEvent.click(within(form).getByRole('button', { name: 'Add channel' }));
    expect(await screen.findByTestId('signing-secret')).toHaveTextContent('ab'.repeat(32));
    expect(await screen.findAllByTestId('channel-row')).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'POST').at(-1)?.body).toEqual({ kind: 'webhook', url: 'https://hooks.example.com/in', minScore: 8 });
  });

  it('turns a channel off and removes it', async () => {
    const { calls } = mockApi({
      'GET /v1/notifications': () => json(200, settings),
      'GET /v1/notifications/channels': () => json(200, { items: [channel('c1')], nextCursor: null }),
      'PATCH /v1/notifications/channels/c1': (c) => json(200, { ...channel('c1'), ...(c.body as object) }),
      'DELETE /v1/notifications/channels/c1': () => json(204, undefined),
    });
    const confirm = vi.fn(() => true);
    vi.stubGlobal('confirm', confirm);
    render();
    const row = await screen.findByTestId('channel-row');
    await userEvent.click(within(row).getByRole('button', { name: 'Turn off' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ enabled: false }));
    await userEvent.click(within(row).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(calls.some((c) => c.method === 'DELETE' && c.path === '/v1/notifications/channels/c1')).toBe(true));
    expect(confirm).toHaveBeenCalledWith('Remove the Slack channel to https://hooks.example.com/c1? It gets no more messages.');
  });

  it('removes nothing unless the removal is confirmed', async () => {
    const { calls } = mockApi({
      'GET /v1/notifications': () => json(200, settings),
      'GET /v1/notifications/channels': () => json(200, { items: [channel('c1')], nextCursor: null }),
      'DELETE /v1/notifications/channels/c1': () => json(204, undefined),
    });
    const confirm = vi.fn(() => false);
    vi.stubGlobal('confirm', confirm);
    render();
    const row = await screen.findByTestId('channel-row');
    await userEvent.click(within(row).getByRole('button', { name: 'Remove' }));
    expect(confirm).toHaveBeenCalledTimes(1);
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    expect(screen.getByTestId('channel-row')).toBeInTheDocument();
  });

  it('puts a channel id into its URLs encoded', async () => {
    const { calls } = mockApi({
      'GET /v1/notifications': () => json(200, settings),
      'GET /v1/notifications/channels': () => json(200, { items: [channel('c/1?x')], nextCursor: null }),
      'POST /v1/notifications/channels/c%2F1%3Fx/test': () => json(200, { delivered: true }),
      'PATCH /v1/notifications/channels/c%2F1%3Fx': (c) => json(200, { ...channel('c/1?x'), ...(c.body as object) }),
      'DELETE /v1/notifications/channels/c%2F1%3Fx': () => json(204, undefined),
    });
    vi.stubGlobal('confirm', () => true);
    render();
    const row = await screen.findByTestId('channel-row');
    await userEvent.click(within(row).getByRole('button', { name: 'Send test' }));
    expect(await within(row).findByRole('status')).toHaveTextContent('Test message delivered.');
    await userEvent.click(within(row).getByRole('button', { name: 'Turn off' }));
    await userEvent.click(within(row).getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /v1/notifications/channels/c%2F1%3Fx/test',
      'PATCH /v1/notifications/channels/c%2F1%3Fx',
      'DELETE /v1/notifications/channels/c%2F1%3Fx',
    ]));
  });

  it('is not shown to members, who keep their own e-mail settings', async () => {
    const { calls } = mockApi({ 'GET /v1/notifications': () => json(200, settings) });
    render({ ...alice, user: { ...alice.user, role: 'member' } });
    expect(await screen.findByLabelText('E-mail me as soon as a good match is scored')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Team channels' })).not.toBeInTheDocument();
    expect(calls.map((c) => c.path)).toEqual(['/v1/notifications']);
  });

  it('a server without notifications shows an error, not a placeholder', async () => {
    mockApi({});
    render();
    expect(await screen.findByText('Could not load notification settings')).toBeInTheDocument();
  });
});
