import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Job, JobCard } from '../api/types';
import { json, mockApi, renderPage } from '../test/utils';
import { replaceCard } from '../live/cache';
import { keys } from '../api/keys';
import { BoardPage } from './BoardPage';
import { COLUMN_MAX_READS } from './boardColumn';
import { JobDetailPage } from './JobDetailPage';

const card = (id: string, patch: Partial<JobCard> = {}): JobCard => ({
  id,
  title: `Engineer ${id}`,
  company: 'Acme',
  location: 'Berlin',
  remote: false,
  url: `https://example.com/${id}`,
  sourceId: 's1',
  status: 'scored',
  score: 8,
  createdAt: '2026-01-01T00:00:00Z',
  ...patch,
});

/** A server that keeps the stages it is told and lists by `?stage=`. */
function boardApi(items: JobCard[]) {
  const state = new Map(items.map((j) => [j.id, j]));
  return mockApi({
    'GET /v1/jobs': (c: { query: URLSearchParams }) =>
      json(200, { items: [...state.values()].filter((j) => j.stage === c.query.get('stage')), nextCursor: null }),
    ...Object.fromEntries(
      items.map((j) => [
        `PATCH /v1/jobs/${j.id}`,
        (c: { body: unknown }) => {
          const next = { ...state.get(j.id)!, ...(c.body as object) };
          state.set(j.id, next);
          return json(200, next);
        },
      ]),
    ),
  });
}

describe('BoardPage', () => {
  it('shows its title and how-to while the columns are still loading', async () => {
    const waiting: ((r: Response) => void)[] = [];
    mockApi({ 'GET /v1/jobs': () => new Promise<Response>((resolve) => waiting.push(resolve)) });
    renderPage(<BoardPage />, { route: '/board' });
    expect(screen.getByRole('heading', { level: 1, name: 'Board' })).toBeInTheDocument();
    expect(screen.getByText(/drag the card onto another column/)).toBeInTheDocument();
    expect(screen.getByText('Loading the board…')).toBeInTheDocument();
    await waitFor(() => expect(waiting).toHaveLength(6));
    for (const answer of waiting) answer(json(500, { error: { code: 'internal', message: 'Try again later.' } }));
    expect(await screen.findByText('Could not load the board')).toBeInTheDocument();
    expect(screen.getByRole('heading', { level: 1, name: 'Board' })).toBeInTheDocument();
  });

  it('shows a column per stage with its jobs', async () => {
    boardApi([card('a', { stage: 'saved' }), card('b', { stage: 'interviewing' })]);
    renderPage(<BoardPage />, { route: '/board', path: '/board' });
    const saved = await screen.findByTestId('column-saved');
    // Titled like its entry in the navigation.
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Board');
    expect(within(saved).getByText('Engineer a')).toBeInTheDocument();
    expect(within(screen.getByTestId('column-interviewing')).getByText('Engineer b')).toBeInTheDocument();
    expect(within(screen.getByTestId('column-offer')).queryAllByTestId('board-card')).toHaveLength(0);
  });

  it('moves a job with the keyboard-reachable select', async () => {
    const { calls } = boardApi([card('a', { stage: 'saved' })]);
    renderPage(<BoardPage />, { route: '/board', path: '/board' });
    const select = await screen.findByLabelText('Move Engineer a to');
    await userEvent.selectOptions(select, 'applied');
    await waitFor(() => expect(within(screen.getByTestId('column-applied')).getByText('Engineer a')).toBeInTheDocument());
    const patch = calls.find((c) => c.method === 'PATCH');
    expect(patch?.path).toBe('/v1/jobs/a');
    expect(patch?.body).toEqual({ stage: 'applied' });
    expect(within(screen.getByTestId('column-saved')).queryByText('Engineer a')).not.toBeInTheDocument();
  });

  it('moves a job dropped on another column', async () => {
    const { calls } = boardApi([card('a', { stage: 'applied' })]);
    renderPage(<BoardPage />, { route: '/board', path: '/board' });
    const dragged = await screen.findByTestId('board-card');
    const data = new Map<string, string>();
    const dataTransfer = { setData: (k: string, v: string) => data.set(k, v), getData: (k: string) => data.get(k) ?? '' };
    fireEvent.dragStart(dragged, { dataTransfer });
    fireEvent.dragOver(screen.getByTestId('column-interviewing'), { dataTransfer });
    fireEvent.drop(screen.getByTestId('column-interviewing'), { dataTransfer });
    await waitFor(() => expect(within(screen.getByTestId('column-interviewing')).getByText('Engineer a')).toBeInTheDocument());
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ stage: 'interviewing' });
  });
});

/**
 * A server that lists like the API's stage filter: each request reads at most `window` jobs
 * of the whole list (tracked or not) after the cursor and answers those at the stage, up to
 * `limit`, with a cursor while the list goes on — so pages come back short, even empty.
 */
function indexReadApi(all: JobCard[], window: number) {
  return mockApi({
    'GET /v1/jobs': (c: { query: URLSearchParams }) => {
      const limit = Number(c.query.get('limit'));
      let at = Number(c.query.get('cursor') ?? 0);
      const end = Math.min(at + window, all.length);
      const items: JobCard[] = [];
      for (; at < end && items.length < limit; at++) {
        if (all[at].stage === c.query.get('stage')) items.push(all[at]);
      }
      return json(200, { items, nextCursor: at < all.length ? String(at) : null });
    },
  });
}

const jobsGets = (calls: { method: string; path: string; query: URLSearchParams }[], stage: string) =>
  calls.filter((c) => c.method === 'GET' && c.path === '/v1/jobs' && c.query.get('stage') === stage);

describe('BoardPage paging', () => {
  it('follows nextCursor through short pages until a column holds 100, and says more remain', async () => {
    // 250 saved jobs, each after two untracked ones: a 50-job read finds 16 or 17.
    const all = Array.from({ length: 750 }, (_, i) => card(`j${i}`, i % 3 === 2 ? { stage: 'saved' } : {}));
    const { calls } = indexReadApi(all, 50);
    renderPage(<BoardPage />, { route: '/board', path: '/board' });
    const saved = await screen.findByTestId('column-saved');
    expect(within(saved).getAllByTestId('board-card')).toHaveLength(100);
    expect(within(saved).getByRole('heading')).toHaveTextContent('Saved (100+)');
    expect(within(saved).getByRole('link', { name: 'All saved jobs' })).toHaveAttribute('href', '/jobs?stage=saved');
    const gets = jobsGets(calls, 'saved');
    expect(gets.length).toBe(6);
    // Each request continues from the previous answer and asks only for what is missing.
    expect(gets.map((c) => c.query.get('cursor'))).toEqual([null, '50', '100', '150', '200', '250']);
    expect(gets.map((c) => Number(c.query.get('limit')))).toEqual([100, 84, 67, 50, 34, 17]);
    // The board's first 100 are the list's first 100 at that stage, in its order.
    expect(within(saved).getAllByRole('link', { name: /^Engineer/ })[99]).toHaveTextContent('Engineer j299');
  });

  it('reads to the end of a list with empty pages and shows a column without "+"', async () => {
    const all = Array.from({ length: 200 }, (_, i) => card(`j${i}`, i % 40 === 0 ? { stage: 'offer' } : {}));
    const { calls } = indexReadApi(all, 16);
    renderPage(<BoardPage />, { route: '/board', path: '/board' });
    const offer = await screen.findByTestId('column-offer');
    expect(within(offer).getAllByTestId('board-card')).toHaveLength(5);
    expect(within(offer).getByRole('heading')).toHaveTextContent('Offer (5)');
    expect(within(offer).queryByRole('link', { name: 'All offer jobs' })).not.toBeInTheDocument();
    expect(jobsGets(calls, 'offer').length).toBe(13);
    expect(within(screen.getByTestId('column-saved')).getByRole('heading')).toHaveTextContent('Saved (0)');
  });

  it('stops after COLUMN_MAX_READS requests on a list that goes on, and says so', async () => {
    const all = Array.from({ length: 5000 }, (_, i) => card(`j${i}`, i === 4999 ? { stage: 'applied' } : {}));
    const { calls } = indexReadApi(all, 100);
    renderPage(<BoardPage />, { route: '/board', path: '/board' });
    const applied = await screen.findByTestId('column-applied');
    expect(jobsGets(calls, 'applied').length).toBe(COLUMN_MAX_READS);
    expect(within(applied).getByRole('heading')).toHaveTextContent('Applied (0+)');
    expect(within(applied).getByRole('link', { name: 'All applied jobs' })).toBeInTheDocument();
  });

  it('replaces a card on a live update like any job list', async () => {
    boardApi([card('a', { stage: 'saved' })]);
    const { client } = renderPage(<BoardPage />, { route: '/board', path: '/board' });
    await screen.findByText('Engineer a');
    expect(replaceCard(client, card('a', { stage: 'saved', title: 'Principal a' }))).toBe(true);
    expect(await screen.findByText('Principal a')).toBeInTheDocument();
  });
});

describe('setting a stage (useSetStage)', () => {
  it('from the board, reads the moved job\'s page again as well as every list', async () => {
    boardApi([card('a', { stage: 'saved' })]);
    const { client } = renderPage(<BoardPage />, { route: '/board', path: '/board' });
    // The job's page and the jobs list were opened earlier and are still cached.
    client.setQueryData(keys.job('a'), { ...card('a', { stage: 'saved' }), description: '', history: [], tracking: [] });
    client.setQueryData(keys.jobList({}), { pages: [{ items: [card('a', { stage: 'saved' })], nextCursor: null }], pageParams: [undefined] });
    await userEvent.selectOptions(await screen.findByLabelText('Move Engineer a to'), 'offer');
    expect(await screen.findByText('Engineer a moved to Offer.')).toBeInTheDocument();
    await waitFor(() => expect(client.getQueryState(keys.job('a'))?.isInvalidated).toBe(true));
    expect(client.getQueryState(keys.jobList({}))?.isInvalidated).toBe(true);
    // What a stage does not change is left alone.
    client.setQueryData(keys.anyJob, { items: [], nextCursor: null });
    await userEvent.selectOptions(await screen.findByLabelText('Move Engineer a to'), 'saved');
    expect(await screen.findByText('Engineer a moved to Saved.')).toBeInTheDocument();
    expect(client.getQueryState(keys.anyJob)?.isInvalidated).toBe(false);
  });

  it('from the job\'s page, reads the board\'s columns again', async () => {
    let job: Job = { ...card('a'), description: '', history: [], tracking: [] };
    mockApi({
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs/a': () => json(200, job),
      'PATCH /v1/jobs/a': (c: { body: unknown }) => {
        job = { ...job, ...(c.body as object) };
        return json(200, job);
      },
    });
    const { client } = renderPage(<JobDetailPage />, { route: '/jobs/a', path: '/jobs/:id' });
    client.setQueryData(keys.boardColumn('interviewing'), { pages: [{ items: [], nextCursor: null }], pageParams: [undefined] });
    await userEvent.selectOptions(await screen.findByLabelText('Stage'), 'interviewing');
    expect(await screen.findByText('Stage set to Interviewing.')).toBeInTheDocument();
    await waitFor(() => expect(client.getQueryState(keys.boardColumn('interviewing'))?.isInvalidated).toBe(true));
  });

  it('says the job changed on a 409 and reads the column again to show where it stands', async () => {
    let stage: JobCard['stage'] = 'saved';
    const { calls } = mockApi({
      'GET /v1/jobs': (c: { query: URLSearchParams }) =>
        json(200, { items: c.query.get('stage') === stage ? [card('a', { stage })] : [], nextCursor: null }),
      'PATCH /v1/jobs/a': () => {
        // Someone else moved it to "rejected" first.
        stage = 'rejected';
        return json(409, { error: { code: 'conflict', message: 'The job changed.' } });
      },
    });
    renderPage(<BoardPage />, { route: '/board', path: '/board' });
    await userEvent.selectOptions(await screen.findByLabelText('Move Engineer a to'), 'offer');
    expect(await screen.findByText('The job changed in the meantime; the board now shows where it stands.')).toBeInTheDocument();
    await waitFor(() => expect(within(screen.getByTestId('column-rejected')).getByText('Engineer a')).toBeInTheDocument());
    expect(within(screen.getByTestId('column-saved')).queryByText('Engineer a')).not.toBeInTheDocument();
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });
});

describe('JobDetailPage tracking', () => {
  it('sets the stage, adds a note and shows the history', async () => {
    let job: Job = { ...card('a'), description: 'Rust', history: [], tracking: [] };
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs/a': () => json(200, job),
      'PATCH /v1/jobs/a': (c: { body: unknown }) => {
        const stage = (c.body as { stage: Job['stage'] }).stage!;
        job = { ...job, stage, tracking: [...job.tracking, { kind: 'stage', stage, at: '2026-01-02T00:00:00Z' }] };
        return json(200, job);
      },
      'POST /v1/jobs/a/notes': (c: { body: unknown }) => {
        const text = (c.body as { text: string }).text;
        job = { ...job, tracking: [...job.tracking, { kind: 'note', text, at: '2026-01-03T00:00:00Z' }] };
        return json(201, { kind: 'note', text, at: '2026-01-03T00:00:00Z' });
      },
    });
    renderPage(<JobDetailPage />, { route: '/jobs/a', path: '/jobs/:id' });
    await userEvent.selectOptions(await screen.findByLabelText('Stage'), 'applied');
    await userEvent.type(screen.getByLabelText('Note'), 'Call Ana on Monday');
    await userEvent.click(screen.getByRole('button', { name: 'Add note' }));
    const tracking = await screen.findByTestId('tracking');
    await waitFor(() => expect(tracking).toHaveTextContent('Call Ana on Monday'));
    expect(tracking).toHaveTextContent('Applied');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ text: 'Call Ana on Monday' });
  });

  it('refuses a note over 10,000 characters before sending it', async () => {
    const job: Job = { ...card('a'), description: '', history: [], tracking: [] };
    const { calls } = mockApi({
      'GET /v1/sources': () => json(200, { items: [], nextCursor: null }),
      'GET /v1/jobs/a': () => json(200, job),
    });
    renderPage(<JobDetailPage />, { route: '/jobs/a', path: '/jobs/:id' });
    const note = await screen.findByLabelText('Note');
    fireEvent.change(note, { target: { value: 'x'.repeat(10_001) } });
    expect(note).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('button', { name: 'Add note' })).toBeDisabled();
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });
});
