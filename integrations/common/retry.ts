/**
 * One retry loop for every vendor call: honour Retry-After exactly, back off with full jitter on
 * transient failures, give up after a bounded number of attempts. Calls run one at a time.
 */
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

export async function withRetry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.policy };
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!(error instanceof VendorError) || !error.retryable || attempt >= policy.maxAttempts) throw error;
      const delayMs = retryDelayMs(error, attempt, policy, options.random);
      options.onRetry?.({ attempt, delayMs, error });
      await abortableSleep(delayMs, options.signal);
    }
  }
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
