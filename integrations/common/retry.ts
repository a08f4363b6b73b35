/**
 * One retry loop for every vendor call (p-retry): honour Retry-After exactly, back off with full
 * jitter on transient failures, give up after a bounded number of attempts. Calls run one at a time.
 */
import pRetry from 'p-retry';
import { VendorError } from '../types.ts';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000 };

export interface RetryOptions {
  policy?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; delayMs: number; error: VendorError }) => void;
  random?: () => number;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Delay before the next attempt: never earlier than the vendor asked, else exponential with full jitter. */
export function retryDelayMs(error: VendorError, attempt: number, policy: RetryPolicy, random = Math.random): number {
  if (error.retryAfterMs !== null) return error.retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The retry loop is p-retry's (attempt budget, abort signal, which errors retry). Its own backoff is
 * set to zero because it has no per-error delay: a 429's Retry-After must be waited exactly, so the
 * wait happens in `shouldRetry` (p-retry awaits it, and it is called only when a retry is left).
 */
export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  return pRetry(operation, {
    retries: Math.max(0, policy.maxAttempts - 1),
    minTimeout: 0,
    maxTimeout: 0,
    randomize: false,
    ...(options.signal ? { signal: options.signal } : {}),
    shouldRetry: async ({ error, attemptNumber }) => {
      if (!(error instanceof VendorError) || !error.retryable) return false;
      const delayMs = retryDelayMs(error, attemptNumber, policy, options.random);
      options.onRetry?.({ attempt: attemptNumber, delayMs, error });
      await abortableSleep(delayMs, options.signal);
      return true;
    },
  });
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
