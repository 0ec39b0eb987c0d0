import { describe, expect, it } from 'vitest';
import { act, screen, within } from '@testing-library/react';
import { json, mockApi, renderPage } from '../test/utils';
import AnalyticsPage from './AnalyticsPage';

describe('AnalyticsPage', () => {
  it('shows the figures, both charts drawn from the reports, and the sources', async () => {
    mockApi({
      'GET /v1/analytics/overview': () =>
        json(200, { totalJobs: 12, scoredInRange: 10, averageScore: 6.5, byStatus: { scored: 12 }, byStage: { applied: 1 } }),
      'GET /v1/analytics/score-distribution': () =>
        json(200, { buckets: Array.from({ length: 10 }, (_, i) => ({ score: i + 1, count: i === 8 ? 2 : i === 4 ? 1 : 0 })) }),
      'GET /v1/analytics/jobs-per-day': () => json(200, { days: [{ date: '2026-11-29', created: 3, scored: 2 }] }),
      'GET /v1/analytics/sources': () => json(200, [{ sourceId: 's1', name: 'Acme board', jobs: 3, averageScore: 7.7, highScores: 2 }]),
    });
    renderPage(<AnalyticsPage />, { route: '/analytics', path: '/analytics' });
    expect(await screen.findByText('Jobs in total')).toBeInTheDocument();
    const scores = screen.getByRole('region', { name: 'Score distribution' });
    expect(await within(scores).findByRole('img', { name: 'Jobs by score, 3 in all: score 5: 1, score 9: 2' })).toBeInTheDocument();
    const perDay = screen.getByRole('region', { name: 'Jobs per day' });
    expect(await within(perDay).findByRole('img', { name: /3 found, 2 scored$/ })).toBeInTheDocument();
    expect(within(perDay).getAllByTestId('day')).toHaveLength(1);
    expect(await screen.findByRole('table', { name: 'Jobs per source' })).toHaveTextContent('Acme board37.72');
  });

  it('says so when a range has nothing to chart', async () => {
    mockApi({
      'GET /v1/analytics/overview': () => json(200, { totalJobs: 0, scoredInRange: 0, averageScore: null, byStatus: {}, byStage: {} }),
      'GET /v1/analytics/score-distribution': () => json(200, { buckets: Array.from({ length: 10 }, (_, i) => ({ score: i + 1, count: 0 })) }),
      'GET /v1/analytics/jobs-per-day': () => json(200, { days: [{ date: '2026-11-29', created: 0, scored: 0 }] }),
      'GET /v1/analytics/sources': () => json(200, []),
    });
    renderPage(<AnalyticsPage />, { route: '/analytics', path: '/analytics' });
    for (const name of ['Score distribution', 'Jobs per day']) {
      const region = screen.getByRole('region', { name });
      expect(await within(region).findByText('Nothing in this range yet')).toBeInTheDocument();
      expect(within(region).queryByRole('img')).not.toBeInTheDocument();
      expect(region.querySelector('.min-h-60')).not.toBeNull();
    }
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
