// Building an Intl formatter costs far more than using one (locale data is resolved each
// time), and `toLocaleString(locale, options)` builds one per call: a list of 25 jobs spent
// a fifth of its first render there. Each formatter is built on first use and kept; keyed by
// its options, since the browser's locale does not change while the page lives.
const formatters = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();

function dateFormat(options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `date:${JSON.stringify(options)}`;
  let format = formatters.get(key) as Intl.DateTimeFormat | undefined;
  if (!format) formatters.set(key, (format = new Intl.DateTimeFormat(undefined, options)));
  return format;
}

/** Throws a RangeError, as `new Intl.NumberFormat` does, for a currency code Intl does not know. */
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `number:${JSON.stringify(options)}`;
  let format = formatters.get(key) as Intl.NumberFormat | undefined;
  if (!format) formatters.set(key, (format = new Intl.NumberFormat(undefined, options)));
  return format;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return dateFormat({ year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d);
}

export function formatDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat({ month: 'short', day: 'numeric' }).format(d);
}

/** A `YYYY-MM-DD` date input value as the start (or end) of that UTC day, RFC 3339. */
export function dayToRfc3339(day: string, end = false): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  return end ? `${day}T23:59:59Z` : `${day}T00:00:00Z`;
}

export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

const PER: Record<string, string> = { year: '/yr', month: '/mo', week: '/wk', day: '/day', hour: '/h' };

/** A pay amount, short: "€65K" ("65K" without a currency, "65K XYZ" for a code Intl does not know). */
function shortAmount(amount: number, currency: string | null | undefined): string {
  if (currency) {
    try {
      return numberFormat({ style: 'currency', currency, notation: 'compact', minimumFractionDigits: 0, maximumFractionDigits: 1 }).format(amount);
    } catch {
      // An unknown code: the figure with the code after it.
    }
  }
  const figure = numberFormat({ notation: 'compact', maximumFractionDigits: 1 }).format(amount);
  return currency ? `${figure} ${currency}` : figure;
}

/** A published pay range in a few characters: "€65K–€80K/yr", "from $140K/yr", "up to £50/h". */
export function formatSalary(salary: { min?: number | null; max?: number | null; currency?: string | null; interval?: string | null } | null | undefined): string | null {
  if (!salary) return null;
  const { min, max, currency, interval } = salary;
  const per = (interval && PER[interval]) ?? '';
  if (min != null && max != null && min !== max) return `${shortAmount(min, currency)}–${shortAmount(max, currency)}${per}`;
  if (min != null) return `${max == null ? 'from ' : ''}${shortAmount(min, currency)}${per}`;
  if (max != null) return `up to ${shortAmount(max, currency)}${per}`;
  return null;
}

const WORK_MODE_LABELS = { remote: 'Remote', hybrid: 'Hybrid', onsite: 'On-site' } as const;

/** The card's work mode; older cards only say whether the job is remote. */
export function workModeLabel(job: { workMode?: keyof typeof WORK_MODE_LABELS | null; remote: boolean }): string | null {
  if (job.workMode) return WORK_MODE_LABELS[job.workMode];
  return job.remote ? WORK_MODE_LABELS.remote : null;
}
