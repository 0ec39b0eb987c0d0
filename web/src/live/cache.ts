// How a live message changes what the dashboard already holds.

import type { InfiniteData, QueryClient } from '@tanstack/react-query';
import type { JobCard, LiveMessage, Page, Source, TenantDetail, Billing } from '../api/types';
import { keys } from '../api/keys';

type JobPages = InfiniteData<Page<JobCard>>;

/** Replaces the card in every loaded job list; true when some list held it. */
export function replaceCard(client: QueryClient, card: JobCard): boolean {
  let found = false;
  client.setQueriesData<JobPages>({ queryKey: keys.jobLists }, (data) => {
    // Only infinite list pages hold rows; anything else under the key is left alone.
    if (!data || !Array.isArray(data.pages)) return data;
    let changed = false;
    const pages = data.pages.map((page) => ({
      ...page,
      items: page.items.map((item) => {
        if (item.id !== card.id) return item;
        changed = true;
        return { ...item, ...card };
      }),
    }));
    if (!changed) return data;
    found = true;
    return { ...data, pages };
  });
  return found;
}

export function sourceName(client: QueryClient, sourceId: string): string | undefined {
  return client.getQueryData<Page<Source>>(keys.sources)?.items.find((s) => s.id === sourceId)?.name;
}

/** Applies a message to the cache; returns the toast to show at once, if any. */
export function applyLiveMessage(client: QueryClient, message: LiveMessage): string | undefined {
  switch (message.type) {
    case 'job_scored':
    case 'job_updated': {
      const card = message.data;
      const found = replaceCard(client, card);
      // A list that is being fetched may answer with what it read before this change,
      // and one that does not hold the card may need it (a new row, a status filter).
      if (!found || client.isFetching({ queryKey: keys.jobLists }) > 0) {
        void client.invalidateQueries({ queryKey: keys.jobLists });
      }
      void client.invalidateQueries({ queryKey: keys.job(card.id) });
      // Scorings are announced together by the live digest (scoreDigest.ts), not one by one.
      return undefined;
    }
    case 'jobs_created': {
      void client.invalidateQueries({ queryKey: keys.jobLists });
      void client.invalidateQueries({ queryKey: keys.sources });
      const { count, sourceId } = message.data;
      const name = sourceName(client, sourceId);
      return `${count} new job${count === 1 ? '' : 's'}${name ? ` from ${name}` : ''}`;
    }
    case 'usage_updated': {
      const { scoredJobs, limit } = message.data;
      client.setQueryData<TenantDetail>(keys.tenant, (t) => (t ? { ...t, usage: { ...t.usage, scoredJobs, limit } } : t));
      client.setQueryData<Billing>(keys.billing, (b) => (b ? { ...b, usage: { ...b.usage, scoredJobs, limit } } : b));
      return undefined;
    }
    default:
      return undefined;
  }
}

/** After a reconnect: anything could have changed while the socket was down. */
export function resync(client: QueryClient) {
  void client.invalidateQueries({ queryKey: keys.jobs });
  void client.invalidateQueries({ queryKey: keys.sources });
  void client.invalidateQueries({ queryKey: keys.tenant });
  void client.invalidateQueries({ queryKey: keys.billing });
}
