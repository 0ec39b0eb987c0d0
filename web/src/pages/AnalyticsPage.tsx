// Loaded lazily (src/routes.ts), with its charts (hand-written SVG, a few kB: no chunk of their own).
import { useDeferredValue } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { keys } from '../api/keys';
import type { JobsPerDay, Overview, ScoreDistribution, SourceStats } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { STATUS_LABEL } from '../components/Badges';
import { Field } from '../components/Field';
import { PageTitle } from '../components/Layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { AdminOnly } from './MembersPage';
import type { JobStatus, Stage } from '../api/types';
import { STAGE_LABELS } from './stages';
import { PerDayChart, ScoreChart } from './AnalyticsCharts';

export function validateRange(from: string, to: string): { from?: string; to?: string } {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (from && !day.test(from)) return { from: 'Use a date like 2026-01-31.' };
  if (to && !day.test(to)) return { to: 'Use a date like 2026-01-31.' };
  if (from && to && from > to) return { to: 'The end must not be before the start.' };
  if (from && to && (Date.parse(to) - Date.parse(from)) / 86_400_000 >= 366) return { from: 'Choose at most one year.' };
  return {};
}

function useAnalytics<T>(what: string, range: { from?: string; to?: string }, enabled: boolean) {
  return useQuery({
    queryKey: keys.analytics(what, range),
    queryFn: () => api.get<T>(`/v1/analytics/${what}`, range),
    enabled,
  });
}

export default function AnalyticsPage() {
  const { isAdmin } = useAuth();
  const [params, setParams] = useSearchParams();
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const errors = validateRange(from, to);
  const ok = isAdmin && !errors.from && !errors.to;
  const range = { from: from || undefined, to: to || undefined };
  const overview = useAnalytics<Overview>('overview', range, ok);
  const distribution = useAnalytics<ScoreDistribution>('score-distribution', range, ok);
  const perDay = useAnalytics<JobsPerDay>('jobs-per-day', range, ok);
  const sources = useAnalytics<SourceStats[] | { items: SourceStats[] }>('sources', range, ok);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  if (!isAdmin) return (<><PageTitle>Analytics</PageTitle><AdminOnly /></>);
  const sourceRows = sources.data ? (Array.isArray(sources.data) ? sources.data : sources.data.items) : [];
  return (
    <>
      <PageTitle>Analytics</PageTitle>
      <form className="card mb-4 flex flex-wrap items-end gap-3" aria-label="Date range" onSubmit={(e) => e.preventDefault()}>
        <Field label="From" error={errors.from}>
          <input className="input" type="date" value={from} onChange={(e) => set('from', e.target.value)} />
        </Field>
        <Field label="To" error={errors.to}>
          <input className="input" type="date" value={to} onChange={(e) => set('to', e.target.value)} />
        </Field>
        <p className="pb-2 text-sm text-slate-500">{from || to ? '' : 'Showing the last 30 days.'}</p>
      </form>

      <section aria-labelledby="ov-h" className="mb-4">
        <h2 id="ov-h" className="sr-only">Overview</h2>
        {overview.isError ? (
          <ErrorState error={overview.error} retry={() => overview.refetch()} title="Could not load the overview" />
        ) : (
          ok && <Tiles overview={overview.data} />
        )}
      </section>

      <div className="grid gap-4 lg:grid-cols-2">
        <ChartCard title="Score distribution" query={distribution} empty={(d) => d.buckets.every((b) => b.count === 0)}>
          {(d) => <ScoreChart data={d} />}
        </ChartCard>
        <ChartCard title="Jobs per day" query={perDay} empty={(d) => d.days.every((x) => x.created === 0 && x.scored === 0)}>
          {(d) => <PerDayChart data={d} />}
        </ChartCard>
      </div>

      <section className="card mt-4" aria-labelledby="src-h">
        <h2 id="src-h" className="mb-2 text-lg font-semibold">Sources</h2>
        {sources.isPending ? (
          ok && <Loading />
        ) : sources.isError ? (
          <ErrorState error={sources.error} retry={() => sources.refetch()} title="Could not load source figures" />
        ) : sourceRows.length === 0 ? (
          <p className="text-sm text-slate-500">No jobs from any source in this range.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="min-w-full text-sm" aria-label="Jobs per source">
              <thead className="text-left text-xs text-slate-600 uppercase">
                <tr>
                  <th scope="col" className="py-1 pr-3">Source</th>
                  <th scope="col" className="py-1 pr-3">Jobs</th>
                  <th scope="col" className="py-1 pr-3">Average score</th>
                  <th scope="col" className="py-1">Scores 8+</th>
                </tr>
              </thead>
              <tbody>
                {sourceRows.map((s) => (
                  <tr key={s.sourceId} className="border-t border-slate-100">
                    <td className="py-1 pr-3">{s.name}</td>
                    <td className="py-1 pr-3">{s.jobs}</td>
                    <td className="py-1 pr-3">{s.averageScore == null ? '—' : s.averageScore.toFixed(1)}</td>
                    <td className="py-1">{s.highScores}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

/** The overview's tiles; while it loads, the same tiles hold a placeholder, so the charts below do not move when the figures arrive. */
function Tiles({ overview }: { overview: Overview | undefined }) {
  const pending = '…';
  const list = (counts: Record<string, number>, label: (key: string) => string, none: string) =>
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([key, n]) => `${label(key)}: ${n}`)
      .join(' · ') || none;
  return (
    <div className="grid grid-cols-2 gap-3 md:grid-cols-4" data-testid="tiles" aria-busy={!overview}>
      <Tile label="Jobs in total" value={overview?.totalJobs ?? pending} />
      <Tile label="Scored in range" value={overview?.scoredInRange ?? pending} />
      <Tile label="Average score" value={!overview ? pending : overview.averageScore == null ? '—' : overview.averageScore.toFixed(1)} />
      <Tile
        label="By status"
        value={<span className="text-sm font-normal">{overview ? list(overview.byStatus, (s) => STATUS_LABEL[s as JobStatus] ?? s, 'none') : pending}</span>}
      />
      <Tile
        label="Applications"
        value={
          <span className="text-sm font-normal" data-testid={overview ? 'by-stage' : undefined}>
            {overview ? list(overview.byStage, (s) => STAGE_LABELS[s as Stage] ?? s, 'none tracked') : pending}
          </span>
        }
      />
    </div>
  );
}

function Tile({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div className="card">
      <p className="text-xs text-slate-500 uppercase">{label}</p>
      <p className="mt-1 text-2xl font-semibold">{value}</p>
    </div>
  );
}

function ChartCard<T>({
  title,
  query,
  empty,
  children,
}: {
  title: string;
  query: { isPending: boolean; isError: boolean; error: unknown; data?: T; refetch: () => unknown };
  empty: (d: T) => boolean;
  children: (d: T) => React.ReactNode;
}) {
  // Drawn in the background once the report is in (interruptible), not in the task that delivered it.
  const data = useDeferredValue(query.data);
  return (
    <section className="card" aria-label={title}>
      <h2 className="mb-2 text-lg font-semibold">{title}</h2>
      {/* The chart's height is kept while its data loads: nothing below it jumps. */}
      <div className="min-h-60">
        {query.isError ? (
          <ErrorState error={query.error} retry={() => query.refetch()} />
        ) : !data ? (
          <Loading />
        ) : empty(data) ? (
          <Empty title="Nothing in this range yet" />
        ) : (
          children(data)
        )}
      </div>
    </section>
  );
}
