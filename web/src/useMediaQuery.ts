import { useCallback, useSyncExternalStore } from 'react';

/** Tailwind's `md` breakpoint: from here the desktop layout (the row of links, the filter fields shown) is built. */
export const MD_UP = '(min-width: 48rem)';

/**
 * Whether the viewport matches `query`, following it as the window is resized. For what
 * a page need not build at all on a phone (not for looks: CSS does that). Where the browser
 * cannot tell (no `matchMedia`), it answers `true`: everything is shown.
 */
export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (changed: () => void) => {
      if (typeof window.matchMedia !== 'function') return () => undefined;
      const list = window.matchMedia(query);
      list.addEventListener('change', changed);
      return () => list.removeEventListener('change', changed);
    },
    [query],
  );
  return useSyncExternalStore(subscribe, () => (typeof window.matchMedia === 'function' ? window.matchMedia(query).matches : true));
}
