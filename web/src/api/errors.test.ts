import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError, describeError, fieldError } from './errors';

describe('describeError', () => {
  it('says what to do when the network is down', () => {
    expect(describeError(new NetworkError())).toMatch(/cannot reach jobmon/i);
  });

  it('turns each API code into words, never the raw code', () => {
    const cases: [ApiError, RegExp][] = [
      [new ApiError(401, 'unauthorized', 'missing token'), /sign in again/],
      [new ApiError(403, 'forbidden', 'admin only'), /only an admin/i],
      [new ApiError(402, 'plan_limit', 'the free plan allows 3 sources'), /upgrade/i],
      [new ApiError(500, 'internal', 'internal error'), /our side/],
      [new ApiError(404, 'not_found', 'not found'), /could not find/i],
    ];
    for (const [error, words] of cases) {
      const text = describeError(error);
      expect(text).toMatch(words);
      expect(text).not.toContain(error.code);
    }
  });

  it('tells how long to wait on 429', () => {
    expect(describeError(new ApiError(429, 'rate_limited', '', {}, 90))).toBe('Too many requests. Please wait 2 minutes and try again.');
    expect(describeError(new ApiError(429, 'rate_limited', '', {}, 5))).toContain('5 seconds');
  });

  it('names the fields of a validation error in plain words', () => {
    const e = new ApiError(400, 'validation_failed', 'invalid', { 'config.board': 'is required', minSalary: 'must be positive' });
    expect(describeError(e)).toBe('Some fields need attention: board is required; min salary must be positive.');
  });

  it('passes a conflict message through as a sentence', () => {
    expect(describeError(new ApiError(409, 'conflict', 'the last admin cannot be removed'))).toBe('The last admin cannot be removed');
  });
});

describe('fieldError', () => {
  it('finds the problem of one field, capitalised', () => {
    const e = new ApiError(400, 'validation_failed', 'invalid', { password: 'must be 10..=128 characters' });
    expect(fieldError(e, 'password')).toBe('Must be 10..=128 characters');
    expect(fieldError(e, 'email')).toBeUndefined();
    expect(fieldError(new ApiError(409, 'conflict', 'x', { password: 'y' }), 'password')).toBeUndefined();
  });
});
