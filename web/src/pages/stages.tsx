// A job's application stage as the dashboard shows and sets it: the one list of stages, its
// labels, the options every stage select offers, and the mutation that sets a job's stage.

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { JobCard, Stage } from '../api/types';
import { useToast } from '../components/Toasts';

export const STAGE_LABELS: Record<Stage, string> = {
  saved: 'Saved',
  applied: 'Applied',
  interviewing: 'Interviewing',
  offer: 'Offer',
  rejected: 'Rejected',
  withdrawn: 'Withdrawn',
};

/** In the order the board shows its columns and every select lists them. */
export const STAGES = Object.keys(STAGE_LABELS) as Stage[];

/** The `<option>`s of a stage select, one per stage; a select adds its own empty option. */
export function StageOptions() {
  return STAGES.map((stage) => (
    <option key={stage} value={stage}>
      {STAGE_LABELS[stage]}
    </option>
  ));
}

/** The most characters a note may have (the API answers 400 past it). */
export const NOTE_MAX_CHARS = 10_000;

type StageMessages = {
  /** The toast once the API has the new stage. */
  done: (job: Pick<JobCard, 'id' | 'title'>, stage: Stage) => string;
  /** The toast when the job changed in the meantime (409); the refetch then shows it as it is. */
  conflict: string;
};

/**
 * Sets one job's stage. Whatever the answer, the job's page and every job list are read
 * again — the board's columns included, which sit under `keys.jobLists` — since a 409 means
 * what the dashboard holds is out of date, and a move changes two columns.
 */
export function useSetStage(messages: StageMessages) {
  const client = useQueryClient();
  const toast = useToast();
  return useMutation({
    mutationFn: ({ job, stage }: { job: Pick<JobCard, 'id' | 'title'>; stage: Stage }) =>
      api.patch<JobCard>(`/v1/jobs/${encodeURIComponent(job.id)}`, { stage }),
    onSuccess: (_, { job, stage }) => toast(messages.done(job, stage), 'success'),
    onError: (error) => toast(error instanceof ApiError && error.status === 409 ? messages.conflict : describeError(error), 'error'),
    onSettled: (_, __, { job }) => {
      void client.invalidateQueries({ queryKey: keys.job(job.id) });
      void client.invalidateQueries({ queryKey: keys.jobLists });
    },
  });
}
