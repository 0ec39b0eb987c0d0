// The first Intl formatter a page builds costs 30–80 ms on this machine's Chromium, a hundred
// times the next one: ICU loads and resolves the locale's data then. ICU keeps that data for
// the whole renderer process, worker threads included, so a worker that builds the dashboard's
// formatters at start-up pays it off the main thread, while the session and the page's data
// are still on their way; measured, the main thread's first formatter then takes under 1 ms
// instead of a long task in the middle of the first list's render (and, in Lighthouse's
// 4× throttled replay, well over 100 ms of blocking time).

/** Starts the warm-up worker, where the browser has workers; a failure only loses the head start. */
export function warmIntl(): void {
  if (typeof Worker === 'undefined') return;
  try {
    // Written out in the call, as Vite recognises a worker to bundle.
    new Worker(new URL('./intlWarmup.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    // Formatters are then built on first use, as without the worker.
  }
}
