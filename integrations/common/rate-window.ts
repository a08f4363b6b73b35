/**
 * Slowing down before a vendor's rate limit, not after its 429: each answer's rate-limit headers
 * (what is left of the window and when it resets) are observed, and the next call waits for the
 * reset once what is left has fallen to a reserve. The reserve leaves part of the window to the
 * customer's own agents and apps, who share the quota. One window per limit; a client that runs
 * several calls at once passes how many are in flight, which the vendor has not counted yet (its
 * answers may also come back out of order, so a window keeps the lowest remaining it was told).
 * Times are epoch milliseconds; the clock is a parameter for tests.
 */
import { abortableSleep } from './retry.ts';

export interface WindowReading {
  /** Requests allowed per window, when the vendor says. */
  limit: number | null;
  remaining: number;
  /** When the window resets (epoch ms). */
  resetAtMs: number;
}

export class RateWindow {
  private reading: WindowReading | null = null;
  /** Set once a call waits for the reset: every other call waits for it too. */
  private pausedUntilMs = 0;

  /**
   * @param reserveShare share of the window's limit left untouched (0.05: stop at 5 % left)
   * @param now the clock (Date.now)
   */
  constructor(
    private readonly reserveShare = 0,
    private readonly now: () => number = Date.now,
  ) {}

  observe(reading: WindowReading | null): void {
    if (!reading || !Number.isFinite(reading.remaining) || !Number.isFinite(reading.resetAtMs)) return;
    // An answer to an earlier call of the same window, overtaken by a later one: it knows less.
    const known = this.reading;
    if (known && known.resetAtMs === reading.resetAtMs && known.remaining < reading.remaining) return;
    this.reading = reading;
  }

  /**
   * Milliseconds the next call should wait (0: go now).
   * @param inFlight calls sent and not answered yet, which the last reading does not count
   */
  waitMs(inFlight = 0): number {
    const paused = this.pausedUntilMs - this.now();
    if (paused > 0) return paused;
    const reading = this.reading;
    if (!reading) return 0;
    const reserve = reading.limit === null ? 0 : Math.floor(reading.limit * this.reserveShare);
    if (reading.remaining - inFlight > reserve) return 0;
    return Math.max(0, reading.resetAtMs - this.now());
  }

  /** Waits until the window allows the next call; returns how long it waited. */
  async beforeCall(signal?: AbortSignal, inFlight = 0): Promise<number> {
    const wait = this.waitMs(inFlight);
    if (wait <= 0) return 0;
    // The window is spent until the reset; the next answer tells the new state.
    this.pausedUntilMs = Math.max(this.pausedUntilMs, this.now() + wait);
    this.reading = null;
    await abortableSleep(wait, signal);
    return wait;
  }
}

/** Counts the HTTP requests sent to a vendor; each harvest batch reports those since the last one. */
export class RequestCounter {
  private total = 0;
  private reported = 0;

  add(n = 1): void {
    this.total += n;
  }

  get count(): number {
    return this.total;
  }

  /** Requests since the previous call. */
  take(): number {
    const n = this.total - this.reported;
    this.reported = this.total;
    return n;
  }
}

/** A header value as a finite number, or null. */
export function numberHeader(value: string | null | undefined): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}
