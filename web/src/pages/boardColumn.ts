// One board column: the jobs at a stage, read page after page until the column is full.

import type { InfiniteData } from '@tanstack/react-query';
import { request } from '../api/client';
import type { JobCard, Page, Stage } from '../api/types';

/** The most cards a column shows; past it the column says "100+". */
export const COLUMN_SIZE = 100;

/**
 * The most requests one column makes. The stage filter is a filter over an index read of at
 * most 1,000 jobs a request (docs/data-model.md "Application tracking"), so a tenant with
 * many untracked jobs gets short, even empty, pages with a cursor. 20 requests cover the
 * newest 20,000 jobs; a column stopped by this bound still says more remain ("N+").
 */
export const COLUMN_MAX_READS = 20;

export type ColumnPages = InfiniteData<Page<JobCard>, string | undefined>;

/**
 * Follows `nextCursor` until the column holds `COLUMN_SIZE` jobs or the list ends.
 *
 * Archived jobs stay off the board: the list leaves them out unless asked for
 * `status=archived`, and only a person archives a job (nothing archives on its own), so an
 * archived application was put away on purpose. Its stage is kept and shows again on restore.
 *
 * The answer has the shape of an infinite query's pages, like every list under
 * `keys.jobLists`, so live updates (live/cache.ts) replace cards in it as they do in the
 * jobs list.
 */
export async function readColumn(stage: Stage, signal?: AbortSignal): Promise<ColumnPages> {
  const data: ColumnPages = { pages: [], pageParams: [] };
  let cursor: string | undefined;
  let held = 0;
  do {
    // The cursor is bound to the filters, not to the page size: asking only for what is
    // missing keeps the last request from reading past the column's end.
    const page = await request<Page<JobCard>>('/v1/jobs', { query: { stage, limit: COLUMN_SIZE - held, cursor }, signal });
    data.pages.push(page);
    data.pageParams.push(cursor);
    held += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && held < COLUMN_SIZE && data.pages.length < COLUMN_MAX_READS);
  return data;
}

export function columnJobs(data: ColumnPages | undefined): JobCard[] {
  return data?.pages.flatMap((p) => p.items) ?? [];
}

/** Whether the list goes on past the jobs the column holds. */
export function columnGoesOn(data: ColumnPages | undefined): boolean {
  return Boolean(data?.pages.at(-1)?.nextCursor);
}

/** How many jobs the column holds, with "+" when the list goes on past them. */
export function columnCount(data: ColumnPages | undefined): string {
  return `${columnJobs(data).length}${columnGoesOn(data) ? '+' : ''}`;
}
