// Calm live updates: scorings that arrive together become one toast, not one each.
//
// A fetch of 50 postings is scored within seconds; a toast per scoring would stack over
// the list (on a phone, over all of it). The digest collects the scorings that arrive
// within `windowMs` of the first and then reports them once, naming the best.

import type { JobCard } from '../api/types';

/** A strong match: the band the dashboard counts in the tab title. */
export const STRONG_SCORE = 7;

function who(card: Pick<JobCard, 'title' | 'company'>): string {
  return `${card.title}${card.company ? ` at ${card.company}` : ''}`;
}

/** The toast text for scorings that arrived together (at least one, each with a score). */
export function summarise(cards: readonly JobCard[]): string {
  const best = cards.reduce((a, b) => ((b.score ?? 0) > (a.score ?? 0) ? b : a));
  if (cards.length === 1) return `Scored ${best.score}/10: ${who(best)}`;
  return `${cards.length} jobs scored — best: ${best.score}/10 ${who(best)}`;
}

export class ScoreDigest {
  private pending: JobCard[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly onFlush: (text: string, cards: JobCard[]) => void,
    private readonly windowMs = 1500,
  ) {}

  /** Adds one scoring; the first of a quiet spell starts the window. */
  add(card: JobCard) {
    if (card.score === undefined) return;
    // The same job scored twice in one window (a rescore) counts once, with its latest score.
    this.pending = [...this.pending.filter((c) => c.id !== card.id), card];
    this.timer ??= setTimeout(() => this.flush(), this.windowMs);
  }

  flush() {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const cards = this.pending;
    this.pending = [];
    if (cards.length > 0) this.onFlush(summarise(cards), cards);
  }

  /** Drops what is pending without reporting it (sign-out, unmount). */
  stop() {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
