// The jobs list: rows, selection for bulk actions, and the keyboard shortcuts.

import { memo, useEffect, useEffectEvent, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { JobCard, JobStatus, Stage } from '../api/types';
import { ScoreBadge, StatusBadge } from '../components/Badges';
import { useToast } from '../components/Toasts';
import { formatDate, formatSalary, workModeLabel } from '../format';
import { useFresh } from '../live/LiveProvider';
import { useMediaQuery } from '../useMediaQuery';
import { restoreTarget } from './JobDetailPage';
import { moveActive, shortcutFor, SHORTCUTS } from './jobShortcuts';
import { STAGE_LABELS, StageOptions } from './stages';

/** Status changes sent at once by a bulk action; more would queue behind the browser's limit anyway. */
const BULK_PARALLEL = 4;

type Bulk = { kind: 'archive' } | { kind: 'restore' } | { kind: 'stage'; stage: Stage };

/** The change a bulk action makes to one job, or `null` when the job is already there. */
function bulkChange(job: JobCard, action: Bulk): { status: JobStatus } | { stage: Stage } | null {
  switch (action.kind) {
    case 'archive':
      return job.status === 'archived' ? null : { status: 'archived' };
    case 'restore':
      return job.status === 'archived' ? { status: restoreTarget(job) } : null;
    case 'stage':
      return job.stage === action.stage ? null : { stage: action.stage };
  }
}

/** Changes each job (archive, restore to what it was, or set a stage), a few at a time; counts what failed. */
export async function applyBulk(jobs: JobCard[], action: Bulk): Promise<{ moved: number; failed: number; firstError?: unknown }> {
  const targets = jobs.flatMap((j) => {
    const change = bulkChange(j, action);
    return change ? [{ job: j, change }] : [];
  });
  let moved = 0;
  let failed = 0;
  let firstError: unknown;
  for (let i = 0; i < targets.length; i += BULK_PARALLEL) {
    const results = await Promise.allSettled(
      targets.slice(i, i + BULK_PARALLEL).map(({ job, change }) => api.patch<JobCard>(`/v1/jobs/${encodeURIComponent(job.id)}`, change)),
    );
    for (const r of results) {
      if (r.status === 'fulfilled') moved++;
      else {
        failed++;
        firstError ??= r.reason;
      }
    }
  }
  return { moved, failed, firstError };
}

function bulkVerb(action: Bulk): string {
  if (action.kind === 'stage') return `Moved to ${STAGE_LABELS[action.stage]}:`;
  return action.kind === 'archive' ? 'Archived' : 'Restored';
}

/** The line under a job's title: company, work mode and pay, each only when known. */
function JobFacts({ job }: { job: JobCard }) {
  const mode = workModeLabel(job);
  const pay = formatSalary(job.salary);
  return (
    <div className="text-xs text-slate-600">
      {job.company}
      {mode && <span data-testid="work-mode"> · {mode}</span>}
      {pay && <span data-testid="salary"> · {pay}</span>}
    </div>
  );
}

function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div role="dialog" aria-modal="true" aria-labelledby="shortcut-title" className="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/40 p-4">
      <div className="card w-full max-w-sm">
        <h2 id="shortcut-title" className="mb-3 text-base font-semibold">Keyboard shortcuts</h2>
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          {SHORTCUTS.map((s) => (
            <div key={s.keys} className="contents">
              <dt>
                <kbd className="rounded border border-slate-300 bg-slate-50 px-1 font-mono text-xs">{s.keys}</kbd>
              </dt>
              <dd>{s.action}</dd>
            </div>
          ))}
        </dl>
        <button type="button" className="btn-secondary mt-4" onClick={onClose} autoFocus>
          Close
        </button>
      </div>
    </div>
  );
}

// Memoised: the page around it renders again for every keystroke in the search box and
// every change of a query's state, none of which changes the rows.
export const JobsTable = memo(function JobsTable({ rows, sourceNames, busy, searchRef }: { rows: JobCard[]; sourceNames: Map<string, string>; busy: boolean; searchRef: React.RefObject<HTMLInputElement | null> }) {
  const fresh = useFresh();
  const toast = useToast();
  const client = useQueryClient();
  const navigate = useNavigate();
  const [active, setActive] = useState(-1);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [help, setHelp] = useState(false);
  const [working, setWorking] = useState(false);
  const links = useRef(new Map<string, HTMLAnchorElement>());
  // The "Found" column is not shown on a phone (below Tailwind's `sm`), so it is not built
  // there either: its dates need the browser's first date formatter with time-zone data,
  // the costliest single step of the list's first render on a phone's CPU.
  const wide = useMediaQuery('(min-width: 40rem)');

  const chosen = rows.filter((j) => selected.has(j.id));
  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const allChosen = rows.length > 0 && chosen.length === rows.length;

  async function bulk(action: Bulk, jobs: JobCard[]) {
    setWorking(true);
    const { moved, failed, firstError } = await applyBulk(jobs, action);
    setWorking(false);
    setSelected(new Set());
    void client.invalidateQueries({ queryKey: keys.jobs });
    const verb = bulkVerb(action);
    const noun = (n: number) => `${n} job${n === 1 ? '' : 's'}`;
    if (failed === 0) toast(`${verb} ${noun(moved)}.`, 'success');
    else toast(`${verb} ${moved} of ${noun(moved + failed)}; ${failed} could not be changed: ${describeError(firstError)}`, 'error');
  }

  const onKey = useEffectEvent((e: KeyboardEvent) => {
    const action = shortcutFor(e);
    if (!action || (help && action !== 'close' && action !== 'help')) return;
    const job = rows[active];
    switch (action) {
      case 'next':
      case 'previous': {
        const next = moveActive(active, rows.length, action);
        setActive(next);
        if (next >= 0) links.current.get(rows[next].id)?.focus();
        break;
      }
      case 'open':
        // Enter on a focused link already follows it.
        if (job && e.key === 'o') navigate(`/jobs/${job.id}`);
        return;
      case 'archive':
        if (job && !working) void bulk({ kind: job.status === 'archived' ? 'restore' : 'archive' }, [job]);
        break;
      case 'select':
        if (job) toggle(job.id);
        break;
      case 'search':
        searchRef.current?.focus();
        break;
      case 'help':
        setHelp((h) => !h);
        break;
      case 'close':
        if (!help) return;
        setHelp(false);
        break;
    }
    e.preventDefault();
  });
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKey(e);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);

  return (
    <>
      {chosen.length > 0 && (
        <div role="region" aria-label="Bulk actions" className="mb-2 flex flex-wrap items-center gap-2 rounded-md bg-indigo-50 px-3 py-2 text-sm">
          <span>{chosen.length} selected</span>
          <button type="button" className="btn-secondary" disabled={working} onClick={() => void bulk({ kind: 'archive' }, chosen)}>
            Archive
          </button>
          <button type="button" className="btn-secondary" disabled={working || !chosen.some((j) => j.status === 'archived')} onClick={() => void bulk({ kind: 'restore' }, chosen)}>
            Restore
          </button>
          <select
            aria-label="Set stage of the selected jobs"
            className="input w-auto py-1"
            disabled={working}
            value=""
            onChange={(e) => {
              if (e.target.value) void bulk({ kind: 'stage', stage: e.target.value as Stage }, chosen);
            }}
          >
            <option value="">Set stage…</option>
            <StageOptions />
          </select>
          <button type="button" className="ml-auto text-indigo-700 underline" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      )}
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Jobs" aria-busy={busy}>
          <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
            <tr>
              <th scope="col" className="w-8 px-3 py-2">
                <input
                  type="checkbox"
                  aria-label="Select all shown jobs"
                  checked={allChosen}
                  onChange={() => setSelected(allChosen ? new Set() : new Set(rows.map((j) => j.id)))}
                />
              </th>
              <th scope="col" className="px-3 py-2">Score</th>
              <th scope="col" className="px-3 py-2">Job</th>
              <th scope="col" className="hidden px-3 py-2 md:table-cell">Location</th>
              <th scope="col" className="hidden px-3 py-2 lg:table-cell">Source</th>
              <th scope="col" className="px-3 py-2">Status</th>
              {wide && (
                <th scope="col" className="hidden px-3 py-2 sm:table-cell">
                  Found
                </th>
              )}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rows.map((job, i) => (
              <tr
                key={job.id}
                data-testid="job-row"
                data-job-id={job.id}
                data-status={job.status}
                data-fresh={fresh.has(job.id) || undefined}
                data-active={i === active || undefined}
                className={`transition-colors duration-700 ${fresh.has(job.id) ? 'bg-amber-50' : 'hover:bg-slate-50'} ${
                  i === active ? 'outline-2 -outline-offset-2 outline-indigo-400' : ''
                }`}
              >
                <td className="px-3 py-2">
                  <input type="checkbox" aria-label={`Select ${job.title}`} checked={selected.has(job.id)} onChange={() => toggle(job.id)} />
                </td>
                <td className="px-3 py-2">
                  <ScoreBadge score={job.score} />
                </td>
                <td className="px-3 py-2">
                  <Link
                    ref={(el) => {
                      if (el) links.current.set(job.id, el);
                      else links.current.delete(job.id);
                    }}
                    to={`/jobs/${job.id}`}
                    onFocus={() => setActive(i)}
                    className="font-medium text-indigo-700 hover:underline focus-visible:outline-2 focus-visible:outline-indigo-600"
                  >
                    {job.title}
                  </Link>
                  {fresh.has(job.id) && <span className="ml-2 rounded bg-amber-200 px-1 text-xs text-amber-900">just scored</span>}
                  <JobFacts job={job} />
                </td>
                <td className="hidden px-3 py-2 md:table-cell">{job.location || '—'}</td>
                <td className="hidden px-3 py-2 lg:table-cell">{sourceNames.get(job.sourceId) ?? '—'}</td>
                <td className="px-3 py-2">
                  <StatusBadge status={job.status} />
                </td>
                {wide && <td className="hidden px-3 py-2 whitespace-nowrap text-slate-600 sm:table-cell">{formatDate(job.createdAt)}</td>}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="mt-2 hidden text-xs text-slate-500 sm:block">
        Press <kbd className="rounded border border-slate-300 px-1 font-mono">?</kbd> for keyboard shortcuts.
      </p>
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
    </>
  );
});
