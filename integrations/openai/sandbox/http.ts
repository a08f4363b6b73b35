/**
 * What the OpenAI sandbox does before a route runs: the request log, injected 5xx bursts and 429s
 * (with Retry-After and retry-after-ms, policed: a request that comes back too early is recorded as
 * a violation and refused again), and bearer authentication. Errors use OpenAI's shape:
 * `{"error": {"message", "type", "param", "code"}}` (components/schemas/ErrorResponse).
 * https://platform.openai.com/docs/guides/error-codes#api-errors
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface OpenAISandboxFaults {
  /** Every Nth request is answered 429. */
  rateLimitEvery: number | null;
  /** Seconds in the Retry-After of injected 429s (fractions keep tests fast). */
  retryAfterSeconds: number;
  /** The next N requests are answered with `errorStatus`. */
  errorBurst: number;
  errorStatus: 500 | 502 | 503;
}

export const DEFAULT_FAULTS: OpenAISandboxFaults = { rateLimitEvery: null, retryAfterSeconds: 1, errorBurst: 0, errorStatus: 503 };

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  time: Date;
}

export interface SandboxHttpState {
  apiKey: string;
  faults: OpenAISandboxFaults;
  requestLog: RequestLogEntry[];
  violations: Array<{ method: string; path: string; earlyByMs: number }>;
}

export function openaiError(c: Context, status: ContentfulStatusCode, message: string, options: { type?: string; param?: string | null; code?: string | null } = {}) {
  return c.json({ error: { message, type: options.type ?? 'invalid_request_error', param: options.param ?? null, code: options.code ?? null } }, status);
}

/** libuv timers may fire up to a millisecond early against performance.now(); not a client bug. */
const CLOCK_TOLERANCE_MS = 1;

function mask(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 3)}${'*'.repeat(Math.min(20, key.length - 7))}${key.slice(-4)}`;
}

export function sandboxMiddleware(state: SandboxHttpState): MiddlewareHandler {
  let counted = 0;
  let blockedUntil = 0;

  const gate = (c: Context, arrived: number): Response | undefined => {
    const faults = state.faults;
    if (arrived < blockedUntil - CLOCK_TOLERANCE_MS) {
      state.violations.push({ method: c.req.method, path: c.req.path, earlyByMs: blockedUntil - arrived });
      c.header('retry-after-ms', String(Math.ceil(blockedUntil - arrived)));
      return openaiError(c, 429, 'Rate limit reached: the previous 429 asked you to wait.', { type: 'requests', code: 'rate_limit_exceeded' });
    }
    counted++;
    if (faults.rateLimitEvery && counted % faults.rateLimitEvery === 0) {
      blockedUntil = performance.now() + faults.retryAfterSeconds * 1000;
      c.header('retry-after', String(faults.retryAfterSeconds));
      c.header('retry-after-ms', String(Math.round(faults.retryAfterSeconds * 1000)));
      c.header('x-ratelimit-limit-requests', '500');
      c.header('x-ratelimit-remaining-requests', '0');
      return openaiError(c, 429, 'Rate limit reached for requests. Please try again later.', { type: 'requests', code: 'rate_limit_exceeded' });
    }
    if (faults.errorBurst > 0) {
      faults.errorBurst--;
      return openaiError(c, faults.errorStatus, 'The server had an error while processing your request. Sorry about that!', { type: 'server_error' });
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      return openaiError(c, 401, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
    }
    if (match[1] !== state.apiKey) return openaiError(c, 401, `Incorrect API key provided: ${mask(match[1])}. You can find your API key at https://platform.openai.com/account/api-keys.`, { code: 'invalid_api_key' });
    return undefined;
  };

  return async (c, next) => {
    const early = gate(c, performance.now());
    const log = (status: number) => state.requestLog.push({ method: c.req.method, path: c.req.path, status, time: new Date() });
    if (early) {
      log(early.status);
      return early;
    }
    await next();
    log(c.res.status);
  };
}
