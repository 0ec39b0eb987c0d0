import { describe, expect, it, vi } from 'vitest';
import { formatDate, formatDay, formatSalary } from './format';

/** Counts constructions of an Intl formatter while still building real ones. */
function counted(name: 'DateTimeFormat' | 'NumberFormat') {
  const Real = Intl[name] as unknown as new (...args: unknown[]) => object;
  return vi.spyOn(Intl, name).mockImplementation(function (...args: unknown[]) {
    return new Real(...args);
  } as never);
}

describe('formatDate and formatDay', () => {
  it('read as toLocaleString does with the same options', () => {
    const iso = '2026-11-30T09:05:00Z';
    const d = new Date(iso);
    expect(formatDate(iso)).toBe(d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }));
    expect(formatDay(iso)).toBe(d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }));
  });

  it('answer a dash (or the text itself) for a missing or unreadable date', () => {
    expect(formatDate(null)).toBe('—');
    expect(formatDate('not a date')).toBe('—');
    expect(formatDay('not a date')).toBe('not a date');
  });

  it('build one formatter for a list of 25 dates, not one per date', async () => {
    vi.resetModules();
    const fresh = await import('./format');
    const built = counted('DateTimeFormat');
    for (let day = 1; day <= 25; day++) fresh.formatDate(`2026-11-${String(day).padStart(2, '0')}T10:00:00Z`);
    expect(built).toHaveBeenCalledTimes(1);
  });
});

describe('formatSalary', () => {
  it('writes a range, a lower or an upper bound, per interval', () => {
    expect(formatSalary({ min: 85000, max: 105000, currency: 'EUR', interval: 'year' })).toMatch(/^€85K–€105K\/yr$/);
    expect(formatSalary({ min: 75000, max: null, currency: 'EUR', interval: 'year' })).toMatch(/^from €75K\/yr$/);
    expect(formatSalary({ min: null, max: 50, currency: 'GBP', interval: 'hour' })).toMatch(/^up to £50\/h$/);
    expect(formatSalary({ min: null, max: null, currency: 'EUR' })).toBeNull();
    expect(formatSalary(undefined)).toBeNull();
  });

  it('keeps working after a currency code Intl does not know, and for the next known one', () => {
    expect(formatSalary({ min: 65000, max: 80000, currency: 'XQZ1', interval: 'year' })).toBe('65K XQZ1–80K XQZ1/yr');
    expect(formatSalary({ min: 65000, max: 80000, currency: 'XQZ1', interval: 'year' })).toBe('65K XQZ1–80K XQZ1/yr');
    expect(formatSalary({ min: 65000, max: 65000, currency: 'USD', interval: 'month' })).toMatch(/^\$65K\/mo$/);
    expect(formatSalary({ min: 65000, max: 80000, currency: null })).toBe('65K–80K');
  });

  it('builds one number formatter for a list of 25 salaries in one currency', async () => {
    vi.resetModules();
    const fresh = await import('./format');
    const built = counted('NumberFormat');
    for (let i = 0; i < 25; i++) fresh.formatSalary({ min: 1000 + i, max: 2000 + i, currency: 'CHF', interval: 'year' });
    expect(built).toHaveBeenCalledTimes(1);
  });
});
