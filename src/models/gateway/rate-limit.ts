/**
 * Per-token rate limits on the inference API: requests and tokens per minute, as token buckets
 * that refill continuously (a full minute's allowance at most). A request reserves its estimated
 * tokens (prompt + max_tokens); the answer's real count settles the difference. The headers are
 * OpenAI's `x-ratelimit-*`, so clients that back off on them (the openai SDKs do) work unchanged.
 * Buckets live in this process: with N hub replicas behind a balancer a token gets up to N× its
 * limit; put the limit per replica or pin tokens to replicas where that matters.
 */
export interface Limits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

interface Bucket {
  capacity: number;
  level: number;
  updatedAt: number;
}

export interface Admission {
  allowed: boolean;
  headers: Record<string, string>;
  /** Seconds until the request would fit (when refused). */
  retryAfterSeconds: number;
}

function refill(bucket: Bucket, now: number): void {
  // A clock read before the bucket was made must not drain it (remaining 1 became 0 under load).
  const elapsed = Math.max(0, now - bucket.updatedAt);
  bucket.level = Math.min(bucket.capacity, bucket.level + (elapsed / 60_000) * bucket.capacity);
  bucket.updatedAt = Math.max(now, bucket.updatedAt);
}

/** "1s", "6m0s": OpenAI's reset format. */
function duration(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  return whole >= 60 ? `${Math.floor(whole / 60)}m${whole % 60}s` : `${whole}s`;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { requests: Bucket | null; tokens: Bucket | null }>();

  constructor(private readonly now: () => number = Date.now) {}

  private bucketsFor(key: string, limits: Limits, now: number) {
    let entry = this.buckets.get(key);
    const make = (capacity: number | null): Bucket | null => (capacity ? { capacity, level: capacity, updatedAt: now } : null);
    if (!entry || entry.requests?.capacity !== (limits.requestsPerMinute ?? undefined) || entry.tokens?.capacity !== (limits.tokensPerMinute ?? undefined)) {
      entry = { requests: make(limits.requestsPerMinute), tokens: make(limits.tokensPerMinute) };
      this.buckets.set(key, entry);
    }
    return entry;
  }

  /** Takes one request and `tokens` from the key's buckets, or refuses without taking anything. */
  admit(key: string, limits: Limits, tokens: number): Admission {
    if (!limits.requestsPerMinute && !limits.tokensPerMinute) return { allowed: true, headers: {}, retryAfterSeconds: 0 };
    const now = this.now();
    const { requests, tokens: tokenBucket } = this.bucketsFor(key, limits, now);
    let wait = 0;
    if (requests) {
      refill(requests, now);
      if (requests.level < 1) wait = Math.max(wait, ((1 - requests.level) / requests.capacity) * 60);
    }
    const wanted = tokenBucket ? Math.min(tokens, tokenBucket.capacity) : 0;
    if (tokenBucket) {
      refill(tokenBucket, now);
      if (tokenBucket.level < wanted) wait = Math.max(wait, ((wanted - tokenBucket.level) / tokenBucket.capacity) * 60);
    }
    const allowed = wait === 0;
    if (allowed) {
      if (requests) requests.level -= 1;
      if (tokenBucket) tokenBucket.level -= wanted;
    }
    const headers: Record<string, string> = {};
    if (requests) {
      headers['x-ratelimit-limit-requests'] = String(requests.capacity);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, Math.floor(requests.level)));
      headers['x-ratelimit-reset-requests'] = duration(((requests.capacity - requests.level) / requests.capacity) * 60);
    }
    if (tokenBucket) {
      headers['x-ratelimit-limit-tokens'] = String(tokenBucket.capacity);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, Math.floor(tokenBucket.level)));
      headers['x-ratelimit-reset-tokens'] = duration(((tokenBucket.capacity - tokenBucket.level) / tokenBucket.capacity) * 60);
    }
    return { allowed, headers, retryAfterSeconds: Math.ceil(wait) };
  }

  /** Settles a reservation with the real token count (a refund when the answer was shorter). */
  settle(key: string, reserved: number, used: number): void {
    const bucket = this.buckets.get(key)?.tokens;
    if (!bucket) return;
    bucket.level = Math.min(bucket.capacity, bucket.level + reserved - used);
  }
}
