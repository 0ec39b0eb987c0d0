// Checks run before a form is sent; the API checks again and its field errors win.

export type Errors = Record<string, string | undefined>;

export function hasErrors(errors: Errors): boolean {
  return Object.values(errors).some(Boolean);
}

export function email(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Enter your e-mail address.';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) return 'This does not look like an e-mail address.';
  return undefined;
}

export function password(value: string): string | undefined {
  if (value.length < 10) return 'Use at least 10 characters.';
  if (value.length > 128) return 'Use at most 128 characters.';
  return undefined;
}

export function required(value: string, what: string): string | undefined {
  return value.trim() ? undefined : `Enter ${what}.`;
}

export function httpUrl(value: string): string | undefined {
  try {
    const u = new URL(value.trim());
    return u.protocol === 'https:' || u.protocol === 'http:' ? undefined : 'Use an http:// or https:// address.';
  } catch {
    return 'Enter a full address, starting with https://';
  }
}

export function score(value: string, label: string): string | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 10 ? undefined : `${label} must be a whole number from 1 to 10.`;
}
