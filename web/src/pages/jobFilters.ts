// The jobs list's filters live in the URL (shareable, survive back/forward); this turns
// them into the API's query and says what is wrong with them before anything is sent.

import type { JobStatus, Stage } from '../api/types';
import { JOB_STATUSES } from '../api/types';
import { STAGES } from './stages';
import { dayToRfc3339 } from '../format';
import * as v from '../validation';

export interface JobFilters {
  status: JobStatus | '';
  stage: Stage | '';
  minScore: string;
  maxScore: string;
  from: string;
  to: string;
  sourceId: string;
  q: string;
  sort: 'newest' | 'score';
}

export const FILTER_KEYS: (keyof JobFilters)[] = ['status', 'stage', 'minScore', 'maxScore', 'from', 'to', 'sourceId', 'q', 'sort'];

export function readFilters(params: URLSearchParams): JobFilters {
  const status = params.get('status') ?? '';
  const sort = params.get('sort');
  const stage = params.get('stage') ?? '';
  return {
    stage: (STAGES as string[]).includes(stage) ? (stage as Stage) : '',
    status: (JOB_STATUSES as string[]).includes(status) ? (status as JobStatus) : '',
    minScore: params.get('minScore') ?? '',
    maxScore: params.get('maxScore') ?? '',
    from: params.get('from') ?? '',
    to: params.get('to') ?? '',
    sourceId: params.get('sourceId') ?? '',
    q: params.get('q') ?? '',
    sort: sort === 'score' ? 'score' : 'newest',
  };
}

/** The URL's search params for `filters` (defaults left out). */
export function writeFilters(filters: JobFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key];
    if (value && !(key === 'sort' && value === 'newest')) params.set(key, value);
  }
  return params;
}

export function validateFilters(f: JobFilters): v.Errors {
  const errors: v.Errors = {
    minScore: v.score(f.minScore, 'Minimum score'),
    maxScore: v.score(f.maxScore, 'Maximum score'),
    from: f.from && !dayToRfc3339(f.from) ? 'Use a date like 2026-01-31.' : undefined,
    to: f.to && !dayToRfc3339(f.to) ? 'Use a date like 2026-01-31.' : undefined,
    q: f.q.length > 200 ? 'Search for at most 200 characters.' : undefined,
  };
  if (!errors.minScore && !errors.maxScore && f.minScore && f.maxScore && Number(f.minScore) > Number(f.maxScore)) {
    errors.maxScore = 'The maximum score must not be below the minimum.';
  }
  if (!errors.from && !errors.to && f.from && f.to && f.from > f.to) {
    errors.to = 'The end date must not be before the start date.';
  }
  return errors;
}

/** The API's query for valid filters. */
export function toQuery(f: JobFilters): Record<string, string | undefined> {
  return {
    status: f.status || undefined,
    stage: f.stage || undefined,
    minScore: f.minScore || undefined,
    maxScore: f.maxScore || undefined,
    from: f.from ? dayToRfc3339(f.from) : undefined,
    to: f.to ? dayToRfc3339(f.to, true) : undefined,
    sourceId: f.sourceId || undefined,
    q: f.q.trim() || undefined,
    sort: f.sort,
  };
}
