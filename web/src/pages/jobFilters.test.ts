import { describe, expect, it } from 'vitest';
import { readFilters, toQuery, validateFilters, writeFilters } from './jobFilters';

describe('job filters in the URL', () => {
  it('round-trip through the search params, defaults left out', () => {
    const params = new URLSearchParams('status=scored&minScore=7&from=2026-01-02&q=rust&sort=score&bogus=1');
    const f = readFilters(params);
    expect(f).toMatchObject({ status: 'scored', minScore: '7', from: '2026-01-02', q: 'rust', sort: 'score' });
    expect(writeFilters(f).toString()).toBe('status=scored&minScore=7&from=2026-01-02&q=rust&sort=score');
    expect(writeFilters(readFilters(new URLSearchParams('sort=newest'))).toString()).toBe('');
  });

  it('ignores a status that does not exist', () => {
    expect(readFilters(new URLSearchParams('status=deleted')).status).toBe('');
    expect(readFilters(new URLSearchParams('stage=hired')).stage).toBe('');
    expect(toQuery(readFilters(new URLSearchParams('stage=offer'))).stage).toBe('offer');
  });

  it('become the API query with whole UTC days', () => {
    const q = toQuery(readFilters(new URLSearchParams('from=2026-01-02&to=2026-01-05&q=%20go%20')));
    expect(q).toMatchObject({ from: '2026-01-02T00:00:00Z', to: '2026-01-05T23:59:59Z', q: 'go', sort: 'newest', status: undefined });
  });

  it('are checked before anything is sent', () => {
    expect(validateFilters(readFilters(new URLSearchParams('minScore=0')))).toMatchObject({ minScore: expect.stringMatching(/1 to 10/) });
    expect(validateFilters(readFilters(new URLSearchParams('minScore=8&maxScore=3')))).toMatchObject({ maxScore: expect.stringMatching(/not be below/) });
    expect(validateFilters(readFilters(new URLSearchParams('from=2026-02-01&to=2026-01-01')))).toMatchObject({ to: expect.stringMatching(/before/) });
    expect(Object.values(validateFilters(readFilters(new URLSearchParams('minScore=3&maxScore=9')))).filter(Boolean)).toEqual([]);
  });
});
