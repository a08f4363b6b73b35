/**
 * Everything the sandbox does before a route runs: the request log, injected latency, rate limits
 * (and policing of the Retry-After it hands out), 5xx bursts, authentication and malformed answers.
 *
 * Rate limits follow https://developer.zendesk.com/api-reference/introduction/rate-limits/ and
 * https://developer.zendesk.com/documentation/api-basics/best-practices/best-practices-for-avoiding-rate-limiting:
 * the account's requests per minute (700 on Enterprise) and, on the incremental export endpoints,
 * 10 requests per minute. Every answer says X-Rate-Limit / X-Rate-Limit-Remaining and
 * ratelimit-limit / -remaining / -reset (seconds); export answers add
 * zendesk-ratelimit-incremental-exports: total=10; remaining=9; resets=41, in the form Zendesk
 * documents for its per-endpoint limits. A call over a limit gets 429 with Retry-After in seconds
 * and Zendesk's text/plain body, and is recorded in `store.overLimit` (a client that reads the
 * headers has none). The limits are on by default; `rateLimits: false` lifts them (benchmarks),
 * answering as an account whose limits are never reached. A request that arrives before a
 * Retry-After has passed is a client bug: answered with another 429 and recorded in
 * `store.violations`.
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
  /** The next N JSON answers are cut off half-way, as a dropped connection or a proxy leaves them. */
  partialBodies: number;
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
  partialBodies: 0,
};

export interface ZendeskSandboxLimits {
  enabled: boolean;
  /** The account's requests per window (Enterprise: 700 a minute). */
  perWindow: number;
  /** Requests per window to the incremental export endpoints (10 a minute; 30 with the High Volume add-on). */
  exportsPerWindow: number;
  /** Zendesk's window is a minute; tests shorten it. */
  windowMs: number;
}

export const DEFAULT_LIMITS: ZendeskSandboxLimits = { enabled: true, perWindow: 700, exportsPerWindow: 10, windowMs: 60_000 };

/** What a lifted sandbox reports: an account whose limits are never reached. */
const LIFTED = 1_000_000;

export interface SandboxEnv {
  Variables: { user: StoredUser; origin: string; missingFields: boolean };
}

export interface SandboxState {
  store: ZendeskSandboxStore;
  faults: ZendeskSandboxFaults;
  credentials: SandboxCredentials;
  limits: ZendeskSandboxLimits;
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
  const windows = { account: { start: performance.now(), used: 0 }, exports: { start: performance.now(), used: 0 } };

  const tooManyRequests = (c: Context<SandboxEnv>, seconds: number) => {
    c.header('Retry-After', formatSeconds(seconds));
    c.header('Content-Type', 'text/plain; charset=utf-8');
    return c.body(RATE_LIMIT_BODY, 429);
  };

  /** Answers the request itself when a fault or a failed check applies; undefined lets the route run. */
  const gate = async (c: Context<SandboxEnv>, arrived: number, path: string): Promise<Response | undefined> => {
    const faults = state.faults;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));

    const { limits } = state;
    const exportCall = path.startsWith('/api/v2/incremental/');
    const take = (window: { start: number; used: number }, limit: number) => {
      if (arrived - window.start >= limits.windowMs) {
        window.start = arrived;
        window.used = 0;
      }
      window.used++;
      const resetS = Math.max(1, Math.ceil((window.start + limits.windowMs - arrived) / 1000));
      return { limit: limits.enabled ? limit : LIFTED, remaining: limits.enabled ? Math.max(0, limit - window.used) : LIFTED, over: limits.enabled && window.used > limit, resetS };
    };
    const account = take(windows.account, limits.perWindow);
    c.header('X-Rate-Limit', String(account.limit));
    c.header('X-Rate-Limit-Remaining', String(account.remaining));
    c.header('ratelimit-limit', String(account.limit));
    c.header('ratelimit-remaining', String(account.remaining));
    c.header('ratelimit-reset', String(account.resetS));
    const exports = exportCall ? take(windows.exports, limits.exportsPerWindow) : null;
    if (exports) c.header('zendesk-ratelimit-incremental-exports', `total=${exports.limit}; remaining=${exports.remaining}; resets=${exports.resetS}`);

    if (arrived < blockedUntil - CLOCK_TOLERANCE_MS) {
      const waitMs = blockedUntil - arrived;
      state.store.violations.push({ method: c.req.method, path, time: new Date(), allowedAfter: new Date(Date.now() + waitMs) });
      return tooManyRequests(c, Math.max(0.001, waitMs / 1000));
    }

    const over = account.over ? account : exports?.over ? exports : null;
    if (over) {
      state.store.overLimit.push({ method: c.req.method, path, query: new URL(c.req.url).search, time: new Date(), status: 429 });
      blockedUntil = performance.now() + over.resetS * 1000;
      return tooManyRequests(c, over.resetS);
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
    if (state.faults.partialBodies > 0 && c.res.headers.get('content-type')?.includes('json')) {
      state.faults.partialBodies--;
      const text = await c.res.text();
      const headers = new Headers(c.res.headers);
      headers.delete('content-length');
      c.res = new Response(text.slice(0, Math.floor(text.length / 2)), { status: c.res.status, headers });
    }
  };
}
