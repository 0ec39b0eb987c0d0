import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobCard } from '../api/types';
import { ScoreDigest, summarise } from './scoreDigest';

function card(id: string, score: number | undefined, title = `Job ${id}`, company = 'Acme'): JobCard {
  return { id, title, company, location: '', remote: false, url: 'https://x', sourceId: 's', status: 'scored', score, createdAt: '2026-11-30T00:00:00Z' } as JobCard;
}

describe('summarise', () => {
  it('names a single scoring as before', () => {
    expect(summarise([card('a', 8, 'Rust Dev')])).toBe('Scored 8/10: Rust Dev at Acme');
  });
  it('counts many and names the best', () => {
    const text = summarise([card('a', 4), card('b', 9, 'Senior Rust Engineer'), card('c', 6)]);
    expect(text).toBe('3 jobs scored — best: 9/10 Senior Rust Engineer at Acme');
  });
  it('leaves out an empty company', () => {
    expect(summarise([card('a', 5, 'Dev', '')])).toBe('Scored 5/10: Dev');
  });
});

describe('ScoreDigest', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('reports scorings that arrive together once, after the window', () => {
    const flushed: string[] = [];
    const digest = new ScoreDigest((text) => flushed.push(text), 1000);
    for (let i = 0; i < 50; i++) digest.add(card(`j${i}`, (i % 10) + 1));
    expect(flushed).toEqual([]);
    vi.advanceTimersByTime(999);
    expect(flushed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(flushed).toEqual(['50 jobs scored — best: 10/10 Job j9 at Acme']);
    // A later, separate scoring is its own toast.
    digest.add(card('late', 3));
    vi.advanceTimersByTime(1000);
    expect(flushed).toHaveLength(2);
    expect(flushed[1]).toBe('Scored 3/10: Job late at Acme');
  });

  it('counts a job scored twice in one window once, with its latest score', () => {
    const flushed: string[] = [];
    const digest = new ScoreDigest((text) => flushed.push(text), 1000);
    digest.add(card('a', 3));
    digest.add(card('a', 9));
    vi.advanceTimersByTime(1000);
    expect(flushed).toEqual(['Scored 9/10: Job a at Acme']);
  });

  it('ignores cards without a score and reports nothing after stop', () => {
    const flushed: string[] = [];
    const digest = new ScoreDigest((text) => flushed.push(text), 1000);
    digest.add(card('a', undefined));
    vi.advanceTimersByTime(2000);
    digest.add(card('b', 5));
    digest.stop();
    vi.advanceTimersByTime(2000);
    expect(flushed).toEqual([]);
  });
});
