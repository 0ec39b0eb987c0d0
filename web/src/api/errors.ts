// Every failure the dashboard can meet, and how to say it to a person.

/** The API answered with an error body (docs/api.md, "Errors"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Field → problem, for `validation_failed`. */
    readonly details: Record<string, string> = {},
    /** Seconds, from `Retry-After` on 429. */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request never got an answer: offline, DNS, server down. */
export class NetworkError extends Error {
  constructor() {
    super('network');
    this.name = 'NetworkError';
  }
}

/** A sentence a user understands, for any error thrown by the API client. */
export function describeError(error: unknown): string {
  if (error instanceof NetworkError) {
    return 'Cannot reach jobmon. Check your internet connection and try again.';
  }
  if (error instanceof ApiError) {
    switch (error.code) {
      case 'validation_failed': {
        const fields = Object.keys(error.details);
        return fields.length > 0
          ? 'Some fields need attention: ' + fields.map((f) => `${labelOf(f)} ${error.details[f]}`).join('; ') + '.'
          : 'Some of what you entered is not valid. Please check the form.';
      }
      case 'unauthorized':
        return 'Your session has ended. Please sign in again.';
      case 'forbidden':
        return 'Only an admin of your team can do this.';
      case 'not_found':
        return 'We could not find that. It may have been deleted.';
      case 'conflict':
        return error.message ? sentence(error.message) : 'That is not possible in the current state.';
      case 'plan_limit':
        return 'Your plan’s limit is reached. Upgrade on the Billing page to go further.';
      case 'payload_too_large':
        return 'That is too large to send.';
      case 'rate_limited':
        return error.retryAfter
          ? `Too many requests. Please wait ${formatWait(error.retryAfter)} and try again.`
          : 'Too many requests. Please wait a moment and try again.';
      case 'internal':
        return 'Something went wrong on our side. Please try again in a moment.';
      default:
        return error.message ? sentence(error.message) : `The request failed (HTTP ${error.status}).`;
    }
  }
  return 'Something unexpected went wrong. Please reload the page.';
}

/** The problem the API reported for one form field, if any. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (error instanceof ApiError && error.code === 'validation_failed') {
    const problem = error.details[field];
    return problem ? sentence(problem) : undefined;
  }
  return undefined;
}

function labelOf(field: string): string {
  const last = field.split('.').pop() ?? field;
  return last.replace(/([A-Z])/g, ' $1').toLowerCase();
}

function sentence(text: string): string {
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
