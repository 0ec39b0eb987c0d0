import { describe, expect, it } from 'vitest';
import { moveActive, shortcutFor } from './jobShortcuts';

const press = (key: string, patch: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean; target: EventTarget | null }> = {}) =>
  shortcutFor({ key, altKey: false, ctrlKey: false, metaKey: false, target: document.body, ...patch });

describe('shortcutFor', () => {
  it('maps the list keys', () => {
    expect(['j', 'k', 'o', 'Enter', 'a', 'x', '/', '?', 'Escape'].map((k) => press(k))).toEqual([
      'next', 'previous', 'open', 'open', 'archive', 'select', 'search', 'help', 'close',
    ]);
    expect(press('q')).toBeUndefined();
  });
  it('leaves typing and browser shortcuts alone', () => {
    const input = document.createElement('input');
    expect(press('j', { target: input })).toBeUndefined();
    expect(press('/', { target: document.createElement('textarea') })).toBeUndefined();
    expect(press('a', { ctrlKey: true })).toBeUndefined();
    expect(press('k', { metaKey: true })).toBeUndefined();
    // Escape still closes the help from anywhere.
    expect(press('Escape', { target: input })).toBe('close');
  });
});

describe('moveActive', () => {
  it('starts at the first row and stays inside the list', () => {
    expect(moveActive(-1, 3, 'next')).toBe(0);
    expect(moveActive(0, 3, 'next')).toBe(1);
    expect(moveActive(2, 3, 'next')).toBe(2);
    expect(moveActive(0, 3, 'previous')).toBe(0);
    expect(moveActive(0, 0, 'next')).toBe(-1);
  });
});
