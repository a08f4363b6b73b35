/**
 * Everything the sandbox does before a route runs: the request log, injected latency, policing of
 * the Retry-After it handed out, injected 429 storms and 5xx bursts, authentication, HubSpot's
 * real rate limits (limits.ts) and malformed answers.
 *
 * A request that arrives before an announced Retry-After (or, when 429s carry none, before the
 * block they stood for) is a client bug: it gets another 429 and is recorded in store.violations.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { RetryAfterPolice, retryAfterHeader } from '../../sandbox-kit/retry-after.ts';
import { authenticate, errorBody, type SandboxAuth } from './auth.ts';
import { rateLimitBody, type HubSpotSandboxLimits, type RateLimiter, type RateLimitPolicy } from './limits.ts';
import type { HubSpotSandboxStore } from './store.ts';

export interface HubSpotSandboxFaults {
  /** Every Nth request (counting from the sandbox's start) is answered 429 TEN_SECONDLY_ROLLING. */
  rateLimitEvery: number | null;
  /** Length of an injected 429's block, sent as Retry-After; fractions keep tests fast. */
  retryAfterSeconds: number;
  /** 429s carry no Retry-After, as many of HubSpot's do: clients must wait out the policy's window. */
  omitRetryAfter: boolean;
  /** The next N requests are answered with `errorStatus`. */
  errorBurst: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** Added before every answer. */
  latencyMs: number;
  /** Every OAuth access token is treated as expired. */
  expireTokens: boolean;
  /** 'html': a 200 text/html page; 'missing-fields': records lack required fields; 'bad-json': cut-off JSON. */
  malformed: 'html' | 'missing-fields' | 'bad-json' | null;
  /** After each ticket search page, its first N tickets are deleted (archived) before anyone reads more of them. */
  archiveAfterSearch: number;
}

export const DEFAULT_FAULTS: HubSpotSandboxFaults = {
  rateLimitEvery: null,
  retryAfterSeconds: 1,
  omitRetryAfter: false,
  errorBurst: 0,
  errorStatus: 503,
  latencyMs: 0,
  expireTokens: false,
  malformed: null,
  archiveAfterSearch: 0,
};

export interface SandboxEnv {
  Variables: { tokenKind: 'private_app' | 'oauth'; missingFields: boolean; origin: string };
}

export interface SandboxState {
  store: HubSpotSandboxStore;
  faults: HubSpotSandboxFaults;
  limits: HubSpotSandboxLimits;
  limiter: RateLimiter;
  police: RetryAfterPolice;
  auth: SandboxAuth;
  /** Message text longer than this is answered cut, with truncationStatus TRUNCATED. */
  truncateAt: number;
  /** CRM search refuses to page past this many results (HubSpot: 10,000). */
  searchResultCap: number;
}

const HTML_PAGE =
  '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>HubSpot</title></head>' +
  '<body><h1>Down for maintenance</h1><p>HubSpot is temporarily unavailable.</p></body></html>\n';

/** Endpoints that authenticate with client credentials or the token in the body, not a bearer. */
const UNAUTHENTICATED = [/^\/oauth\/v1\/token$/, /^\/oauth\/v1\/access-tokens\//, /^\/oauth\/v2\/private-apps\/get\/access-token-info$/];

async function bodyForLog(c: Context<SandboxEnv>): Promise<unknown> {
  if (c.req.method !== 'POST' && c.req.method !== 'PATCH') return null;
  const text = await c.req.raw.clone().text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function sandboxMiddleware(state: SandboxState): MiddlewareHandler<SandboxEnv> {
  let counted = 0;

  const tooManyRequests = (c: Context<SandboxEnv>, policy: RateLimitPolicy, blockMs: number, headers: Record<string, string> = {}) => {
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    if (!state.faults.omitRetryAfter && policy !== 'DAILY') c.header('Retry-After', retryAfterHeader(blockMs));
    return c.json(rateLimitBody(policy), 429);
  };
  const intervalHeaders = () => ({ 'X-HubSpot-RateLimit-Interval-Milliseconds': String(state.limits.intervalMs), 'X-HubSpot-RateLimit-Max': String(state.limits.perInterval) });

  /** Answers the request itself when a fault or a failed check applies; undefined lets the route run. */
  const gate = async (c: Context<SandboxEnv>, arrived: number, path: string): Promise<Response | undefined> => {
    const faults = state.faults;
    if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));

    const earlyBy = state.police.check(arrived, { method: c.req.method, path });
    if (earlyBy > 0) return tooManyRequests(c, 'TEN_SECONDLY_ROLLING', earlyBy, intervalHeaders());

    counted++;
    if (faults.rateLimitEvery && counted % faults.rateLimitEvery === 0) {
      const blockMs = faults.retryAfterSeconds * 1000;
      // Measured when the answer is sent, so the block covers the whole Retry-After.
      state.police.block(performance.now() + blockMs);
      return tooManyRequests(c, 'TEN_SECONDLY_ROLLING', blockMs, { ...intervalHeaders(), 'X-HubSpot-RateLimit-Remaining': '0' });
    }

    if (faults.errorBurst > 0) {
      faults.errorBurst--;
      if (faults.errorStatus === 500 || faults.errorStatus === 503) {
        return c.json(errorBody('INTERNAL_ERROR', 'internal error'), faults.errorStatus);
      }
      c.header('Content-Type', 'text/html; charset=utf-8');
      return c.body(`<html><body><h1>${faults.errorStatus} Gateway error</h1><p>cloudflare</p></body></html>`, faults.errorStatus);
    }

    if (UNAUTHENTICATED.some((pattern) => pattern.test(path))) return undefined;
    const auth = authenticate(c.req.header('Authorization'), state.auth, faults.expireTokens);
    if (!auth.ok) return c.json(auth.body, 401);
    c.set('tokenKind', auth.kind);

    const search = c.req.method === 'POST' && /^\/crm\/v3\/objects\/[^/]+\/search$/.test(path);
    const limit = state.limiter.take(performance.now(), search ? 'search' : 'api', auth.kind === 'private_app');
    if (!limit.ok) {
      state.store.overLimit.push({ method: c.req.method, path, query: new URL(c.req.url).search, body: null, time: new Date(), status: 429 });
      state.police.block(performance.now() + limit.retryAfterMs);
      return tooManyRequests(c, limit.policy, limit.retryAfterMs, limit.headers);
    }
    for (const [name, value] of Object.entries(limit.headers)) c.header(name, value);

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
    const body = await bodyForLog(c);
    const log = (status: number) => state.store.requestLog.push({ method: c.req.method, path: url.pathname, query: url.search, body, time: new Date(), status });
    const early = await gate(c, arrived, url.pathname);
    if (early) {
      log(early.status);
      return early;
    }
    await next();
    if (state.faults.malformed === 'bad-json' && c.res.status < 300 && c.res.headers.get('content-type')?.includes('json')) {
      const text = await c.res.text();
      c.res = new Response(text.slice(0, Math.floor(text.length / 2)), { status: c.res.status, headers: c.res.headers });
    }
    log(c.res.status);
  };
}
