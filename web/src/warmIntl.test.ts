import { describe, expect, it, vi } from 'vitest';
import { warmIntl } from './warmIntl';

describe('warmIntl', () => {
  it('starts the warm-up as a module worker of its own', () => {
    const started: { url: string; options?: WorkerOptions }[] = [];
    vi.stubGlobal(
      'Worker',
      class {
        constructor(url: URL, options?: WorkerOptions) {
          started.push({ url: String(url), options });
        }
      },
    );
    warmIntl();
    expect(started).toHaveLength(1);
    expect(new URL(started[0].url).pathname).toMatch(/intlWarmup\.worker\.ts$/);
    expect(started[0].options).toEqual({ type: 'module' });
  });

  it('does nothing where there are no workers, and survives a worker the browser refuses', () => {
    vi.stubGlobal('Worker', undefined);
    expect(() => warmIntl()).not.toThrow();
    vi.stubGlobal(
      'Worker',
      class {
        constructor() {
          throw new DOMException('refused by the content security policy', 'SecurityError');
        }
      },
    );
    expect(() => warmIntl()).not.toThrow();
  });
});

describe('the warm-up worker', () => {
  it('builds the date and number formatters the pages use, then ends itself', async () => {
    const { DateTimeFormat, NumberFormat } = Intl;
    // Called with `new`: a function that returns the real formatter stands in for each constructor.
    const dates = vi.spyOn(Intl, 'DateTimeFormat').mockImplementation(function (locales, options) {
      return new DateTimeFormat(locales, options);
    } as typeof Intl.DateTimeFormat);
    const numbers = vi.spyOn(Intl, 'NumberFormat').mockImplementation(function (locales, options) {
      return new NumberFormat(locales, options);
    } as typeof Intl.NumberFormat);
    const close = vi.spyOn(self, 'close').mockImplementation(() => undefined);
    await import('./intlWarmup.worker');
    // formatDate's and formatDay's options; a compact currency and a compact plain figure.
    expect(dates.mock.calls.map(([, options]) => Object.keys(options ?? {}).sort().join())).toEqual(['day,hour,minute,month,year', 'day,month']);
    expect(numbers.mock.calls.map(([, options]) => options?.style ?? 'plain')).toEqual(['currency', 'plain']);
    expect(close).toHaveBeenCalledOnce();
  });
});
