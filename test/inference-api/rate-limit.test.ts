/**
 * The inference API's token buckets (src/models/gateway/rate-limit.ts) with a clock that moves on
 * every read, as it does on a loaded machine: a new bucket must start full, not a little drained.
 */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/models/gateway/rate-limit.ts';

describe('RateLimiter', () => {
  it('a new bucket starts full even when the clock moves between reads', () => {
    let clock = 1_000_000;
    const limiter = new RateLimiter(() => (clock += 7));
    const limits = { requestsPerMinute: 2, tokensPerMinute: null };
    const first = limiter.admit('key', limits, 0);
    expect(first.allowed).toBe(true);
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('1');
    expect(limiter.admit('key', limits, 0).allowed).toBe(true);
    const third = limiter.admit('key', limits, 0);
    expect(third.allowed).toBe(false);
    expect(third.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('refills at the limit per minute and never above it', () => {
    let clock = 0;
    const limiter = new RateLimiter(() => clock);
    const limits = { requestsPerMinute: 60, tokensPerMinute: null };
    for (let i = 0; i < 60; i++) expect(limiter.admit('key', limits, 0).allowed).toBe(true);
    expect(limiter.admit('key', limits, 0).allowed).toBe(false);
    clock += 1_000; // one request's worth
    expect(limiter.admit('key', limits, 0).allowed).toBe(true);
    expect(limiter.admit('key', limits, 0).allowed).toBe(false);
    clock += 3_600_000;
    expect(limiter.admit('key', limits, 0).headers['x-ratelimit-remaining-requests']).toBe('59');
  });
});
