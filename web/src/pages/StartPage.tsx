// The first minute: three steps from an empty account to scored jobs, each showing
// whether it is done, so a new user always knows what to do next.

import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { JobCard, Page, Profile } from '../api/types';
import { PageTitle } from '../components/Layout';
import { useToast } from '../components/Toasts';
import { useSources } from './JobsPage';

function Step({ n, done, title, children }: { n: number; done: boolean; title: string; children: ReactNode }) {
  return (
    <li className="card flex gap-4" data-testid="start-step" data-done={done || undefined}>
      <span
        aria-hidden
        className={`flex h-8 w-8 shrink-0 items-center justify-center rounded-full text-sm font-semibold ${
          done ? 'bg-emerald-700 text-white' : 'bg-indigo-100 text-indigo-800'
        }`}
      >
        {done ? '✓' : n}
      </span>
      <div className="min-w-0 flex-1">
        <h2 className="font-semibold">
          {title}
          {done && <span className="sr-only"> (done)</span>}
        </h2>
        <div className="mt-1 space-y-2 text-sm text-slate-700">{children}</div>
      </div>
    </li>
  );
}

export function StartPage() {
  const toast = useToast();
  const profile = useQuery({ queryKey: keys.profile, queryFn: () => api.get<Profile>('/v1/profile') });
  const sources = useSources();
  const jobs = useQuery({ queryKey: keys.anyJob, queryFn: () => api.get<Page<JobCard>>('/v1/jobs', { limit: 1 }) });
  const fetchNow = useMutation({
    mutationFn: () => api.post<{ queuedSources: number }>('/v1/jobs/fetch', {}),
    onSuccess: ({ queuedSources }) =>
      toast(
        queuedSources === 0 ? 'Add a source first: there is nothing to fetch yet.' : `Fetching ${queuedSources} source${queuedSources === 1 ? '' : 's'} — jobs appear on the Jobs page as they arrive.`,
        queuedSources === 0 ? 'error' : 'info',
      ),
    onError: (e) => toast(describeError(e), 'error'),
  });
  const p = profile.data;
  const described = !!p && (p.titles.length > 0 || p.mustHave.length > 0 || (p.summary ?? '').trim() !== '');
  const sourceCount = sources.data?.items.length ?? 0;
  const hasJobs = (jobs.data?.items.length ?? 0) > 0;
  return (
    <>
      <PageTitle>Get started</PageTitle>
      <p className="mb-4 max-w-prose text-sm text-slate-600">
        Three steps and jobmon watches job boards for you, scoring every new posting 1–10 for how well it fits.
      </p>
      <ol className="max-w-3xl space-y-3">
        <Step n={1} done={described} title="Describe what you look for">
          <p>
            The titles you want, the skills a good posting mentions, what to avoid — for example <em>Backend Engineer</em>, must have <em>rust, aws</em>,
            avoid <em>php</em>.
          </p>
          <Link className="btn-secondary inline-block" to="/profile">
            {described ? 'Edit your profile' : 'Write your profile'}
          </Link>
        </Step>
        <Step n={2} done={sourceCount > 0} title="Add the job boards to watch">
          <p>Paste a company’s careers page or job board URL — Greenhouse, Lever, Ashby, Workable and others are recognised, as are RSS and JSON feeds.</p>
          <Link className="btn-secondary inline-block" to="/sources">
            {sourceCount > 0 ? `Manage your ${sourceCount} source${sourceCount === 1 ? '' : 's'}` : 'Add a source'}
          </Link>
        </Step>
        <Step n={3} done={hasJobs} title="Fetch and watch the scores arrive">
          <p>jobmon fetches on a schedule; the first time, ask for it now. Scores appear live on the Jobs page.</p>
          <div className="flex flex-wrap gap-2">
            <button type="button" className="btn-primary" disabled={fetchNow.isPending || sourceCount === 0} onClick={() => fetchNow.mutate()}>
              Fetch now
            </button>
            <Link className="btn-secondary inline-block" to="/jobs">
              Go to your jobs
            </Link>
          </div>
        </Step>
      </ol>
    </>
  );
}
