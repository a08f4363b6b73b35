/**
 * For loopback sandboxes: remembers the end of the last Retry-After (or rate-limit block) a sandbox
 * handed out, and records every request that arrives before it as a violation, so tests can prove
 * a client never hammers. Times are performance.now() milliseconds.
 */

export interface RetryAfterViolation {
  method: string;
  path: string;
  time: Date;
  /** When the block the sandbox had announced was over. */
  allowedAfter: Date;
}

/**
 * libuv timers have millisecond resolution and run off a clock cached per loop turn, so a client
 * that waits exactly Retry-After can be measured up to a millisecond early. Not a violation.
 */
const CLOCK_TOLERANCE_MS = 1;

export class RetryAfterPolice {
  readonly violations: RetryAfterViolation[] = [];
  private blockedUntil = 0;

  /** Announces that no request may arrive before `untilMs`; a longer block already in force stays. */
  block(untilMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, untilMs);
  }

  /** Milliseconds the caller still had to wait (and records the violation), or 0 when it was allowed. */
  check(arrivedMs: number, request: { method: string; path: string }): number {
    if (arrivedMs >= this.blockedUntil - CLOCK_TOLERANCE_MS) return 0;
    const waitMs = this.blockedUntil - arrivedMs;
    this.violations.push({ ...request, time: new Date(), allowedAfter: new Date(Date.now() + waitMs) });
    return waitMs;
  }
}

/** Seconds for a Retry-After header: whole seconds as integers, fractions (fast tests) to the millisecond. */
export function retryAfterHeader(ms: number): string {
  const seconds = Math.max(0.001, ms / 1000);
  return Number.isInteger(seconds) ? String(seconds) : String(Math.ceil(seconds * 1000) / 1000);
}
