import { describe, expect, it } from 'vitest';
import { parseRetryAfter, withRetry } from '../../integrations/common/retry.ts';
import { VendorError } from '../../integrations/types.ts';

/** The vendor retry loop (p-retry underneath): which errors retry, how long it waits, when it stops. */
describe('withRetry', () => {
  const fast = { baseDelayMs: 1, maxDelayMs: 4 };

  it('waits exactly the Retry-After a 429 asked for, then succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async (attempt) => {
        calls++;
        if (attempt < 3) throw new VendorError('rate_limited', 'slow down', { status: 429, retryAfterMs: 7 });
        return 'ok';
      },
      { policy: fast, onRetry: ({ delayMs }) => waits.push(delayMs) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toEqual([7, 7]);
  });

  it('backs off exponentially with full jitter (half the ceiling plus a random half), capped', async () => {
    const waits: number[] = [];
    await expect(
      withRetry(
        async () => {
          throw new VendorError('transient', 'HTTP 503', { status: 503 });
        },
        { policy: { maxAttempts: 5, baseDelayMs: 2, maxDelayMs: 8 }, random: () => 1, onRetry: ({ delayMs }) => waits.push(delayMs) },
      ),
    ).rejects.toThrow('HTTP 503');
    expect(waits).toEqual([2, 4, 8, 8]);
  });

  it('stops after maxAttempts and throws the last error', async () => {
    let calls = 0;
    const error = await withRetry(
      async (attempt) => {
        calls++;
        throw new VendorError('network', `reset ${attempt}`);
      },
      { policy: { ...fast, maxAttempts: 3 } },
    ).catch((thrown: unknown) => thrown);
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(VendorError);
    expect((error as Error).message).toBe('reset 3');
  });

  it('never retries what cannot succeed (auth, validation, other errors)', async () => {
    for (const thrown of [new VendorError('auth', 'bad token', { status: 401 }), new Error('bug')]) {
      let calls = 0;
      await expect(
        withRetry(async () => {
          calls++;
          throw thrown;
        }, { policy: fast }),
      ).rejects.toBe(thrown);
      expect(calls).toBe(1);
    }
  });

  it('gives up during a wait when the signal aborts, with the signal\'s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('harvest cancelled');
    const pending = withRetry(
      async () => {
        queueMicrotask(() => controller.abort(reason));
        throw new VendorError('rate_limited', 'slow down', { status: 429, retryAfterMs: 60_000 });
      },
      { signal: controller.signal },
    );
    await expect(pending).rejects.toBe(reason);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeNull();
    expect(parseRetryAfter(null)).toBeNull();
  });
});
