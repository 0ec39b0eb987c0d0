import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { Job, JobCard, JobStatus } from '../api/types';
import { ScoreBadge, StatusBadge } from '../components/Badges';
import { Empty, ErrorState, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import { formatDate } from '../format';
import { replaceCard } from '../live/cache';
import { useSources } from './JobsPage';
import { JobTracking } from './JobTracking';

/**
 * Where "Restore" sends an archived job: back to `scored` when it has a score, else to
 * `new`. The server's state machine has the last word (409 otherwise).
 */
export function restoreTarget(job: JobCard): JobStatus {
  return job.score !== undefined && job.score !== null ? 'scored' : 'new';
}

export function JobDetailPage() {
  const { id = '' } = useParams();
  const client = useQueryClient();
  const toast = useToast();
  const sources = useSources();
  const job = useQuery({ queryKey: keys.job(id), queryFn: () => api.get<Job>(`/v1/jobs/${encodeURIComponent(id)}`) });

  const setStatus = useMutation({
    mutationFn: (status: JobStatus) => api.patch<JobCard>(`/v1/jobs/${encodeURIComponent(id)}`, { status }),
    onSuccess: (card, status) => {
      if (card && typeof card === 'object' && 'id' in card) replaceCard(client, card);
      void client.invalidateQueries({ queryKey: keys.jobs });
      toast(status === 'archived' ? 'Job archived. It no longer shows in the list unless you filter for archived jobs.' : 'Job restored.', 'success');
    },
    onError: (error) =>
      toast(
        error instanceof ApiError && error.status === 409
          ? 'The job changed in the meantime and cannot be moved like that. The page now shows its current state.'
          : describeError(error),
        'error',
      ),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.job(id) }),
  });
  const rescore = useMutation({
    mutationFn: () => api.post(`/v1/jobs/${encodeURIComponent(id)}/rescore`),
    onSuccess: () => {
      toast('Rescoring — the new score appears here when it is ready.', 'info');
      void client.invalidateQueries({ queryKey: keys.jobs });
    },
    onError: (error) =>
      toast(
        error instanceof ApiError && error.status === 409
          ? 'Only a scored or failed job can be rescored.'
          : error instanceof ApiError && error.status === 402
            ? 'This month’s scoring quota is used up. Upgrade on the Billing page to rescore.'
            : describeError(error),
        'error',
      ),
  });

  if (job.isPending) return <Loading label="Loading the job…" />;
  if (job.isError) {
    return (
      <>
        <BackLink />
        {job.error instanceof ApiError && job.error.status === 404 ? (
          <Empty title="This job does not exist">It may belong to another workspace, or the link is wrong.</Empty>
        ) : (
          <ErrorState error={job.error} retry={() => job.refetch()} title="Could not load this job" />
        )}
      </>
    );
  }
  const j = job.data;
  const busy = setStatus.isPending || rescore.isPending;
  const source = sources.data?.items.find((s) => s.id === j.sourceId);
  return (
    <article className="space-y-4">
      <BackLink />
      <header className="card flex flex-wrap items-start gap-4">
        <ScoreBadge score={j.score} />
        <div className="min-w-0 flex-1">
          <h1 className="text-2xl font-semibold break-words">{j.title}</h1>
          <p className="text-slate-600">
            {j.company}
            {j.location && ` · ${j.location}`}
            {j.remote && ' · remote'}
          </p>
          <p className="mt-1 flex flex-wrap items-center gap-2 text-sm text-slate-500">
            <StatusBadge status={j.status} />
            <span>Found {formatDate(j.createdAt)}</span>
            {source && <span>from {source.name}</span>}
            {j.closedAt && <span className="text-amber-700">no longer listed since {formatDate(j.closedAt)}</span>}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <a className="btn-secondary" href={j.url} target="_blank" rel="noopener noreferrer">
            Open posting ↗
          </a>
          {j.status === 'archived' ? (
            <button type="button" className="btn-secondary" disabled={busy} onClick={() => setStatus.mutate(restoreTarget(j))}>
              Restore
            </button>
          ) : (
            <button type="button" className="btn-secondary" disabled={busy} onClick={() => setStatus.mutate('archived')}>
              Archive
            </button>
          )}
          <button
            type="button"
            className="btn-primary"
            disabled={busy || !(j.status === 'scored' || j.status === 'failed')}
            title={j.status === 'scored' || j.status === 'failed' ? undefined : 'Only scored or failed jobs can be rescored'}
            onClick={() => rescore.mutate()}
          >
            Rescore
          </button>
        </div>
      </header>

      {j.status === 'failed' && j.error && (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-800">
          <p className="font-medium">Scoring failed</p>
          <p>{j.error}</p>
        </div>
      )}
      {j.status === 'pending_upgrade' && (
        <div className="rounded-md border border-violet-200 bg-violet-50 p-4 text-sm text-violet-900">
          This job was not scored because this month’s quota is used up. <Link className="underline" to="/billing">Upgrade</Link> to score it.
        </div>
      )}

      <JobTracking job={j} />

      <section className="card" aria-labelledby="reason-h">
        <h2 id="reason-h" className="mb-2 text-lg font-semibold">Why this score</h2>
        {j.reason ? <p className="whitespace-pre-line">{j.reason}</p> : <p className="text-sm text-slate-500">Not scored yet.</p>}
      </section>

      <section className="card" aria-labelledby="history-h">
        <h2 id="history-h" className="mb-2 text-lg font-semibold">Scoring history</h2>
        {j.history.length === 0 ? (
          <p className="text-sm text-slate-500">No scorings yet.</p>
        ) : (
          <ol className="space-y-3" data-testid="history">
            {j.history.map((h, i) => (
              <li key={`${h.createdAt}-${i}`} className="flex gap-3">
                <ScoreBadge score={h.score} />
                <div className="text-sm">
                  <p className="text-slate-500">
                    {formatDate(h.createdAt)} · {h.scorer}
                    {h.model && ` (${h.model})`}
                  </p>
                  <p>{h.reason}</p>
                </div>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="card" aria-labelledby="desc-h">
        <h2 id="desc-h" className="mb-2 text-lg font-semibold">Description</h2>
        {j.description ? (
          <div className="max-w-prose text-sm leading-relaxed whitespace-pre-line">{j.description}</div>
        ) : (
          <p className="text-sm text-slate-500">The source gave no description.</p>
        )}
      </section>
    </article>
  );
}

function BackLink() {
  const navigate = useNavigate();
  const location = useLocation();
  // Back keeps the list's filters (they live in the URL); a job opened from a link goes to the list.
  const cameFromApp = location.key !== 'default';
  return (
    <Link
      to="/jobs"
      className="text-sm text-indigo-700 hover:underline"
      onClick={(e) => {
        if (cameFromApp) {
          e.preventDefault();
          navigate(-1);
        }
      }}
    >
      ← Back to jobs
    </Link>
  );
}
