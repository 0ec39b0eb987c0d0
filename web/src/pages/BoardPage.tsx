import { useState } from 'react';
import { Link } from 'react-router';
import { useQueries } from '@tanstack/react-query';
import { keys } from '../api/keys';
import type { Stage } from '../api/types';
import { ScoreBadge } from '../components/Badges';
import { PageTitle } from '../components/Layout';
import { ErrorState, Loading } from '../components/States';
import { columnCount, columnGoesOn, columnJobs, readColumn } from './boardColumn';
import { STAGES, STAGE_LABELS, StageOptions, useSetStage } from './stages';

/**
 * Applications by stage. A job moves with the "Move to" select on its card (keyboard and
 * screen readers) or by dragging it onto another column (native drag and drop).
 */
export function BoardPage() {
  const [dropTarget, setDropTarget] = useState<Stage | null>(null);
  const columns = useQueries({
    queries: STAGES.map((stage) => ({
      queryKey: keys.boardColumn(stage),
      queryFn: ({ signal }: { signal: AbortSignal }) => readColumn(stage, signal),
    })),
  });
  const move = useSetStage({
    done: (job, stage) => `${job.title} moved to ${STAGE_LABELS[stage]}.`,
    conflict: 'The job changed in the meantime; the board now shows where it stands.',
  });

  // The title and the how-to are there at once, while the six columns load: on a phone they
  // are the largest text of the first screen, so the page counts as shown when they are.
  const intro = (
    <>
      <PageTitle>Board</PageTitle>
      <p className="mb-4 text-sm text-slate-600">
        Set a job’s stage on its page or here: choose “Move to”, or drag the card onto another column.
      </p>
    </>
  );
  if (columns.some((c) => c.isPending)) {
    return (
      <>
        {intro}
        <Loading label="Loading the board…" />
      </>
    );
  }
  const failed = columns.find((c) => c.isError);
  if (failed) {
    return (
      <>
        {intro}
        <ErrorState error={failed.error} retry={() => failed.refetch()} title="Could not load the board" />
      </>
    );
  }
  const byId = new Map(columns.flatMap((c) => columnJobs(c.data)).map((j) => [j.id, j]));

  return (
    <>
      {intro}
      <div className="grid gap-3 md:grid-cols-3 xl:grid-cols-6">
        {STAGES.map((stage, i) => (
          <section
            key={stage}
            aria-labelledby={`col-${stage}`}
            data-testid={`column-${stage}`}
            className={`rounded-lg border p-2 ${dropTarget === stage ? 'border-indigo-500 bg-indigo-50' : 'border-slate-200 bg-slate-50'}`}
            onDragOver={(e) => {
              e.preventDefault();
              setDropTarget(stage);
            }}
            onDragLeave={() => setDropTarget(null)}
            onDrop={(e) => {
              e.preventDefault();
              setDropTarget(null);
              const job = byId.get(e.dataTransfer.getData('text/plain'));
              if (job && job.stage !== stage) move.mutate({ job, stage });
            }}
          >
            <h2 id={`col-${stage}`} className="mb-2 font-semibold">
              {STAGE_LABELS[stage]} <span className="text-sm font-normal text-slate-500">({columnCount(columns[i].data)})</span>
            </h2>
            <ul className="space-y-2">
              {columnJobs(columns[i].data).map((job) => (
                <li
                  key={job.id}
                  draggable
                  data-testid="board-card"
                  onDragStart={(e) => e.dataTransfer.setData('text/plain', job.id)}
                  className="rounded-md border border-slate-200 bg-white p-2 text-sm shadow-sm"
                >
                  <div className="flex items-start gap-2">
                    <ScoreBadge score={job.score} />
                    <div className="min-w-0">
                      <Link to={`/jobs/${job.id}`} className="font-medium text-indigo-700 hover:underline">
                        {job.title}
                      </Link>
                      <p className="text-slate-600">{job.company}</p>
                    </div>
                  </div>
                  <label className="mt-2 block text-xs text-slate-600">
                    Move to
                    <select
                      className="mt-1 block w-full rounded border-slate-300 text-sm"
                      aria-label={`Move ${job.title} to`}
                      value={stage}
                      disabled={move.isPending}
                      onChange={(e) => move.mutate({ job, stage: e.target.value as Stage })}
                    >
                      <StageOptions />
                    </select>
                  </label>
                </li>
              ))}
            </ul>
            {columnGoesOn(columns[i].data) && (
              <Link to={`/jobs?stage=${stage}`} className="mt-2 block text-sm text-indigo-700 underline">
                All {STAGE_LABELS[stage].toLowerCase()} jobs
              </Link>
            )}
          </section>
        ))}
      </div>
    </>
  );
}
