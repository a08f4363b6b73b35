/**
 * Everything the sandbox does before a route runs: the request log, injected latency, rate limits
 * (and policing of the Retry-After it hands out), 5xx bursts, authentication and malformed answers.
 *
 * Rate limits follow https://developer.zendesk.com/api-reference/introduction/rate-limits/: every
 * answer carries X-Rate-Limit / X-Rate-Limit-Remaining; a 429 carries Retry-After in seconds and
 * Zendesk's text/plain body. A request that arrives before that Retry-After has passed is a client
 * bug: the sandbox answers it with another 429 and records it in `store.violations`.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { authenticate, type SandboxCredentials } from './auth.ts';
import type { StoredUser, ZendeskSandboxStore } from './store.ts';

export interface ZendeskSandboxFaults {
  /** Every Nth request (counting from the sandbox's start) is answered 429. */
  rateLimitEvery: number | null;
  /** The next N requests are answered 429 (as rateLimitEvery, but for exactly these requests). */
  rateLimitNext: number;
  /** Seconds in the Retry-After of injected 429s; fractions are allowed so tests stay fast. */
  retryAfterSeconds: number;
  /** The next N requests are answered with `errorStatus`. */
  errorBurst: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** Added before every answer. */
  latencyMs: number;
  /** Every OAuth access token is treated as expired. */
  expireTokens: boolean;
  /** 'html': a 200 text/html page instead of JSON; 'missing-fields': records lack documented fields. */
  malformed: 'html' | 'missing-fields' | null;
  /** Only requests with these methods meet injected 429s and 5xx bursts (e.g. ['PUT', 'POST'] for writes); null: all. */
  faultMethods: string[] | null;
}

export const DEFAULT_FAULTS: ZendeskSandboxFaults = {
  rateLimitEvery: null,
  rateLimitNext: 0,
  retryAfterSeconds: 1,
  errorBurst: 0,
  errorStatus: 503,
  latencyMs: 0,
  expireTokens: false,
  malformed: null,
  faultMethods: null,
};

export interface SandboxEnv {
  Variables: { user: StoredUser; origin: string; missingFields: boolean };
}

export interface SandboxState {
  store: ZendeskSandboxStore;
  faults: ZendeskSandboxFaults;
  credentials: SandboxCredentials;
  /** The account's per-minute limit reported in X-Rate-Limit. */
  rateLimitPerMinute: number;
}

/**
 * libuv timers have millisecond resolution and run off a clock cached per loop turn, so a client
 * that waits exactly Retry-After can be measured up to a millisecond early. Not a violation.
 */
const CLOCK_TOLERANCE_MS = 1;

const RATE_LIMIT_BODY = 'Number of allowed API requests per minute exceeded';

const HTML_PAGE =
  '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Zendesk</title></head>' +
  '<body><h1>We will be back soon</h1><p>Zendesk is undergoing scheduled maintenance.</p></body></html>\n';

function formatSeconds(seconds: number): string {
  return Number.isInteger(seconds) ? String(seconds) : String(Math.round(seconds * 1000) / 1000);
}

export function sandboxMiddleware(state: SandboxState): MiddlewareHandler<SandboxEnv> {
  let counted = 0;
  let blockedUntil = 0;
  let windowStart = performance.now();
  let windowCount = 0;

  const tooManyRequests = (c: Context<SandboxEnv>, seconds: number) => {
    c.header('Retry-After', formatSeconds(seconds));
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(RATE_LIMIT_BODY, 429);
  };

  /** Answers the request itself when a fault or a failed check applies; undefined lets the route run. */
  const gate = async (c: Context<SandboxEnv>, arrived: number, path: string): Promise<Response | undefined> => {
    const faults = state.faults;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));

    if (arrived - windowStart >= 60_000) {
      windowStart = arrived;
      windowCount = 0;
    }
    windowCount++;
    c.header('X-Rate-Limit', String(state.rateLimitPerMinute));
    c.header('X-Rate-Limit-Remaining', String(Math.max(0, state.rateLimitPerMinute - windowCount)));

    if (arrived < blockedUntil - CLOCK_TOLERANCE_MS) {
      const waitMs = blockedUntil - arrived;
      state.store.violations.push({ method: c.req.method, path, time: new Date(), allowedAfter: new Date(Date.now() + waitMs) });
      return tooManyRequests(c, Math.max(0.001, waitMs / 1000));
    }

    const injectable = faults.faultMethods === null || faults.faultMethods.includes(c.req.method);
    if (injectable) counted++;
    const nextLimited = injectable && faults.rateLimitNext > 0;
    if (nextLimited) faults.rateLimitNext--;
    if (nextLimited || (injectable && faults.rateLimitEvery && counted % faults.rateLimitEvery === 0)) {
      // Measured when the answer is sent, so the window covers the whole Retry-After.
      blockedUntil = performance.now() + faults.retryAfterSeconds * 1000;
      return tooManyRequests(c, faults.retryAfterSeconds);
    }

    if (injectable && faults.errorBurst > 0) {
      faults.errorBurst--;
      if (faults.errorStatus === 500) return c.json({ error: 'InternalError', description: 'Something went wrong, please try again' }, 500);
      c.header('Content-Type', 'text/html; charset=utf-8');
      return c.body(`<html><body><h1>${faults.errorStatus} Service Unavailable</h1></body></html>`, faults.errorStatus);
    }

    const auth = authenticate(c.req.header('Authorization'), state.credentials, state.store, faults.expireTokens);
    if (!auth.ok) {
      c.header('WWW-Authenticate', auth.wwwAuthenticate);
      return c.json(auth.body, auth.status);
    }
    c.set('user', auth.user);

    if (faults.malformed === 'html') {
      c.header('Content-Type', 'text/html; charset=utf-8');
      return c.body(HTML_PAGE, 200);
    }
    c.set('missingFields', faults.malformed === 'missing-fields');
    return undefined;
  };

  return async (c, next) => {
    const arrived = performance.now();
    const url = new URL(c.req.url);
    c.set('origin', url.origin);
    const log = (status: number) =>
      state.store.requestLog.push({ method: c.req.method, path: url.pathname, query: url.search, time: new Date(), status });
    const early = await gate(c, arrived, url.pathname);
    if (early) {
      log(early.status);
      return early;
    }
    await next();
    log(c.res.status);
  };
}
