import { describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ExportPart } from '../api/types';
import { session } from '../api/session';
import { alice, currentLocation, json, mockApi, renderPage } from '../test/utils';
import { AccountPage } from './AccountPage';
import { joinParts } from './account';

const part = (patch: Partial<ExportPart>): ExportPart => ({
  format: 'jobmon-export/1',
  exportedAt: '2026-11-30T10:00:00Z',
  members: [],
  sources: [],
  usage: [],
  notificationSettings: [],
  channels: [],
  jobs: [],
  nextCursor: null,
  ...patch,
});
const member = { ...alice, user: { ...alice.user, role: 'member' as const } };

describe('joinParts', () => {
  it('appends every list and keeps the one tenant and profile', () => {
    const archive = joinParts([
      part({ tenant: { name: 'Alice' }, members: [{ email: 'a@example.com' }], jobs: [{ id: 'j1' }], nextCursor: 'c1' }),
      part({ profile: { mustHave: [] }, jobs: [{ id: 'j2' }, { id: 'j3' }] }),
    ]);
    expect(archive.tenant).toEqual({ name: 'Alice' });
    expect(archive.profile).toEqual({ mustHave: [] });
    expect(archive.jobs.map((j) => j.id)).toEqual(['j1', 'j2', 'j3']);
    expect(archive.members).toHaveLength(1);
    expect(archive.parts).toBe(2);
    expect('nextCursor' in archive).toBe(false);
  });
});

describe('AccountPage', () => {
  it('exports every part, following the cursor, into one download', { timeout: 20_000 }, async () => {
    // jsdom has no object URLs: record the file instead.
    const files: Blob[] = [];
    const saved = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
    URL.createObjectURL = (blob: Blob) => {
      files.push(blob);
      return 'blob:export';
    };
    URL.revokeObjectURL = () => undefined;
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
    const { calls } = mockApi({
      'GET /v1/tenant/export': (c) =>
        c.query.get('cursor') === 'next'
          ? json(200, part({ jobs: [{ id: 'j2' }] }))
          : json(200, part({ tenant: { name: 'Alice' }, members: [{ email: 'alice@example.com' }], jobs: [{ id: 'j1' }], nextCursor: 'next' })),
    });
    renderPage(<AccountPage />, { route: '/account', path: '/account' });
    await userEvent.click(screen.getByRole('button', { name: 'Export data' }));
    expect(await screen.findByText('Exported 2 jobs and 1 members.')).toBeInTheDocument();
    expect(calls.map((c) => c.query.get('cursor'))).toEqual([null, 'next']);
    expect(click).toHaveBeenCalledOnce();
    const text = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result));
      reader.readAsText(files[0]);
    });
    const written = JSON.parse(text);
    expect(written.jobs).toEqual([{ id: 'j1' }, { id: 'j2' }]);
    click.mockRestore();
    URL.createObjectURL = saved.create;
    URL.revokeObjectURL = saved.revoke;
  });

  it('says when the daily export limit is reached', async () => {
    mockApi({ 'GET /v1/tenant/export': () => json(429, { error: { code: 'rate_limited', message: 'too many requests' } }, { 'retry-after': '3600' }) });
    renderPage(<AccountPage />, { route: '/account', path: '/account' });
    await userEvent.click(screen.getByRole('button', { name: 'Export data' }));
    expect(await screen.findByText('Three exports a day: try again tomorrow.')).toBeInTheDocument();
  });

  it('deletes the workspace only with the right password, then signs out', async () => {
    const { calls } = mockApi({
      'DELETE /v1/tenant': (c) =>
        (c.body as { password: string }).password === 'right one'
          ? json(202, { status: 'erasing', requestedAt: '2026-11-30T10:00:00Z' })
          : json(403, { error: { code: 'wrong_password', message: 'password: does not match your current password' } }),
      'POST /v1/auth/logout': () => json(204),
    });
    renderPage(<AccountPage />, { route: '/account', path: '/account' });
    const form = screen.getByRole('form', { name: 'Delete workspace' });
    await userEvent.click(within(form).getByRole('button', { name: 'Delete workspace' }));
    expect(within(form).getByText('Type your password to confirm.')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
    await userEvent.type(within(form).getByLabelText('Your password'), 'wrong');
    await userEvent.click(within(form).getByRole('button', { name: 'Delete workspace' }));
    expect(await within(form).findByText('This is not your password.')).toBeInTheDocument();
    expect(session.current).not.toBeNull();
    await userEvent.clear(within(form).getByLabelText('Your password'));
    await userEvent.type(within(form).getByLabelText('Your password'), 'right one');
    await userEvent.click(within(form).getByRole('button', { name: 'Delete workspace' }));
    await waitFor(() => expect(currentLocation()).toBe('/login'));
    expect(session.current).toBeNull();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.body)).toEqual([{ password: 'wrong' }, { password: 'right one' }]);
  });

  it('shows a member only "Delete my account", and explains a refusal', async () => {
    const { calls } = mockApi({
      'DELETE /v1/auth/me': () =>
        json(409, { error: { code: 'conflict', message: "you are the tenant's last admin: make another member admin first" } }),
    });
    renderPage(<AccountPage />, { route: '/account', path: '/account', as: member });
    expect(screen.queryByRole('button', { name: 'Export data' })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Delete workspace' })).toBeNull();
    const form = screen.getByRole('form', { name: 'Delete my account' });
    await userEvent.type(within(form).getByLabelText('Your password'), 'secret');
    await userEvent.click(within(form).getByRole('button', { name: 'Delete my account' }));
    expect(await screen.findByText(/last admin: make another member admin first/)).toBeInTheDocument();
    expect(calls[0]).toMatchObject({ method: 'DELETE', path: '/v1/auth/me', body: { password: 'secret' } });
    expect(session.current).not.toBeNull();
  });

  it('a member who deletes themself is signed out', async () => {
    mockApi({ 'DELETE /v1/auth/me': () => json(204), 'POST /v1/auth/logout': () => json(204) });
    renderPage(<AccountPage />, { route: '/account', path: '/account', as: member });
    const form = screen.getByRole('form', { name: 'Delete my account' });
    await userEvent.type(within(form).getByLabelText('Your password'), 'secret');
    await userEvent.click(within(form).getByRole('button', { name: 'Delete my account' }));
    await waitFor(() => expect(currentLocation()).toBe('/login'));
    expect(session.current).toBeNull();
  });
});
