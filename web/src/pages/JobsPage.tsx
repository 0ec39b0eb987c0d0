import { useDeferredValue, useEffect, useEffectEvent, useMemo, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { api, request } from '../api/client';
import { describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { JobCard, Page, Source } from '../api/types';
import { PageTitle } from '../components/Layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import { useDebounced } from '../useDebounced';
import { MD_UP, useMediaQuery } from '../useMediaQuery';
import { hasErrors } from '../validation';
import { JobFilterFields } from './JobFilterFields';
import { JobsTable } from './JobsTable';
import { readFilters, toQuery, validateFilters, writeFilters, type JobFilters } from './jobFilters';

export const PAGE_SIZE = 25;

export function useSources() {
  return useQuery({ queryKey: keys.sources, queryFn: () => api.get<Page<Source>>('/v1/sources') });
}

export function JobsPage() {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const errors = validateFilters(filters);
  const valid = !hasErrors(errors);
  const toast = useToast();
  const searchRef = useRef<HTMLInputElement>(null);
  const [filtersOpen, setFiltersOpen] = useState(false);
  // Tailwind's `md`, where the filters show without the button.
  const wide = useMediaQuery(MD_UP);
  const sources = useSources();
  const sourceNames = useMemo(() => new Map((sources.data?.items ?? []).map((s) => [s.id, s.name])), [sources.data]);

  // The search box writes to the URL a moment after typing stops, and shows the URL's
  // words again when the URL changes under it (back, forward, a link). That second part is
  // done while rendering, as React advises for state that follows a prop, not in an effect.
  const [q, setQ] = useState(filters.q);
  const [urlQ, setUrlQ] = useState(filters.q);
  if (urlQ !== filters.q) {
    setUrlQ(filters.q);
    setQ(filters.q);
  }
  // Only a change of the box restarts the wait; the write reads the filters of the moment
  // the words settle.
  const settledQ = useDebounced(q, 300);
  const writeQ = useEffectEvent((words: string) => {
    if (words !== filters.q) setFilter('q', words);
  });
  useEffect(() => writeQ(settledQ), [settledQ]);

  function setFilter<K extends keyof JobFilters>(key: K, value: JobFilters[K]) {
    setParams(writeFilters({ ...readFilters(params), [key]: value }), { replace: true });
  }

  const query = useMemo(() => toQuery(filters), [filters]);
  const jobs = useInfiniteQuery({
    queryKey: keys.jobList(query),
    queryFn: ({ pageParam, signal }) =>
      request<Page<JobCard>>('/v1/jobs', { query: { ...query, limit: PAGE_SIZE, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled: valid,
  });

  const fetchNow = useMutation({
    mutationFn: () => api.post<{ queuedSources: number }>('/v1/jobs/fetch', {}),
    onSuccess: ({ queuedSources }) =>
      toast(
        queuedSources === 0
          ? 'You have no enabled sources to fetch. Add or enable one on the Sources page.'
          : `Fetching ${queuedSources} source${queuedSources === 1 ? '' : 's'} — new jobs will appear here as they arrive.`,
        queuedSources === 0 ? 'error' : 'info',
      ),
    onError: (error) => toast(describeError(error), 'error'),
  });

  const loadMore = () =>
    jobs.fetchNextPage().then((r) => {
      if (r.isFetchNextPageError) toast(describeError(r.error), 'error');
    });
  // The rows render in the background, in slices React can interrupt, rather than in the task
  // that delivered the answer: on a phone's CPU the list's first render was one long task.
  // Until then the list shows what it showed before (the spinner on a first load).
  const shown = useDeferredValue(jobs.data);
  const rows = useMemo(() => shown?.pages.flatMap((p) => p.items) ?? [], [shown]);
  const filtered = writeFilters(filters).toString() !== '';

  return (
    <>
      <PageTitle
        actions={
          <button type="button" className="btn-primary" onClick={() => fetchNow.mutate()} disabled={fetchNow.isPending}>
            {fetchNow.isPending ? 'Asking…' : 'Fetch now'}
          </button>
        }
      >
        Jobs
      </PageTitle>

      {/* On a phone the filters wait behind a button so the list is on the first screen. */}
      <button
        type="button"
        className="btn-secondary mb-3 w-full md:hidden"
        aria-expanded={filtersOpen}
        aria-controls="job-filters"
        onClick={() => setFiltersOpen((o) => !o)}
      >
        {filtersOpen ? 'Hide filters' : `Filters${filtered ? ' (on)' : ''}`}
      </button>
      <form
        id="job-filters"
        role="search"
        aria-label="Filter jobs"
        className={`card mb-4 grid-cols-2 gap-3 md:grid md:grid-cols-4 lg:grid-cols-8 ${filtersOpen ? 'grid' : 'hidden'}`}
        onSubmit={(e) => e.preventDefault()}
      >
        {/* Built only where shown: on a phone they are behind the button, and their date and
            number inputs were a fifth of the page's first render on a phone's CPU. */}
        {(filtersOpen || wide) && (
          <JobFilterFields
            filters={filters}
            errors={errors}
            q={q}
            onQ={setQ}
            setFilter={setFilter}
            sources={sources.data?.items}
            searchRef={searchRef}
            onClear={filtered ? () => setParams(new URLSearchParams(), { replace: true }) : undefined}
          />
        )}
      </form>

      {!valid ? (
        <p role="alert" className="text-sm text-red-800">Fix the filters marked above to see jobs.</p>
      ) : jobs.isError ? (
        <ErrorState error={jobs.error} retry={() => jobs.refetch()} title="Could not load jobs" />
      ) : !shown ? (
        <Loading label="Loading jobs…" />
      ) : rows.length === 0 ? (
        filtered ? (
          <Empty title="No jobs match these filters">Try a wider score or date range, or clear the filters.</Empty>
        ) : (
          <Empty title="No jobs yet">
            {sources.data && sources.data.items.length === 0 ? (
              <>
                Connect a job board on the <Link className="text-indigo-700 underline" to="/sources">Sources</Link> page, then press “Fetch now” —
                or follow the <Link className="text-indigo-700 underline" to="/start">three-step start</Link>.
              </>
            ) : (
              <>Press “Fetch now” to look for postings; they appear here and get scored live.</>
            )}
          </Empty>
        )
      ) : (
        <>
          <JobsTable rows={rows} sourceNames={sourceNames} busy={jobs.isFetching} searchRef={searchRef} />
          <div className="mt-3 flex items-center justify-between text-sm text-slate-600">
            <span>
              {rows.length} job{rows.length === 1 ? '' : 's'} shown
            </span>
            {jobs.hasNextPage && (
              <button type="button" className="btn-secondary" onClick={loadMore} disabled={jobs.isFetchingNextPage}>
                {jobs.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            )}
          </div>
        </>
      )}
    </>
  );
}
