/**
 * HubSpot's API limits (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details):
 * a rolling per-10-second burst limit and a daily limit per app, reported on every answer in
 * X-HubSpot-RateLimit-Interval-Milliseconds / -Max / -Remaining (and -Daily / -Daily-Remaining for
 * private apps); the CRM search endpoints have their own per-second limit and send no such headers.
 * A refused call gets 429 with a JSON body naming the policy: TEN_SECONDLY_ROLLING, SECONDLY, DAILY.
 *
 * The limits (and their headers) apply when `enforce` is set, the default; lifted, the sandbox
 * behaves like an account without limits (benchmarks). Tests shrink the windows to exercise them.
 */
import { randomUUID } from 'node:crypto';

export interface HubSpotSandboxLimits {
  /** Calls per interval (HubSpot Professional/Enterprise private apps: 190 per 10 s). */
  perInterval: number;
  intervalMs: number;
  /** Calls per day (625,000 for Professional/Enterprise). */
  daily: number;
  /** CRM search calls per search window (HubSpot: 5 per second). */
  searchPerWindow: number;
  searchWindowMs: number;
  enforce: boolean;
}

export const DEFAULT_LIMITS: HubSpotSandboxLimits = {
  perInterval: 190,
  intervalMs: 10_000,
  daily: 625_000,
  searchPerWindow: 5,
  searchWindowMs: 1_000,
  enforce: true,
};

export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

export function rateLimitBody(policy: RateLimitPolicy): Record<string, unknown> {
  const message = { TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.', SECONDLY: 'You have reached your secondly limit.', DAILY: 'You have reached your daily limit.' }[policy];
  return { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName: policy, groupName: 'publicapi:private-app-id' };
}

/** Milliseconds until the next midnight UTC, when the sandbox's daily count resets. */
function untilMidnightUtc(nowEpochMs: number): number {
  const next = new Date(nowEpochMs);
  next.setUTCHours(24, 0, 0, 0);
  return next.getTime() - nowEpochMs;
}

export type LimitOutcome = { ok: true; headers: Record<string, string> } | { ok: false; policy: RateLimitPolicy; retryAfterMs: number; headers: Record<string, string> };

export class RateLimiter {
  private interval: number[] = [];
  private search: number[] = [];
  private day = { key: '', count: 0 };

  constructor(private readonly limits: () => HubSpotSandboxLimits) {}

  /** Counts one call at `now` (performance.now() ms) unless a limit refuses it. */
  take(now: number, kind: 'api' | 'search', privateApp: boolean): LimitOutcome {
    const limits = this.limits();
    if (!limits.enforce) return { ok: true, headers: {} };
    const today = new Date().toISOString().slice(0, 10);
    if (this.day.key !== today) this.day = { key: today, count: 0 };
    this.interval = this.interval.filter((at) => at > now - limits.intervalMs);
    this.search = this.search.filter((at) => at > now - limits.searchWindowMs);

    const headers = (): Record<string, string> => {
      if (kind === 'search') return {};
      const base: Record<string, string> = {
        'X-HubSpot-RateLimit-Interval-Milliseconds': String(limits.intervalMs),
        'X-HubSpot-RateLimit-Max': String(limits.perInterval),
        'X-HubSpot-RateLimit-Remaining': String(Math.max(0, limits.perInterval - this.interval.length)),
      };
      if (!privateApp) return base;
      return { ...base, 'X-HubSpot-RateLimit-Daily': String(limits.daily), 'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, limits.daily - this.day.count)) };
    };

    if (this.day.count >= limits.daily) return { ok: false, policy: 'DAILY', retryAfterMs: untilMidnightUtc(Date.now()), headers: headers() };
    if (kind === 'search' && this.search.length >= limits.searchPerWindow) {
      return { ok: false, policy: 'SECONDLY', retryAfterMs: (this.search[0] ?? now) + limits.searchWindowMs - now, headers: headers() };
    }
    if (kind === 'api' && this.interval.length >= limits.perInterval) {
      return { ok: false, policy: 'TEN_SECONDLY_ROLLING', retryAfterMs: (this.interval[0] ?? now) + limits.intervalMs - now, headers: headers() };
    }
    this.day.count++;
    if (kind === 'search') this.search.push(now);
    else this.interval.push(now);
    return { ok: true, headers: headers() };
  }
}
