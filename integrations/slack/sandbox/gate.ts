/**
 * One Web API call through the sandbox, in the order Slack's edge applies things: injected latency
 * and 5xx bursts, argument parsing, the token, rate limits (and policing of the Retry-After handed
 * out), scopes, malformed-answer faults, then the method itself.
 *
 * Slack answers API errors with HTTP 200 and {"ok": false, "error": "…"}; only rate limits use HTTP
 * 429 (body {"ok": false, "error": "ratelimited"}, Retry-After in whole seconds), per method, per
 * workspace, per app (https://docs.slack.dev/apis/web-api/rate-limits). A call to a method before
 * the Retry-After it was given has passed is a client bug: it gets another 429 and is recorded in
 * `store.violations`. Every authenticated answer carries X-OAuth-Scopes (what the token has) and
 * X-Accepted-OAuth-Scopes (what the method takes), which @slack/web-api exposes as
 * response_metadata.scopes / acceptedScopes.
 */
import type { Context } from 'hono';
import type { Json } from './json.ts';
import { readCall } from './params.ts';
import { slackError, type MethodSpec, type SandboxState, type Tier, type TokenGrant } from './state.ts';

/** libuv timers can fire up to a millisecond early against performance.now(); not a violation. */
const CLOCK_TOLERANCE_MS = 1;

const HTML_PAGE =
  '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Slack</title></head>' +
  '<body><h1>Slack is down for maintenance</h1><p>We will be back shortly.</p></body></html>\n';

/** Per method (or method + channel) buckets: counts per window and Retry-After deadlines. */
export class RateLimiter {
  private counted = 0;
  private readonly blockedUntil = new Map<string, number>();
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly state: SandboxState) {}

  /** Seconds to put in Retry-After when this call is refused, else null. */
  check(method: string, key: string, tier: Tier, now: number): number | null {
    const { faults, store } = this.state;
    const blocked = this.blockedUntil.get(key);
    if (blocked !== undefined && now < blocked - CLOCK_TOLERANCE_MS) {
      store.violations.push({ method, time: new Date(), allowedAfter: new Date(Date.now() + (blocked - now)) });
      return Math.max(1, Math.ceil((blocked - now) / 1000));
    }
    this.counted++;
    if (faults.rateLimitEvery && this.counted % faults.rateLimitEvery === 0) return this.block(key, Math.max(1, Math.ceil(faults.retryAfterSeconds)));
    const limits = faults.tierLimits;
    if (!limits) return null;
    const windowMs = limits.windowSeconds * 1000;
    let window = this.windows.get(key);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    window.count++;
    if (window.count <= limits.perWindow[tier]) return null;
    return this.block(key, Math.max(1, Math.ceil((window.start + windowMs - now) / 1000)));
  }

  private block(key: string, seconds: number): number {
    // Measured when the answer leaves, so the window covers the whole Retry-After the client sees.
    this.blockedUntil.set(key, performance.now() + seconds * 1000);
    return seconds;
  }
}

function authenticate(state: SandboxState, token: string | null): { grant: TokenGrant } | { error: string } {
  if (token === null) return { error: 'not_authed' };
  const grant = state.tokens.get(token);
  if (!grant) return { error: 'invalid_auth' };
  if (grant.revoked) return { error: 'token_revoked' };
  return { grant };
}

function answer(c: Context, body: Json, warnings: string[]): Response {
  if (warnings.length > 0) {
    const metadata = typeof body.response_metadata === 'object' && body.response_metadata !== null ? body.response_metadata : {};
    Object.assign(body, { warning: warnings.join(','), response_metadata: { ...metadata, warnings } });
  }
  return c.json(body, 200);
}

/** Answers one call and records it in `store.requestLog` with Slack's error code, if any. */
export async function handleCall(c: Context, state: SandboxState, limiter: RateLimiter, methodName: string, spec: MethodSpec): Promise<Response> {
  const outcome = await gate(c, state, limiter, methodName, spec);
  state.store.requestLog.push({ method: methodName, httpMethod: c.req.method, time: new Date(), status: outcome.response.status, error: outcome.error });
  return outcome.response;
}

async function gate(c: Context, state: SandboxState, limiter: RateLimiter, methodName: string, spec: MethodSpec): Promise<{ response: Response; error: string | null }> {
  const { faults } = state;
  const arrived = performance.now();
  const fail = (body: Json, warnings: string[] = []) => ({ response: answer(c, body, warnings), error: typeof body.error === 'string' ? body.error : null });
  if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
  if (faults.errorBurst > 0) {
    faults.errorBurst--;
    if (faults.errorStatus === 500) return { response: c.json(slackError('internal_error'), 500), error: 'internal_error' };
    c.header('Content-Type', 'text/html; charset=utf-8');
    return { response: c.body(`<html><body><h1>${faults.errorStatus} Service Temporarily Unavailable</h1></body></html>`, faults.errorStatus), error: null };
  }

  const call = await readCall(c, spec.json);
  if (!call.ok) return fail(slackError(call.error));
  const auth = authenticate(state, call.token);
  if ('error' in auth) return fail(slackError(auth.error), call.warnings);
  const { grant } = auth;
  if (!(spec.tokenTypes ?? ['bot']).includes(grant.type)) return fail(slackError('not_allowed_token_type'), call.warnings);
  c.header('X-OAuth-Scopes', [...grant.scopes].sort().join(','));

  const key = spec.rateKey ? `${methodName}:${spec.rateKey(call.params)}` : methodName;
  const retryAfter = limiter.check(methodName, key, spec.tier, arrived);
  if (retryAfter !== null) {
    c.header('Retry-After', String(retryAfter));
    return { response: c.json(slackError('ratelimited'), 429), error: 'ratelimited' };
  }

  const need = spec.scopes(call.params, state);
  if (need) {
    c.header('X-Accepted-OAuth-Scopes', need.accepted.join(','));
    if (!need.accepted.some((scope) => grant.scopes.has(scope))) {
      return fail(slackError('missing_scope', { needed: need.needed, provided: [...grant.scopes].sort().join(',') }), call.warnings);
    }
  }

  if (faults.malformed === 'html') {
    c.header('Content-Type', 'text/html; charset=utf-8');
    return { response: c.body(HTML_PAGE, 200), error: null };
  }
  const origin = new URL(c.req.url).origin;
  const body = spec.run({ params: call.params, state, grant, origin, missingFields: faults.malformed === 'missing-fields' });
  return body.ok === false ? fail(body, call.warnings) : { response: answer(c, body, call.warnings), error: null };
}
