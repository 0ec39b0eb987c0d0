import { describe, expect, it, vi } from 'vitest';
import { act, screen, within } from '@testing-library/react';
import { json, mockApi, renderPage } from '../test/utils';
import AnalyticsPage from './AnalyticsPage';

// The chart chunk arrives when the test says so, as a slow network would deliver it.
const gate = vi.hoisted(() => {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open: () => open() };
});
vi.mock('./AnalyticsCharts', async () => {
  await gate.opened;
  return {
    CHART_HEIGHT: 240,
    ScoreChart: ({ data }: { data: { buckets: { count: number }[] } }) => <p>score chart of {data.buckets.length} buckets</p>,
    PerDayChart: ({ data }: { data: { days: unknown[] } }) => <p>chart of {data.days.length} days</p>,
  };
});

describe('AnalyticsPage', () => {
  it('shows its figures while the chart code is still on its way, in the space the charts will take', async () => {
    mockApi({
      'GET /v1/analytics/overview': () =>
        json(200, { totalJobs: 12, scoredInRange: 10, averageScore: 6.5, byStatus: { scored: 12 }, byStage: { applied: 1 } }),
      'GET /v1/analytics/score-distribution': () => json(200, { buckets: [{ score: 9, count: 2 }, { score: 5, count: 1 }] }),
      'GET /v1/analytics/jobs-per-day': () => json(200, { days: [{ date: '2026-11-29', created: 3, scored: 2 }] }),
      'GET /v1/analytics/sources': () => json(200, []),
    });
    renderPage(<AnalyticsPage />, { route: '/analytics', path: '/analytics' });
    expect(await screen.findByText('Jobs in total')).toBeInTheDocument();
    const scores = screen.getByRole('region', { name: 'Score distribution' });
    expect(await within(scores).findByText('Loading the chart…')).toBeInTheDocument();
    expect(within(scores).getByRole('status').parentElement).toHaveClass('min-h-60');

    await act(async () => gate.open());
    expect(await within(scores).findByText('score chart of 2 buckets')).toBeInTheDocument();
    expect(await within(screen.getByRole('region', { name: 'Jobs per day' })).findByText('chart of 1 days')).toBeInTheDocument();
  });

  it('holds the tiles’ places while the overview loads, then fills them in', async () => {
    let answer: (r: Response) => void = () => undefined;
    mockApi({
      'GET /v1/analytics/overview': () => new Promise<Response>((resolve) => (answer = resolve)),
      'GET /v1/analytics/score-distribution': () => json(200, { buckets: [] }),
      'GET /v1/analytics/jobs-per-day': () => json(200, { days: [] }),
      'GET /v1/analytics/sources': () => json(200, []),
    });
    renderPage(<AnalyticsPage />, { route: '/analytics', path: '/analytics' });
    const tiles = screen.getByTestId('tiles');
    expect(tiles).toHaveAttribute('aria-busy', 'true');
    expect(within(tiles).getByText('Jobs in total').parentElement).toHaveTextContent('…');
    await act(async () => answer(json(200, { totalJobs: 12, scoredInRange: 10, averageScore: null, byStatus: { scored: 12 }, byStage: {} })));
    expect(await screen.findByTestId('by-stage')).toHaveTextContent('none tracked');
    expect(tiles).toHaveAttribute('aria-busy', 'false');
    expect(within(tiles).getByText('Jobs in total').parentElement).toHaveTextContent('12');
  });
});
