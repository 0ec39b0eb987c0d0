import type { Stage } from '../api/types';

export const STAGE_LABELS: Record<Stage, string> = {
  saved: 'Saved',
  applied: 'Applied',
  interviewing: 'Interviewing',
  offer: 'Offer',
  rejected: 'Rejected',
  withdrawn: 'Withdrawn',
};

/** The most characters a note may have (the API answers 400 past it). */
export const NOTE_MAX_CHARS = 10_000;
