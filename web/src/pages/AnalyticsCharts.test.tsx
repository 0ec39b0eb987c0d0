import { describe, expect, it } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { integerTicks, labelIndices, PerDayChart, ScoreChart } from './AnalyticsCharts';

const buckets = (counts: Record<number, number>) => Array.from({ length: 10 }, (_, i) => ({ score: i + 1, count: counts[i + 1] ?? 0 }));

/** The y coordinate of a bar's top and its height, as drawn. */
const geometry = (bar: Element) => ({ y: Number(bar.getAttribute('y')), height: Number(bar.getAttribute('height')) });

describe('integerTicks', () => {
  it('counts in whole numbers from 0 to at least the largest figure', () => {
    expect(integerTicks(0)).toEqual([0, 1]);
    expect(integerTicks(3)).toEqual([0, 1, 2, 3]);
    expect(integerTicks(4)).toEqual([0, 1, 2, 3, 4]);
    expect(integerTicks(9)).toEqual([0, 3, 6, 9]);
    expect(integerTicks(10)).toEqual([0, 3, 6, 9, 12]);
    expect(integerTicks(101)).toEqual([0, 26, 52, 78, 104]);
  });
});

describe('labelIndices', () => {
  it('labels every item when few, else the first, the last and evenly between', () => {
    expect(labelIndices(0)).toEqual([]);
    expect(labelIndices(3)).toEqual([0, 1, 2]);
    expect(labelIndices(30)).toEqual([0, 7, 15, 22, 29]);
  });
});

describe('ScoreChart', () => {
  it('draws one bar per score, as tall as its count, and names the figures', () => {
    render(<ScoreChart data={{ buckets: buckets({ 9: 2, 5: 1 }) }} />);
    const chart = screen.getByRole('img', { name: 'Jobs by score, 3 in all: score 5: 1, score 9: 2' });
    const bars = within(chart.parentElement!).getAllByTestId('score-bar');
    expect(bars.map((b) => b.getAttribute('data-score'))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    const nine = geometry(bars[8]);
    const five = geometry(bars[4]);
    expect(five.height).toBeGreaterThan(0);
    expect(nine.height).toBeCloseTo(2 * five.height);
    // Bars stand on the same baseline.
    expect(nine.y + nine.height).toBeCloseTo(five.y + five.height);
    expect(geometry(bars[0]).height).toBe(0);
    expect(bars[8]).toHaveTextContent('Score 9: 2 jobs');
    expect(bars[4]).toHaveTextContent('Score 5: 1 job');
  });

  it('keeps every figure in a table under the chart', () => {
    render(<ScoreChart data={{ buckets: buckets({ 7: 4 }) }} />);
    const table = screen.getByRole('table', { name: 'Jobs by score' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(10);
    expect(rows[6]).toHaveTextContent('74');
    expect(rows[0]).toHaveTextContent('10');
  });
});

describe('PerDayChart', () => {
  const days = [
    { date: '2026-11-27', created: 0, scored: 0 },
    { date: '2026-11-28', created: 4, scored: 1 },
    { date: '2026-11-29', created: 2, scored: 4 },
  ];

  it('draws a line for found and one for scored through each day, and names the totals', () => {
    render(<PerDayChart data={{ days }} />);
    const chart = screen.getByRole('img', { name: /^Jobs found and scored per day, .+ to .+: 6 found, 5 scored$/ });
    const figure = chart.parentElement!;
    const points = (id: string) =>
      within(figure)
        .getByTestId(id)
        .getAttribute('points')!
        .split(' ')
        .map((p) => p.split(',').map(Number));
    const found = points('line-found');
    const scored = points('line-scored');
    expect(found).toHaveLength(3);
    expect(scored).toHaveLength(3);
    // Left to right by day; the same day is at the same x in both lines.
    expect(found.map(([x]) => x)).toEqual(scored.map(([x]) => x));
    expect(found[0][0]).toBeLessThan(found[1][0]);
    // SVG's y grows downwards: 4 found on the 28th is higher than 2 on the 29th, 0 at the bottom.
    expect(found[1][1]).toBeLessThan(found[2][1]);
    expect(found[0][1]).toBeGreaterThan(found[2][1]);
    expect(scored[2][1]).toBeCloseTo(found[1][1]);
    expect(within(figure).getAllByTestId('day').map((d) => d.getAttribute('data-found'))).toEqual(['0', '4', '2']);
    expect(within(figure).getAllByTestId('day')[1]).toHaveTextContent(/4 found, 1 scored$/);
  });

  it('draws a single day in the middle, and lists the days in a table', () => {
    render(<PerDayChart data={{ days: [days[1]] }} />);
    const [[x, y]] = screen
      .getByTestId('line-found')
      .getAttribute('points')!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    // The viewBox is 400 wide: the middle of its plot, not a line from the left edge.
    expect(x).toBeGreaterThan(150);
    expect(x).toBeLessThan(250);
    expect(Number.isFinite(y)).toBe(true);
    // A one-point line draws nothing: the day is a dot of each series.
    expect(Number(screen.getByTestId('dot-found').getAttribute('cx'))).toBeCloseTo(x);
    expect(screen.getByTestId('dot-scored')).toBeInTheDocument();
    const rows = within(screen.getByRole('table', { name: 'Jobs per day' })).getAllByRole('row');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toHaveTextContent(/41$/);
  });
});
