import { describe, expect, it } from 'vitest';
import type { InfiniteData } from '@tanstack/react-query';
import { keys } from '../api/keys';
import type { JobCard, Page, TenantDetail } from '../api/types';
import { newQueryClient } from '../test/utils';
import { applyLiveMessage, resync } from './cache';

const card = (id: string, patch: Partial<JobCard> = {}): JobCard => ({
  id,
  title: `Engineer ${id}`,
  company: 'Acme',
  location: 'Berlin',
  remote: false,
  url: `https://example.com/${id}`,
  sourceId: 's1',
  status: 'queued',
  createdAt: '2026-01-01T00:00:00Z',
  ...patch,
});

function seed() {
  const client = newQueryClient();
  const listKey = keys.jobList({ sort: 'newest' });
  client.setQueryData<InfiniteData<Page<JobCard>>>(listKey, {
    pages: [{ items: [card('a'), card('b')], nextCursor: 'c1' }, { items: [card('c')], nextCursor: null }],
    pageParams: [undefined, 'c1'],
  });
  return { client, listKey };
}

describe('applyLiveMessage', () => {
  it('puts a new score into the row that shows the job, on any page', () => {
    const { client, listKey } = seed();
    const text = applyLiveMessage(client, { type: 'job_scored', data: card('c', { status: 'scored', score: 8 }) });
    const data = client.getQueryData<InfiniteData<Page<JobCard>>>(listKey)!;
    expect(data.pages[1].items[0]).toMatchObject({ id: 'c', status: 'scored', score: 8 });
    expect(data.pages[0].items.map((j) => j.status)).toEqual(['queued', 'queued']);
    expect(text).toBeUndefined(); // announced by the live digest instead
    expect(client.getQueryState(listKey)?.isInvalidated).toBe(false);
  });

  it('refetches the lists when the scored job is not in them (a new row)', () => {
    const { client, listKey } = seed();
    applyLiveMessage(client, { type: 'job_scored', data: card('zz', { status: 'scored', score: 3 }) });
    expect(client.getQueryState(listKey)?.isInvalidated).toBe(true);
  });

  it('refetches lists on jobs_created and names the source', () => {
    const { client, listKey } = seed();
    client.setQueryData(keys.sources, { items: [{ id: 's1', name: 'Acme board' }], nextCursor: null });
    const text = applyLiveMessage(client, { type: 'jobs_created', data: { sourceId: 's1', count: 3 } });
    expect(text).toBe('3 new jobs from Acme board');
    expect(client.getQueryState(listKey)?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.sources)?.isInvalidated).toBe(true);
  });

  it('updates the usage the tenant shows', () => {
    const client = newQueryClient();
    client.setQueryData<Partial<TenantDetail>>(keys.tenant, { id: 't', usage: { period: '2026-01', scoredJobs: 1, limit: 50 } });
    applyLiveMessage(client, { type: 'usage_updated', data: { scoredJobs: 4, limit: 50 } });
    expect(client.getQueryData<TenantDetail>(keys.tenant)?.usage).toEqual({ period: '2026-01', scoredJobs: 4, limit: 50 });
  });
});

describe('resync', () => {
  it('marks every job list and job stale after a reconnect', () => {
    const { client, listKey } = seed();
    client.setQueryData(keys.job('a'), card('a'));
    resync(client);
    expect(client.getQueryState(listKey)?.isInvalidated).toBe(true);
    expect(client.getQueryState(keys.job('a'))?.isInvalidated).toBe(true);
  });
});

describe('a live score and other queries under the list key', () => {
  it('leaves data that is not list pages alone and still updates the lists', () => {
    const { client, listKey } = seed();
    client.setQueryData(['jobs', 'list', { other: true }], { items: [], nextCursor: null });
    expect(() => applyLiveMessage(client, { type: 'job_scored', data: card('c', { status: 'scored', score: 8 }) })).not.toThrow();
    expect(client.getQueryData<InfiniteData<Page<JobCard>>>(listKey)!.pages[1].items[0]).toMatchObject({ score: 8 });
  });
});
