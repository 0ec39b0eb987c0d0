// The analytics page's two charts, drawn as plain SVG. Recharts drew them before: half a
// megabyte of code whose first render (measuring text in the DOM, a selector store per
// chart) was the longest task of the page on a throttled phone, for a bar chart of ten
// buckets and two lines. Each chart scales with its card through its viewBox, names its
// figures for a screen reader (role="img" and a title) and keeps them as a table under
// "The figures"; each bar or day carries its own tooltip (a <title>), as Recharts' did.
import { useId } from 'react';
import type { JobsPerDay, ScoreDistribution } from '../api/types';
import { formatDay } from '../format';

/** The height of every chart's viewBox. */
const CHART_HEIGHT = 240;
const WIDTH = 400;
const PAD = { top: 10, right: 10, bottom: 24, left: 34 };
const PLOT_W = WIDTH - PAD.left - PAD.right;
const PLOT_H = CHART_HEIGHT - PAD.top - PAD.bottom;
// Tailwind's indigo-600, sky-600, emerald-600, slate-200 and slate-600 (the legend uses the classes).
const COLORS = { bar: '#4f46e5', found: '#0284c7', scored: '#059669', grid: '#e2e8f0', text: '#475569' };

/** Where value `v` sits on a y axis whose top is `top` (SVG's y grows downwards). */
const yOf = (v: number, top: number) => PAD.top + PLOT_H - (v / top) * PLOT_H;

/** The x of day `i` of `count` (a single day sits in the middle), and the width each day's column takes. */
const dayX = (i: number, count: number) => (count > 1 ? PAD.left + (i * PLOT_W) / (count - 1) : PAD.left + PLOT_W / 2);
const dayWidth = (count: number) => (count > 1 ? PLOT_W / (count - 1) : PLOT_W);

/** Whole-number axis ticks from 0 that reach at least `max`: at most about five, evenly spaced. */
export function integerTicks(max: number, most = 5): number[] {
  const top = Math.max(1, Math.ceil(max));
  const step = Math.max(1, Math.ceil(top / (most - 1)));
  const ticks = [];
  for (let t = 0; t < top + step; t += step) ticks.push(t);
  return ticks;
}

/** The indices of `count` items that get an axis label: the first, the last and evenly between, at most `most`. */
export function labelIndices(count: number, most = 5): number[] {
  if (count <= most) return Array.from({ length: count }, (_, i) => i);
  const step = (count - 1) / (most - 1);
  return Array.from({ length: most }, (_, i) => Math.round(i * step));
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** The horizontal grid lines and the y axis' labels, shared by both charts. */
function YAxis({ ticks }: { ticks: number[] }) {
  const top = ticks[ticks.length - 1];
  return (
    <g aria-hidden="true">
      {ticks.map((t) => {
        const y = yOf(t, top);
        return (
          <g key={t}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y} y2={y} stroke={COLORS.grid} strokeDasharray="3 3" />
            <text x={PAD.left - 6} y={y} dy="0.32em" textAnchor="end" fontSize={11} fill={COLORS.text}>
              {t}
            </text>
          </g>
        );
      })}
    </g>
  );
}

/** The chart's figures as a table, folded away under the chart. */
function FiguresTable({ caption, columns, rows }: { caption: string; columns: string[]; rows: { key: string | number; cells: (string | number)[] }[] }) {
  return (
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer text-slate-600">The figures</summary>
      <table className="mt-1 min-w-full">
        <caption className="sr-only">{caption}</caption>
        <thead className="text-left text-xs text-slate-600 uppercase">
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col" className="py-1 pr-3">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} className="border-t border-slate-100">
              {row.cells.map((cell, i) => (
                <td key={i} className="py-0.5 pr-3">
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function ScoreChart({ data }: { data: ScoreDistribution }) {
  const titleId = useId();
  const buckets = data.buckets;
  const total = buckets.reduce((n, b) => n + b.count, 0);
  const ticks = integerTicks(Math.max(...buckets.map((b) => b.count)));
  const top = ticks[ticks.length - 1];
  const band = PLOT_W / buckets.length;
  const scored = buckets.filter((b) => b.count > 0).map((b) => `score ${b.score}: ${b.count}`);
  const label = `Jobs by score, ${total} in all${scored.length ? `: ${scored.join(', ')}` : ''}`;
  return (
    <figure>
      <svg role="img" aria-labelledby={titleId} viewBox={`0 0 ${WIDTH} ${CHART_HEIGHT}`} className="h-auto max-h-60 w-full">
        <title id={titleId}>{label}</title>
        <YAxis ticks={ticks} />
        {buckets.map((b, i) => {
          const y = yOf(b.count, top);
          const x = PAD.left + i * band;
          return (
            <g key={b.score}>
              <rect data-testid="score-bar" data-score={b.score} data-count={b.count} x={x + band * 0.15} width={band * 0.7} y={y} height={PAD.top + PLOT_H - y} fill={COLORS.bar}>
                <title>{`Score ${b.score}: ${plural(b.count, 'job')}`}</title>
              </rect>
              <text x={x + band / 2} y={CHART_HEIGHT - 8} textAnchor="middle" fontSize={11} fill={COLORS.text} aria-hidden="true">
                {b.score}
              </text>
            </g>
          );
        })}
      </svg>
      <FiguresTable caption="Jobs by score" columns={['Score', 'Jobs']} rows={buckets.map((b) => ({ key: b.score, cells: [b.score, b.count] }))} />
    </figure>
  );
}

/** One series: a line through its days, and a dot when there is a single day (a line needs two points). */
function Series({ name, values, top, color }: { name: string; values: number[]; top: number; color: string }) {
  const points = values.map((v, i) => [dayX(i, values.length), yOf(v, top)]);
  return (
    <>
      <polyline data-testid={`line-${name}`} points={points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')} fill="none" stroke={color} strokeWidth={2} />
      {points.length === 1 && <circle data-testid={`dot-${name}`} cx={points[0][0]} cy={points[0][1]} r={3} fill={color} />}
    </>
  );
}

export function PerDayChart({ data }: { data: JobsPerDay }) {
  const titleId = useId();
  const days = data.days;
  const found = days.reduce((n, d) => n + d.created, 0);
  const scored = days.reduce((n, d) => n + d.scored, 0);
  const ticks = integerTicks(Math.max(...days.map((d) => Math.max(d.created, d.scored))));
  const top = ticks[ticks.length - 1];
  const width = dayWidth(days.length);
  const span = days.length ? `${formatDay(days[0].date)} to ${formatDay(days[days.length - 1].date)}` : '';
  const label = `Jobs found and scored per day, ${span}: ${found} found, ${scored} scored`;
  return (
    <figure>
      <svg role="img" aria-labelledby={titleId} viewBox={`0 0 ${WIDTH} ${CHART_HEIGHT}`} className="h-auto max-h-60 w-full">
        <title id={titleId}>{label}</title>
        <YAxis ticks={ticks} />
        <Series name="found" values={days.map((d) => d.created)} top={top} color={COLORS.found} />
        <Series name="scored" values={days.map((d) => d.scored)} top={top} color={COLORS.scored} />
        {labelIndices(days.length).map((i) => (
          <text key={i} x={dayX(i, days.length)} y={CHART_HEIGHT - 8} textAnchor={i === 0 && days.length > 1 ? 'start' : i === days.length - 1 && days.length > 1 ? 'end' : 'middle'} fontSize={11} fill={COLORS.text} aria-hidden="true">
            {formatDay(days[i].date)}
          </text>
        ))}
        {/* A column per day that only carries the day's tooltip. */}
        {days.map((d, i) => (
          <rect key={d.date} data-testid="day" data-found={d.created} data-scored={d.scored} x={dayX(i, days.length) - width / 2} width={width} y={PAD.top} height={PLOT_H} fill="transparent">
            <title>{`${formatDay(d.date)}: ${d.created} found, ${d.scored} scored`}</title>
          </rect>
        ))}
      </svg>
      <p className="mt-1 flex gap-4 text-xs text-slate-600" aria-hidden="true">
        <span className="flex items-center gap-1">
          <span className="inline-block h-0.5 w-4 bg-sky-600" /> found
        </span>
        <span className="flex items-center gap-1">
          <span className="inline-block h-0.5 w-4 bg-emerald-600" /> scored
        </span>
      </p>
      <FiguresTable caption="Jobs per day" columns={['Day', 'Found', 'Scored']} rows={days.map((d) => ({ key: d.date, cells: [formatDay(d.date), d.created, d.scored] }))} />
    </figure>
  );
}
