import { describe, expect, it, vi } from 'vitest';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { JobCard } from '../api/types';
import { applyLiveMessage } from '../live/cache';
import { currentLocation, fakeViewport, json, mockApi, newQueryClient, renderPage } from '../test/utils';
import { JobsPage } from './JobsPage';
import { JobDetailPage, restoreTarget } from './JobDetailPage';
import { SourcesPage } from './SourcesPage';
import { StartPage } from './StartPage';
import { NotificationsPage } from './NotificationsPage';
import { MembersPage } from './MembersPage';
import { BillingPage } from './BillingPage';
import { ProfilePage } from './ProfilePage';
import { alice } from '../test/utils';
import { formatDate } from '../format';

const card = (id: string, patch: Partial<JobCard> = {}): JobCard => ({
  id,
  title: `Engineer ${id}`,
  company: 'Acme',
  location: 'Berlin',
  remote: false,
  url: `https://example.com/${id}`,
  sourceId: 's1',
  status: 'queued',
  createdAt: '2026-01-01T00:00:00Z',
  ...patch,
});
const sources = { items: [{ id: 's1', name: 'Acme board', kind: 'greenhouse', config: { board: 'acme' }, enabled: true, lastFetchedAt: null, lastError: null, nextFetchAt: null, jobsFound: 0 }], nextCursor: null };

describe('JobsPage list work', () => {
  function listApi(items: JobCard[]) {
    const state = new Map(items.map((j) => [j.id, j]));
    return mockApi({
      'GET /v1/sources': () => json(200, sources),
      'GET /v1/jobs': () => json(200, { items: [...state.values()].filter((j) => j.status !== 'archived'), nextCursor: null }),
      ...Object.fromEntries(
        items.map((j) => [
          `PATCH /v1/jobs/${j.id}`,
          (c: { body: unknown }) => {
            if (j.id === 'bad') return json(409, { error: { code: 'conflict', message: 'The job changed.' } });
            const next = { ...state.get(j.id)!, ...(c.body as object) };
            state.set(j.id, next);
            return json(200, next);
          },
        ]),
      ),
    });
  }

  it('archives the selected jobs in one action and says how many', async () => {
    const { calls } = listApi([card('a', { status: 'scored', score: 8 }), card('b'), card('c')]);
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    await screen.findAllByTestId('job-row');
    await userEvent.click(screen.getByLabelText('Select Engineer a'));
    await userEvent.click(screen.getByLabelText('Select Engineer c'));
    expect(screen.getByRole('region', { name: 'Bulk actions' })).toHaveTextContent('2 selected');
    await userEvent.click(within(screen.getByRole('region', { name: 'Bulk actions' })).getByRole('button', { name: 'Archive' }));
    expect(await screen.findByText('Archived 2 jobs.')).toBeInTheDocument();
    const patches = calls.filter((c) => c.method === 'PATCH');
    expect(patches.map((c) => [c.path, c.body])).toEqual([
      ['/v1/jobs/a', { status: 'archived' }],
      ['/v1/jobs/c', { status: 'archived' }],
    ]);
    await waitFor(() => expect(screen.getAllByTestId('job-row')).toHaveLength(1));
  });

  it('reports the jobs a bulk action could not move', async () => {
    listApi([card('a'), card('bad')]);
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    await screen.findAllByTestId('job-row');
    await userEvent.click(screen.getByLabelText('Select all shown jobs'));
    await userEvent.click(within(screen.getByRole('region', { name: 'Bulk actions' })).getByRole('button', { name: 'Archive' }));
    expect(await screen.findByText(/Archived 1 of 2 jobs; 1 could not be changed/)).toBeInTheDocument();
  });

  it('leaves the "Found" column out on a phone, and brings it back when the window widens', async () => {
    const viewport = fakeViewport(390);
    try {
      listApi([card('a'), card('b')]);
      renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
      await screen.findAllByTestId('job-row');
      expect(screen.queryByRole('columnheader', { name: 'Found' })).not.toBeInTheDocument();
      expect(screen.getAllByRole('cell').some((c) => c.textContent === formatDate('2026-01-01T00:00:00Z'))).toBe(false);
      act(() => viewport.resize(1024));
      expect(screen.getByRole('columnheader', { name: 'Found' })).toBeInTheDocument();
      expect(screen.getAllByRole('cell').filter((c) => c.textContent === formatDate('2026-01-01T00:00:00Z'))).toHaveLength(2);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('builds the filter fields on a phone only once "Filters" opens them', async () => {
    const viewport = fakeViewport(390);
    try {
      listApi([card('a')]);
      renderPage(<JobsPage />, { route: '/jobs?sort=score', path: '/jobs' });
      await screen.findAllByTestId('job-row');
      expect(screen.queryByLabelText('Sort by')).not.toBeInTheDocument();
      await userEvent.click(screen.getByRole('button', { name: 'Filters (on)' }));
      expect(screen.getByLabelText('Sort by')).toHaveValue('score');
      await userEvent.click(screen.getByRole('button', { name: 'Hide filters' }));
      expect(screen.queryByLabelText('Sort by')).not.toBeInTheDocument();
      // Where the filters show without the button, they are there from the start.
      act(() => viewport.resize(1024));
      expect(screen.getByLabelText('Sort by')).toHaveValue('score');
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('shows pay and work mode on each row, only when known', async () => {
    listApi([
      card('a', { workMode: 'hybrid', salary: { min: 65000, max: 80000, currency: 'EUR', interval: 'year' } }),
      card('b', { remote: true }),
      card('c', { workMode: 'onsite', salary: { min: null, max: 45, currency: 'GBP', interval: 'hour' } }),
    ]);
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    const [a, b, c] = await screen.findAllByTestId('job-row');
    expect(within(a).getByTestId('work-mode')).toHaveTextContent('Hybrid');
    expect(within(a).getByTestId('salary').textContent).toMatch(/€65K–€80K\/yr/);
    // An older card without a work mode still says remote; no pay, no pay line.
    expect(within(b).getByTestId('work-mode')).toHaveTextContent('Remote');
    expect(within(b).queryByTestId('salary')).not.toBeInTheDocument();
    expect(within(c).getByTestId('work-mode')).toHaveTextContent('On-site');
    expect(within(c).getByTestId('salary').textContent).toMatch(/up to £45\/h/);
  });

  it('sets the stage of the selected jobs, skipping those already there', async () => {
    const { calls } = listApi([card('a', { stage: 'applied' }), card('b'), card('c')]);
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    await screen.findAllByTestId('job-row');
    await userEvent.click(screen.getByLabelText('Select all shown jobs'));
    const bar = screen.getByRole('region', { name: 'Bulk actions' });
    await userEvent.selectOptions(within(bar).getByLabelText('Set stage of the selected jobs'), 'applied');
    expect(await screen.findByText('Moved to Applied: 2 jobs.')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => [c.path, c.body])).toEqual([
      ['/v1/jobs/b', { stage: 'applied' }],
      ['/v1/jobs/c', { stage: 'applied' }],
    ]);
    expect(screen.queryByRole('region', { name: 'Bulk actions' })).not.toBeInTheDocument();
  });

  it('moves with j/k, archives with a, focuses search with / and shows help with ?', async () => {
    const { calls } = listApi([card('a'), card('b'), card('c')]);
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    await screen.findAllByTestId('job-row');
    await userEvent.keyboard('jjk');
    expect(screen.getAllByTestId('job-row')[0]).toHaveAttribute('data-active', 'true');
    expect(screen.getByRole('link', { name: 'Engineer a' })).toHaveFocus();
    await userEvent.keyboard('j');
    await userEvent.keyboard('a');
    expect(await screen.findByText('Archived 1 job.')).toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.path)).toEqual(['/v1/jobs/b']);
    await userEvent.keyboard('/');
    expect(screen.getByRole('searchbox')).toHaveFocus();
    // Typing in the search box is not a shortcut.
    await userEvent.keyboard('ja');
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
    (document.activeElement as HTMLElement).blur();
    await userEvent.keyboard('?');
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeInTheDocument();
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('opens the job under the cursor with o', async () => {
    listApi([card('a'), card('b')]);
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    await screen.findAllByTestId('job-row');
    await userEvent.keyboard('jjo');
    await waitFor(() => expect(currentLocation()).toBe('/jobs/b'));
  });
});

describe('JobsPage', () => {
  it('sends the URL’s filters, shows rows with badges and pages with the cursor', async () => {
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, sources),
      'GET /v1/jobs': (c) =>
        c.query.get('cursor') === 'next1'
          ? json(200, { items: [card('c', { status: 'failed' })], nextCursor: null })
          : json(200, { items: [card('a', { status: 'scored', score: 9 }), card('b')], nextCursor: 'next1' }),
    });
    renderPage(<JobsPage />, { route: '/jobs?minScore=5&sort=score&q=rust', path: '/jobs' });
    const rows = await screen.findAllByTestId('job-row');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]).getByLabelText('score 9 out of 10')).toHaveAttribute('data-tone', 'high');
    expect(within(rows[1]).getByText('Scoring…')).toBeInTheDocument();
    const q = calls.find((c) => c.path === '/v1/jobs')!.query;
    expect(Object.fromEntries(q)).toEqual({ minScore: '5', sort: 'score', q: 'rust', limit: '25' });
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(screen.getAllByTestId('job-row')).toHaveLength(3));
    expect(calls.filter((c) => c.path === '/v1/jobs').at(-1)!.query.get('cursor')).toBe('next1');
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('keeps a changed filter in the URL', async () => {
    mockApi({ 'GET /v1/sources': () => json(200, sources), 'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }) });
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    await userEvent.selectOptions(screen.getByLabelText('Status'), 'failed');
    await userEvent.selectOptions(await screen.findByLabelText('Source'), 's1');
    expect(currentLocation()).toBe('/jobs?status=failed&sourceId=s1');
    expect(await screen.findByText('No jobs match these filters')).toBeInTheDocument();
  });

  it('writes the search words to the URL once typing stops, keeping the other filters', async () => {
    const { calls } = mockApi({ 'GET /v1/sources': () => json(200, sources), 'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }) });
    renderPage(<JobsPage />, { route: '/jobs?status=failed', path: '/jobs' });
    await userEvent.type(screen.getByPlaceholderText('Title, company, place, words…'), 'rust');
    await waitFor(() => expect(currentLocation()).toBe('/jobs?status=failed&q=rust'));
    await waitFor(() => expect(calls.filter((c) => c.path === '/v1/jobs').at(-1)!.query.get('q')).toBe('rust'));
    expect(screen.getByPlaceholderText('Title, company, place, words…')).toHaveValue('rust');
  });

  it('does not send an impossible score range and says why', async () => {
    const { calls } = mockApi({ 'GET /v1/sources': () => json(200, sources), 'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }) });
    renderPage(<JobsPage />, { route: '/jobs?minScore=9&maxScore=2', path: '/jobs' });
    expect(screen.getByLabelText('Max score')).toHaveAccessibleDescription('The maximum score must not be below the minimum.');
    await screen.findByRole('option', { name: 'Acme board' });
    expect(calls.some((c) => c.path === '/v1/jobs')).toBe(false);
  });

  it('shows an empty state that leads to sources, and an error state with retry', async () => {
    let fail = true;
    mockApi({
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs': () => (fail ? json(500, { error: { code: 'internal', message: 'internal error' } }) : json(200, { items: [], nextCursor: null })),
    });
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    expect(await screen.findByText('Something went wrong on our side. Please try again in a moment.')).toBeInTheDocument();
    fail = false;
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('No jobs yet')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Sources' })).toHaveAttribute('href', '/sources');
  });

  it('shows a live score in its row without reloading the list', async () => {
    const { calls } = mockApi({ 'GET /v1/sources': () => json(200, sources), 'GET /v1/jobs': () => json(200, { items: [card('a')], nextCursor: null }) });
    const { client } = renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    const row = await screen.findByTestId('job-row');
    expect(within(row).getByLabelText('not scored yet')).toBeInTheDocument();
    const before = calls.length;
    act(() => void applyLiveMessage(client, { type: 'job_scored', data: card('a', { status: 'scored', score: 4 }) }));
    await waitFor(() => expect(within(screen.getByTestId('job-row')).getByLabelText('score 4 out of 10')).toBeInTheDocument());
    expect(await screen.findByText('Scored', { selector: 'span' })).toBeInTheDocument();
    expect(calls.length).toBe(before);
  });

  it('"Fetch now" asks for a fetch and says so', async () => {
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, sources),
      'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }),
      'POST /v1/jobs/fetch': () => json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '120' }),
    });
    renderPage(<JobsPage />, { route: '/jobs', path: '/jobs' });
    await userEvent.click(screen.getByRole('button', { name: 'Fetch now' }));
    expect(await screen.findByText('Too many requests. Please wait 2 minutes and try again.')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({});
  });
});

describe('JobDetailPage', () => {
  const job = { ...card('a', { status: 'scored', score: 7 }), description: 'Build Rust services.', reason: 'Rust matches.', history: [{ score: 7, reason: 'Rust matches.', scorer: 'profile', createdAt: '2026-01-02T00:00:00Z' }], tracking: [] };

  it('shows the description, reason and history, and archives', async () => {
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, sources),
      'GET /v1/jobs/a': () => json(200, job),
      'PATCH /v1/jobs/a': () => json(200, { ...job, status: 'archived' }),
    });
    renderPage(<JobDetailPage />, { route: '/jobs/a', path: '/jobs/:id' });
    expect(await screen.findByRole('heading', { name: 'Engineer a' })).toBeInTheDocument();
    expect(screen.getByText('Build Rust services.')).toBeInTheDocument();
    expect(within(screen.getByTestId('history')).getByText(/profile/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Archive' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ status: 'archived' }));
  });

  it('answers a missing job with a clear empty state', async () => {
    mockApi({ 'GET /v1/sources': () => json(200, sources) });
    renderPage(<JobDetailPage />, { route: '/jobs/zz', path: '/jobs/:id' });
    expect(await screen.findByText('This job does not exist')).toBeInTheDocument();
  });

  it('restores to scored only when the job has a score', () => {
    expect(restoreTarget(card('a', { status: 'archived', score: 5 }))).toBe('scored');
    expect(restoreTarget(card('a', { status: 'archived' }))).toBe('new');
  });
});

describe('SourcesPage', () => {
  it('validates a new source, then shows the API’s config error next to its field', async () => {
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'POST /v1/sources': () => json(400, { error: { code: 'validation_failed', message: 'invalid', details: { 'config.url': 'resolves to a private address' } } }),
    });
    renderPage(<SourcesPage />, { route: '/sources', path: '/sources' });
    expect(await screen.findByText('No sources yet')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Add source' }));
    await userEvent.click(screen.getByRole('button', { name: 'Enter the details yourself' }));
    await userEvent.selectOptions(screen.getByLabelText('Kind'), 'rss');
    await userEvent.type(screen.getByLabelText('Feed address'), 'not a url');
    const submit = screen.getAllByRole('button', { name: 'Add source' }).at(-1)!;
    await userEvent.click(submit);
    expect(screen.getByLabelText('Name')).toHaveAccessibleDescription('Enter a name.');
    expect(screen.getByLabelText('Feed address')).toHaveAccessibleDescription('Enter a full address, starting with https://');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
    await userEvent.type(screen.getByLabelText('Name'), 'Blog');
    await userEvent.clear(screen.getByLabelText('Feed address'));
    await userEvent.type(screen.getByLabelText('Feed address'), 'http://10.0.0.1/feed');
    await userEvent.click(submit);
    await waitFor(() => expect(screen.getByLabelText('Feed address')).toHaveAccessibleDescription('Resolves to a private address'));
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ name: 'Blog', kind: 'rss', config: { url: 'http://10.0.0.1/feed' } });
  });

  it('adds a source from a pasted careers URL, with a preview first', async () => {
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'POST /v1/sources/detect': (c) =>
        (c.body as { url: string }).url.includes('greenhouse')
          ? json(200, {
              kind: 'greenhouse',
              config: { board: 'acme' },
              name: 'Acme (Greenhouse)',
              preview: { items: [{ nativeId: '1', title: 'Rust Engineer', company: 'Acme', location: 'Berlin', remote: false, url: 'https://x/1', descriptionText: '' }], error: null },
            })
          : json(400, { error: { code: 'validation_failed', message: 'url: no job board', details: { url: 'no job board or feed was found at this page; add the source with its board name instead' } } }),
      'POST /v1/sources': (c) => json(201, { ...sources.items[0], ...(c.body as object) }),
    });
    renderPage(<SourcesPage />, { route: '/sources', path: '/sources' });
    await userEvent.click(await screen.findByRole('button', { name: 'Add source' }));
    const field = screen.getByLabelText('Careers page or job board URL');
    await userEvent.click(screen.getByRole('button', { name: 'Find source' }));
    expect(field).toHaveAccessibleDescription(/Enter the address of a careers page/);
    await userEvent.type(field, 'https://acme.com/about');
    await userEvent.click(screen.getByRole('button', { name: 'Find source' }));
    await waitFor(() => expect(field).toHaveAccessibleDescription(/No job board or feed was found at this page/));
    await userEvent.clear(field);
    await userEvent.type(field, 'https://boards.greenhouse.io/acme');
    await userEvent.click(screen.getByRole('button', { name: 'Find source' }));
    const found = await screen.findByRole('region', { name: 'Found source' });
    expect(found).toHaveTextContent('Found a Greenhouse source (acme)');
    expect(within(found).getByTestId('preview')).toHaveTextContent('Rust Engineer');
    expect(within(found).getByLabelText('Name')).toHaveValue('Acme (Greenhouse)');
    expect(calls.some((c) => c.path === '/v1/sources' && c.method === 'POST')).toBe(false);
    await userEvent.click(within(found).getByRole('button', { name: 'Add source' }));
    await waitFor(() => expect(calls.some((c) => c.path === '/v1/sources' && c.method === 'POST')).toBe(true));
    expect(calls.find((c) => c.path === '/v1/sources' && c.method === 'POST')!.body).toEqual({ name: 'Acme (Greenhouse)', kind: 'greenhouse', config: { board: 'acme' } });
  });

  it('falls back to the manual fields, prefilled with what was found', async () => {
    mockApi({
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'POST /v1/sources/detect': () => json(200, { kind: 'lever', config: { site: 'acme', region: 'eu' }, name: 'Acme (Lever)', preview: { items: [], error: null } }),
    });
    renderPage(<SourcesPage />, { route: '/sources', path: '/sources' });
    await userEvent.click(await screen.findByRole('button', { name: 'Add source' }));
    await userEvent.type(screen.getByLabelText('Careers page or job board URL'), 'https://jobs.eu.lever.co/acme');
    await userEvent.click(screen.getByRole('button', { name: 'Find source' }));
    await screen.findByRole('region', { name: 'Found source' });
    await userEvent.click(screen.getByRole('button', { name: 'Enter the details yourself' }));
    expect(screen.getByLabelText('Kind')).toHaveValue('lever');
    expect(screen.getByLabelText('Site')).toHaveValue('acme');
    expect(screen.getByLabelText('Name')).toHaveValue('Acme (Lever)');
  });

  it('shows a source’s last error, previews it and disables it', async () => {
    const broken = { ...sources.items[0], lastError: 'The board “acme” does not exist at Greenhouse.' };
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, { items: [broken], nextCursor: null }),
      'POST /v1/sources/s1/preview': () => json(200, { items: [{ nativeId: '1', title: 'Rust Engineer', company: 'Acme', location: 'Berlin', remote: false, url: 'https://x/1', descriptionText: '' }], error: null }),
      'PATCH /v1/sources/s1': () => json(200, { ...broken, enabled: false }),
    });
    renderPage(<SourcesPage />, { route: '/sources', path: '/sources' });
    expect(await screen.findByText(/Last fetch failed: The board “acme” does not exist/)).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Preview' }));
    expect(await screen.findByRole('link', { name: 'Rust Engineer' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ enabled: false }));
  });
});

describe('other pages', () => {
  it('Notifications loads and saves the member settings in the API shape', async () => {
    const settings = {
      email: { instant: { enabled: false, minScore: 8 }, digest: { enabled: false, hour: 8, timeZone: 'UTC' } },
    };
    const { calls } = mockApi({
      'GET /v1/notifications': () => json(200, settings),
      'PUT /v1/notifications': (c) => json(200, c.body),
    });
    renderPage(<NotificationsPage />, { route: '/notifications', path: '/notifications' });
    await userEvent.click(await screen.findByLabelText('E-mail me as soon as a good match is scored'));
    const zone = screen.getByLabelText('Time zone');
    await userEvent.clear(zone);
    await userEvent.type(zone, 'Europe/Berlin');
    await userEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() =>
      expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({
        email: { instant: { enabled: true, minScore: 8 }, digest: { enabled: false, hour: 8, timeZone: 'Europe/Berlin' } },
      }),
    );
  });

  it('Members is for admins only', async () => {
    const { calls } = mockApi({});
    renderPage(<MembersPage />, { route: '/members', path: '/members', as: { ...alice, user: { ...alice.user, role: 'member' } } });
    expect(screen.getByText('Only admins can see this page')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });

  it('Members explains the last-admin rule', async () => {
    mockApi({
      'GET /v1/tenant/members': () => json(200, { items: [alice.user], nextCursor: null }),
      'PATCH /v1/tenant/members/u1': () => json(409, { error: { code: 'conflict', message: 'the last admin cannot be demoted' } }),
    });
    renderPage(<MembersPage />, { route: '/members', path: '/members' });
    await userEvent.selectOptions(await screen.findByLabelText('Role of alice@example.com'), 'member');
    expect(await screen.findByText(/needs at least one admin/)).toBeInTheDocument();
  });

  it('Billing shows the plan, a usage meter and an upgrade button', async () => {
    const { calls } = mockApi({
      'GET /v1/billing': () =>
        json(200, {
          plan: 'free',
          subscriptionStatus: 'none',
          usage: { period: '2026-01', scoredJobs: 45, limit: 50 },
          plans: [
            { id: 'free', name: 'Free', monthlyScoredJobs: 50, maxSources: 3, fetchIntervalMinutes: 1440, maxMembers: 3 },
            { id: 'pro', name: 'Pro', monthlyScoredJobs: 1000, maxSources: 25, fetchIntervalMinutes: 60, maxMembers: 10, priceId: 'price_1' },
          ],
        }),
      'POST /v1/billing/checkout': () => json(403, { error: { code: 'forbidden', message: 'admin only' } }),
    });
    renderPage(<BillingPage />, { route: '/billing', path: '/billing' });
    expect(await screen.findByRole('meter', { name: 'Scored jobs this month' })).toHaveAttribute('aria-valuenow', '45');
    expect(screen.getByTestId('plan')).toHaveTextContent('Free');
    await userEvent.click(screen.getByRole('button', { name: 'Upgrade to Pro' }));
    expect(await screen.findByText('Only an admin of your team can do this.')).toBeInTheDocument();
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({ plan: 'pro' });
  });
});

describe('ProfilePage', () => {
  it('sends the currency and shows the warnings the save answers with', async () => {
    const empty = { summary: '', mustHave: [], niceToHave: [], avoid: [], titles: [], locations: [], remote: 'any' };
    const { calls } = mockApi({
      'GET /v1/profile': () => json(200, empty),
      'PUT /v1/profile': (c) =>
        json(200, {
          ...(c.body as object),
          warnings: [{ field: 'mustHave[0]', term: 'Kubernets', message: "'Kubernets' appears in none of your 50 recent jobs." }],
        }),
      'POST /v1/profile/preview': () => json(200, { jobs: [], warnings: [] }),
    });
    renderPage(<ProfilePage />, { route: '/profile', path: '/profile' });
    await userEvent.type(await screen.findByLabelText(/Must have/), 'Kubernets');
    await userEvent.type(screen.getByLabelText(/Minimum yearly salary/), '85000');
    await userEvent.type(screen.getByLabelText(/Salary currency/), 'eur');
    await userEvent.click(screen.getByRole('button', { name: 'Save profile' }));
    expect(await within(screen.getByTestId('saved-warnings')).findByTestId('profile-warnings')).toHaveTextContent("'Kubernets' appears in none of your 50 recent jobs.");
    const put = calls.find((c) => c.method === 'PUT' && c.path === '/v1/profile')!;
    expect(put.body).toMatchObject({ mustHave: ['Kubernets'], minSalary: 85000, salaryCurrency: 'EUR' });
  });
});

describe('ProfilePage live preview', () => {
  it('previews the draft once typing pauses and shows its scores and warnings', async () => {
    const profile = { summary: '', mustHave: ['rust'], niceToHave: [], avoid: [], titles: [], locations: [], remote: 'any' };
    const { calls } = mockApi({
      'GET /v1/profile': () => json(200, profile),
      'POST /v1/profile/preview': (c) => {
        const draft = c.body as { mustHave: string[] };
        const strict = draft.mustHave.includes('kubernets');
        return json(200, {
          jobs: [
            { id: 'j1', title: 'Rust Engineer', company: 'Acme', currentScore: 8, previewScore: strict ? 3 : 8, reason: strict ? 'Missing must-have: kubernets.' : 'Meets every must-have.' },
            { id: 'j2', title: 'Go Engineer', company: 'Beta', previewScore: 2, reason: 'Missing must-have: rust.' },
          ],
          warnings: strict ? [{ field: 'mustHave[1]', term: 'kubernets', message: "'kubernets' appears in none of your 12 recent jobs." }] : [],
        });
      },
    });
    renderPage(<ProfilePage />, { route: '/profile', path: '/profile' });
    const previews = () => calls.filter((c) => c.method === 'POST' && c.path === '/v1/profile/preview');
    // The saved profile is previewed once on open.
    await waitFor(() => expect(screen.getAllByTestId('preview-row')).toHaveLength(2));
    expect(previews()).toHaveLength(1);
    expect(screen.getAllByTestId('preview-row')[0]).toHaveTextContent('Meets every must-have.');

    // Typing a term sends one preview after the pause, not one per keystroke.
    const mustHave = screen.getByLabelText(/Must have/);
    await userEvent.type(mustHave, ', kubernets');
    await waitFor(() => expect(screen.getAllByTestId('preview-row')[0]).toHaveTextContent('Missing must-have: kubernets.'));
    expect(previews()).toHaveLength(2);
    expect(previews()[1].body).toMatchObject({ mustHave: ['rust', 'kubernets'] });
    expect(screen.getAllByTestId('preview-row')[0]).toHaveTextContent('-5');
    expect(screen.getByTestId('profile-warnings')).toHaveTextContent("'kubernets' appears in none of your 12 recent jobs.");
    // Nothing is saved by a preview.
    expect(calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it('asks for a fresh preview each time the page opens, since jobs arrive between visits', async () => {
    let jobs: { id: string; title: string; company: string; previewScore: number; reason: string }[] = [];
    const { calls } = mockApi({
      'GET /v1/profile': () => json(200, { summary: '', mustHave: [], niceToHave: [], avoid: [], titles: [], locations: [], remote: 'any' }),
      'POST /v1/profile/preview': () => json(200, { jobs, warnings: [] }),
    });
    // One client for both visits, as in the app: its cache outlives the page.
    const client = newQueryClient();
    const first = renderPage(<ProfilePage />, { route: '/profile', path: '/profile', client });
    await screen.findByText(/No jobs yet/);
    first.unmount();
    jobs = [{ id: 'j1', title: 'Rust Engineer', company: 'Acme', previewScore: 8, reason: 'Meets every must-have.' }];
    renderPage(<ProfilePage />, { route: '/profile', path: '/profile', client });
    await waitFor(() => expect(screen.getAllByTestId('preview-row')).toHaveLength(1));
    expect(calls.filter((c) => c.path === '/v1/profile/preview')).toHaveLength(2);
  });

  it('asks for no preview while the form has errors of its own', async () => {
    const { calls } = mockApi({
      'GET /v1/profile': () => json(200, { summary: '', mustHave: [], niceToHave: [], avoid: [], titles: [], locations: [], remote: 'any' }),
      'POST /v1/profile/preview': () => json(200, { jobs: [], warnings: [] }),
    });
    renderPage(<ProfilePage />, { route: '/profile', path: '/profile' });
    await screen.findByText(/No jobs yet/);
    await userEvent.type(screen.getByLabelText(/Salary currency/), 'EU');
    await new Promise((r) => setTimeout(r, 600));
    expect(calls.filter((c) => c.path === '/v1/profile/preview')).toHaveLength(1);
  });
});

describe('StartPage', () => {
  it('shows the three steps, which are done, and fetches', async () => {
    const { calls } = mockApi({
      'GET /v1/profile': () => json(200, { titles: ['Rust Engineer'], mustHave: [], niceToHave: [], avoid: [], locations: [], remote: 'any' }),
      'GET /v1/sources': () => json(200, sources),
      'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }),
      'POST /v1/jobs/fetch': () => json(202, { queuedSources: 1 }),
    });
    renderPage(<StartPage />, { route: '/start', path: '/start' });
    await waitFor(() => expect(screen.getAllByTestId('start-step').map((s) => s.hasAttribute('data-done'))).toEqual([true, true, false]));
    expect(screen.getByRole('link', { name: 'Manage your 1 source' })).toHaveAttribute('href', '/sources');
    await userEvent.click(screen.getByRole('button', { name: 'Fetch now' }));
    expect(await screen.findByText(/Fetching 1 source/)).toBeInTheDocument();
    expect(calls.some((c) => c.method === 'POST' && c.path === '/v1/jobs/fetch')).toBe(true);
  });

  it('cannot fetch before there is a source', async () => {
    mockApi({
      'GET /v1/profile': () => json(200, { titles: [], mustHave: [], niceToHave: [], avoid: [], locations: [], remote: 'any' }),
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs': () => json(200, { items: [], nextCursor: null }),
    });
    renderPage(<StartPage />, { route: '/start', path: '/start' });
    expect(await screen.findByRole('link', { name: 'Add a source' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Write your profile' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Fetch now' })).toBeDisabled());
    expect(screen.getAllByTestId('start-step').every((s) => !s.hasAttribute('data-done'))).toBe(true);
  });
});
