// The analytics page's two charts and Recharts with them: a chunk of their own, fetched when
// the page opens, so its figures and tiles do not wait for half a megabyte of chart code.
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { JobsPerDay, ScoreDistribution } from '../api/types';
import { formatDay } from '../format';

/** The height every chart (and its placeholder: AnalyticsPage) takes. */
export const CHART_HEIGHT = 240;

export function ScoreChart({ data }: { data: ScoreDistribution }) {
  return (
    <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
      <BarChart data={data.buckets}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="score" />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Bar dataKey="count" name="jobs" fill="#4f46e5" isAnimationActive={false} />
      </BarChart>
    </ResponsiveContainer>
  );
}

export function PerDayChart({ data }: { data: JobsPerDay }) {
  return (
    <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
      <LineChart data={data.days}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="date" tickFormatter={formatDay} minTickGap={20} />
        <YAxis allowDecimals={false} />
        <Tooltip labelFormatter={(l) => formatDay(String(l))} />
        <Legend />
        <Line type="monotone" dataKey="created" name="found" stroke="#0284c7" dot={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="scored" name="scored" stroke="#059669" dot={false} isAnimationActive={false} />
      </LineChart>
    </ResponsiveContainer>
  );
}
