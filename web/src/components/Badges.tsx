import type { JobStatus } from '../api/types';

const STATUS_STYLE: Record<JobStatus, string> = {
  new: 'bg-sky-100 text-sky-800',
  queued: 'bg-amber-100 text-amber-800',
  scored: 'bg-emerald-100 text-emerald-800',
  failed: 'bg-red-100 text-red-800',
  archived: 'bg-slate-200 text-slate-700',
  pending_upgrade: 'bg-violet-100 text-violet-800',
};

export const STATUS_LABEL: Record<JobStatus, string> = {
  new: 'New',
  queued: 'Scoring…',
  scored: 'Scored',
  failed: 'Failed',
  archived: 'Archived',
  pending_upgrade: 'Needs upgrade',
};

export function StatusBadge({ status }: { status: JobStatus }) {
  return (
    <span className={`inline-block rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ${STATUS_STYLE[status] ?? ''}`}>
      {STATUS_LABEL[status] ?? status}
    </span>
  );
}

/** 8–10 strong fit, 5–7 maybe, 1–4 weak. */
export function scoreTone(score: number): 'high' | 'mid' | 'low' {
  return score >= 8 ? 'high' : score >= 5 ? 'mid' : 'low';
}

export function ScoreBadge({ score }: { score?: number | null }) {
  if (score === undefined || score === null) {
    return <span className="text-xs text-slate-600" aria-label="not scored yet">—</span>;
  }
  const tone = scoreTone(score);
  const style = tone === 'high' ? 'bg-emerald-700 text-white' : tone === 'mid' ? 'bg-amber-400 text-slate-900' : 'bg-slate-300 text-slate-800';
  return (
    <span
      data-testid="score"
      data-tone={tone}
      aria-label={`score ${score} out of 10`}
      className={`inline-flex h-7 w-9 items-center justify-center rounded-md text-sm font-semibold ${style}`}
    >
      {score}
    </span>
  );
}
