/**
 * Everything the sandbox does before a route runs: the request log, injected latency and faults,
 * authentication, and Intercom's rate limit.
 *
 * Rate limits (https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting): a
 * private app gets 10,000 calls a minute, spread over 10-second windows (1,666 each). Every
 * authenticated answer says X-RateLimit-Limit, -Remaining and -Reset (Unix seconds when the window
 * reopens); a call over the limit gets 429 with error code rate_limit_exceeded and no Retry-After.
 * On by default; `rateLimits: false` lifts them (benchmarks), and tests may shorten the window.
 * The sandbox records every call it refuses for the limit (`overLimit`: a client that reads the
 * headers has none) and every call that arrives after a 429 and before its reset (`violations`).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { timingSafeEqual } from 'node:crypto';
import { RetryAfterPolice } from '../../sandbox-kit/retry-after.ts';
import { errorList } from './json.ts';
import type { IntercomSandboxStore } from './store.ts';

export interface IntercomSandboxFaults {
  /** Added before every answer. */
  latencyMs: number;
  /** Every Nth request is answered 429 (as if the workspace's other apps had used the window). */
  rateLimitEvery: number | null;
  /** The next N requests are answered with `errorStatus`. */
  errorBurst: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** The next N JSON answers are cut off half-way, as a dropped connection leaves them. */
  partialBodies: number;
  /** After each search page, the first N conversations it listed are deleted before anyone reads them. */
  deleteAfterSearch: number;
}

export const DEFAULT_FAULTS: IntercomSandboxFaults = { latencyMs: 0, rateLimitEvery: null, errorBurst: 0, errorStatus: 503, partialBodies: 0, deleteAfterSearch: 0 };

export interface IntercomSandboxLimits {
  enabled: boolean;
  /** Calls per window (10,000 a minute over six 10-second windows). */
  perWindow: number;
  windowMs: number;
}

export const DEFAULT_LIMITS: IntercomSandboxLimits = { enabled: true, perWindow: 1_666, windowMs: 10_000 };

export interface SandboxState {
  store: IntercomSandboxStore;
  faults: IntercomSandboxFaults;
  limits: IntercomSandboxLimits;
  tokens: Set<string>;
}

export interface SandboxEnv {
  Variables: { origin: string };
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function sandboxMiddleware(state: SandboxState): MiddlewareHandler<SandboxEnv> {
  const police = new RetryAfterPolice();
  state.store.violations = police.violations;
  let counted = 0;
  let window = { index: -1, used: 0 };

  const gate = async (c: Context<SandboxEnv>, path: string, body: unknown): Promise<Response | undefined> => {
    const { faults, limits, store } = state;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
    const now = Date.now();
    if (police.check(performance.now(), { method: c.req.method, path }) > 0) {
      return c.json(errorList('rate_limit_exceeded', 'Called again before X-RateLimit-Reset'), 429);
    }

    const header = c.req.header('Authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    if (![...state.tokens].some((known) => same(known, token))) return c.json(errorList('unauthorized', 'Access Token Invalid'), 401);

    counted++;
    if (limits.enabled) {
      const index = Math.floor(now / limits.windowMs);
      if (index !== window.index) window = { index, used: 0 };
      const resetMs = (index + 1) * limits.windowMs;
      window.used++;
      const remaining = Math.max(0, limits.perWindow - window.used);
      c.header('X-RateLimit-Limit', String(limits.perWindow));
      c.header('X-RateLimit-Remaining', String(remaining));
      c.header('X-RateLimit-Reset', String(Math.ceil(resetMs / 1000)));
      if (window.used > limits.perWindow) {
        store.overLimit.push({ method: c.req.method, path, query: new URL(c.req.url).search, body, time: new Date(), status: 429 });
        police.block(performance.now() + (Math.ceil(resetMs / 1000) * 1000 - now));
        return c.json(errorList('rate_limit_exceeded', `Exceeded rate limit of ${limits.perWindow} in ${Math.round(limits.windowMs / 1000)}_seconds`), 429);
      }
    }
    if (faults.rateLimitEvery && counted % faults.rateLimitEvery === 0) {
      const resetS = Math.ceil((now + 1) / 1000);
      c.header('X-RateLimit-Limit', String(limits.perWindow));
      c.header('X-RateLimit-Remaining', '0');
      c.header('X-RateLimit-Reset', String(resetS));
      police.block(performance.now() + (resetS * 1000 - now));
      return c.json(errorList('rate_limit_exceeded', `Exceeded rate limit of ${limits.perWindow} in 10_seconds`), 429);
    }
    if (faults.errorBurst > 0) {
      faults.errorBurst--;
      if (faults.errorStatus === 500) return c.json(errorList('server_error', 'Server Error'), 500);
      c.header('Content-Type', 'text/html; charset=utf-8');
      return c.body(`<html><body><h1>${faults.errorStatus}</h1></body></html>`, faults.errorStatus);
    }
    return undefined;
  };

  return async (c, next) => {
    const url = new URL(c.req.url);
    c.set('origin', url.origin);
    const body: unknown = c.req.method === 'POST' || c.req.method === 'PUT' ? await c.req.raw.clone().json().catch(() => null) : null;
    const log = (status: number) => state.store.requestLog.push({ method: c.req.method, path: url.pathname, query: url.search, body, time: new Date(), status });
    const early = await gate(c, url.pathname, body);
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
