// Keyboard shortcuts of the jobs list, as a pure mapping from a key press to an action so
// the rules (which keys, when they are ignored) are tested without a browser.

export type ShortcutAction = 'next' | 'previous' | 'open' | 'archive' | 'select' | 'search' | 'help' | 'close';

export const SHORTCUTS: { keys: string; action: string }[] = [
  { keys: 'j / k', action: 'Next / previous job' },
  { keys: 'o or Enter', action: 'Open the job' },
  { keys: 'a', action: 'Archive the job (restore when archived)' },
  { keys: 'x', action: 'Select the job for a bulk action' },
  { keys: '/', action: 'Search' },
  { keys: '?', action: 'Show or hide these shortcuts' },
  { keys: 'Esc', action: 'Close this help' },
];

interface KeyLike {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  target: EventTarget | null;
}

/** True when the key press belongs to a field the user is typing in. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** The action of a key press on the jobs page, or none (typing, modifiers, other keys). */
export function shortcutFor(e: KeyLike): ShortcutAction | undefined {
  if (e.altKey || e.ctrlKey || e.metaKey) return undefined;
  if (e.key === 'Escape') return 'close';
  if (typing(e.target)) return undefined;
  switch (e.key) {
    case 'j':
      return 'next';
    case 'k':
      return 'previous';
    case 'o':
    case 'Enter':
      return 'open';
    case 'a':
      return 'archive';
    case 'x':
      return 'select';
    case '/':
      return 'search';
    case '?':
      return 'help';
    default:
      return undefined;
  }
}

/** The row a move lands on: clamped to the list, starting at the first row. */
export function moveActive(active: number, count: number, action: 'next' | 'previous'): number {
  if (count === 0) return -1;
  if (active < 0) return 0;
  return action === 'next' ? Math.min(active + 1, count - 1) : Math.max(active - 1, 0);
}
