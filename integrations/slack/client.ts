/**
 * The one way tuneloop calls Slack: a @slack/web-api WebClient pointed at `slackApiUrl`, each call
 * wrapped in withRetry and parsed with zod, and counted (each apiCall is one HTTP request: its own
 * retries are off).
 *
 * Calls at once: Slack sends no rate-limit headers, only 429 with Retry-After once a method's tier
 * is spent. So a harvest reads up to READ_CONCURRENCY threads at once until Slack answers its first
 * 429, and from then on one call at a time (`concurrency`): at that point the tier, not round
 * trips, sets the pace. Any 429 also holds every new call until its Retry-After has passed; only
 * calls already on the wire when the 429 came can arrive before it.
 *
 * Why WebClient's own retries are off (checked in @slack/web-api 8.2.0, dist/WebClient.js
 * makeRequest and dist/retry-policies.js):
 * - On a 429 it sleeps Retry-After inside its request queue (not abortable), then throws so that
 *   p-retry tries again after p-retry's own backoff; the default policy allows ten retries over
 *   about thirty minutes, counting 429s and dropped connections together.
 * - With `rejectRateLimitedCalls: true` it throws WebAPIRateLimitedError(retryAfter) at once
 *   instead, and with `retryConfig: { retries: 0 }` p-retry makes exactly one attempt. Our
 *   withRetry then waits exactly Retry-After (abortable, counted with the shared policy) and backs
 *   off with jitter on 5xx and dropped connections, like every other vendor here.
 * `maxRequestConcurrency` caps calls at once even if a caller forgets to await.
 */
import { LogLevel, WebClient, type Logger } from '@slack/web-api';
import type { z } from 'zod';
import { boundedBytes } from '../common/attachments.ts';
import { RequestCounter } from '../common/rate-window.ts';
import { abortableSleep, withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type VendorLogger } from '../types.ts';
import { shapeError, toVendorError, type CallInfo } from './errors.ts';

export interface SlackApiOptions {
  retryPolicy?: Partial<RetryPolicy>;
  log?: VendorLogger;
}

export type SlackArgs = Record<string, string | number | boolean | undefined>;

const REQUEST_TIMEOUT_MS = 60_000;
/** Thread and user reads at once until the first 429 (see the file comment). */
export const READ_CONCURRENCY = 4;
/** Where Slack keeps shared files (url_private); the bot token goes there and to the API host only. */
const SLACK_FILE_HOST = 'files.slack.com';

/** WebClient's logger, quiet except for warnings, which go to our logger (its debug lines hold bodies). */
function webClientLogger(log: VendorLogger | undefined): Logger {
  let level = LogLevel.WARN;
  const forward = (...parts: unknown[]) => log?.warn({ vendor: 'slack' }, parts.map(String).join(' '));
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: forward,
    error: forward,
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

export class SlackApi {
  readonly host: string;
  readonly requests = new RequestCounter();
  private readonly client: WebClient;
  private limited = false;
  private pausedUntilMs = 0;
  private readonly authorization: string;

  constructor(apiUrl: string, token: string, private readonly options: SlackApiOptions = {}) {
    this.host = new URL(apiUrl).host;
    this.authorization = `Bearer ${token}`;
    // https://docs.slack.dev/tools/node-slack-sdk/web-api/#custom-api-url
    this.client = new WebClient(token, {
      slackApiUrl: apiUrl,
      logger: webClientLogger(options.log),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      maxRequestConcurrency: READ_CONCURRENCY,
      timeout: REQUEST_TIMEOUT_MS,
    });
  }

  /** Calls a harvest may make at once now: READ_CONCURRENCY until Slack's first 429, then 1. */
  get concurrency(): number {
    return this.limited ? 1 : READ_CONCURRENCY;
  }

  /** A call with retries (429 after Retry-After, 5xx and dropped connections with backoff). */
  call<T>(method: string, args: SlackArgs, schema: z.ZodType<T>, call: Omit<CallInfo, 'host'>, signal?: AbortSignal): Promise<T> {
    return withRetry(() => this.once(method, args, schema, call, signal), {
      policy: this.options.retryPolicy,
      ...(signal ? { signal } : {}),
      onRetry: ({ attempt, delayMs, error }) =>
        this.options.log?.warn({ vendor: 'slack', method, attempt, delayMs, kind: error.kind, status: error.status }, `retrying Slack call ${method}`),
    });
  }

  /**
   * A shared file's bytes from its url_private(_download), with the bot token in the Authorization
   * header (https://docs.slack.dev/messaging/working-with-files#authenticating). The token goes only
   * to Slack's file host or the API's own host; a link elsewhere is refused. Slack answers a request
   * it does not accept (no token, no files:read) with its sign-in page, status 200: an HTML answer
   * for a file that is not HTML is that refusal. Null when larger than `maxBytes`.
   */
  async download(url: string, expectedType: string | null, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    signal?.throwIfAborted();
    const target = new URL(url);
    if (target.host !== this.host && target.host !== SLACK_FILE_HOST) throw new VendorError('forbidden', `a Slack file link points at ${target.host}, not at Slack: not downloaded (the bot token stays with Slack)`);
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    let response: Response;
    try {
      // Redirects are followed by hand: the token must not travel to wherever a redirect points.
      response = await fetch(target, { headers: { Authorization: this.authorization }, redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new VendorError('transient', `downloading a Slack file from ${target.host} failed (${error instanceof Error ? error.message : 'dropped'}); will retry`, { cause: error });
    }
    const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw new VendorError('forbidden', `Slack redirected a file download (${response.status}): the bot token was not accepted for files (is files:read granted?)`, { status: response.status });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new VendorError(response.status >= 500 ? 'transient' : response.status === 404 ? 'not_found' : 'forbidden', `Slack refused a file download (${response.status}) on ${target.host}`, { status: response.status });
    }
    if (type === 'text/html' && (expectedType ?? '').toLowerCase() !== 'text/html') {
      await response.body?.cancel();
      throw new VendorError('forbidden', 'Slack answered a file download with its sign-in page: the bot token lacks files:read (add it under OAuth & Permissions and reinstall the app)');
    }
    return boundedBytes(response, maxBytes);
  }

  /** One call, no retries: for connection tests, which must answer quickly and change nothing. */
  async once<T>(method: string, args: SlackArgs, schema: z.ZodType<T>, call: Omit<CallInfo, 'host'>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    // Another call's 429: its Retry-After holds this one too.
    const paused = this.pausedUntilMs - Date.now();
    if (paused > 0) await abortableSleep(paused, signal);
    const info: CallInfo = { ...call, host: this.host };
    let result: unknown;
    try {
      this.requests.add();
      // Undefined arguments are dropped by WebClient's form encoding.
      result = await this.client.apiCall(method, args);
    } catch (error) {
      const vendorError = toVendorError(error, info);
      if (vendorError.kind === 'rate_limited') {
        this.limited = true;
        if (vendorError.retryAfterMs !== null) this.pausedUntilMs = Math.max(this.pausedUntilMs, Date.now() + vendorError.retryAfterMs);
      }
      throw vendorError;
    }
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw shapeError(parsed.error, info);
    return parsed.data;
  }
}
