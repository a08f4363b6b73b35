/**
 * The one way tuneloop calls Intercom: the official SDK (intercom-client 7) pointed at the
 * workspace's region or a sandbox with its `baseUrl` option, each call wrapped in withRetry and its
 * raw answer parsed with zod. Calls may overlap (the harvest reads a few conversations at once):
 * each call's answer is kept in its own slot, found again through AsyncLocalStorage, and the
 * rate-limit window counts the calls still in flight.
 *
 * How the SDK is used (checked in intercom-client 7.0.3, dist/cjs/BaseClient.d.ts, core/fetcher/):
 * - `baseUrl` points it anywhere ("Specify a custom URL to connect the client to"), so the sandbox
 *   is reached through the SDK's own URL building, headers (Intercom-Version 2.14) and bodies.
 * - `maxRetries: 0`: its own retries back off on 429 without reading X-RateLimit-Reset; withRetry
 *   waits for the reset instead.
 * - `fetch` is ours: it waits while the rate-limit window is spent (X-RateLimit-Remaining/-Reset of
 *   the previous answer), counts every request, and keeps status, headers and body text, so the
 *   answer is parsed here rather than trusted as the SDK's unchecked TypeScript types.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { IntercomClient } from 'intercom-client';
import type { z } from 'zod';
import { boundedBytes } from '../common/attachments.ts';
import { numberHeader, RateWindow, RequestCounter } from '../common/rate-window.ts';
import { withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type VendorLogger } from '../types.ts';
import { contentTypeError, shapeError, statusError, transportError, type Answer } from './errors.ts';
import { baseUrlFor, type IntercomCredentials, type IntercomSettings } from './settings.ts';

const REQUEST_TIMEOUT_S = 60;
/** Share of each 10-second window left to the workspace's other apps. */
const RESERVE_SHARE = 0.05;

export interface IntercomApiOptions {
  retryPolicy?: Partial<RetryPolicy> | undefined;
  log?: VendorLogger | undefined;
}

/** Per-call SDK options: no SDK retries, our timeout, the caller's abort signal. */
export interface CallOptions {
  maxRetries: 0;
  timeoutInSeconds: number;
  abortSignal?: AbortSignal;
}

interface CallSlot {
  last: { answer: Answer } | { error: unknown } | null;
}

export class IntercomApi {
  readonly host: string;
  readonly requests = new RequestCounter();
  private readonly window = new RateWindow(RESERVE_SHARE);
  private readonly client: IntercomClient;
  /** Each call's latest answer (or transport failure), set by `send` inside the call's SDK request. */
  private readonly calls = new AsyncLocalStorage<CallSlot>();
  private inFlight = 0;
  private resetAtMs: number | null = null;

  constructor(settings: IntercomSettings, credentials: IntercomCredentials, private readonly options: IntercomApiOptions = {}) {
    const baseUrl = baseUrlFor(settings);
    this.host = new URL(baseUrl).host;
    this.client = new IntercomClient({ token: credentials.accessToken, baseUrl, maxRetries: 0, timeoutInSeconds: REQUEST_TIMEOUT_S, fetch: (input, init) => this.send(input, init) });
  }

  private async send(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const slot = this.calls.getStore();
    await this.window.beforeCall(init?.signal ?? undefined, this.inFlight);
    this.requests.add();
    this.inFlight++;
    try {
      const response = await fetch(input, init);
      const text = await response.text();
      const headers = response.headers;
      if (slot) slot.last = { answer: { status: response.status, header: (name) => headers.get(name), text } };
      this.observe(headers);
      // The body is read once, here; the SDK gets the same answer to read its own way.
      const empty = response.status === 204 || response.status === 205 || response.status === 304;
      return new Response(empty ? null : text, { status: response.status, statusText: response.statusText, headers });
    } catch (error) {
      if (slot) slot.last = { error };
      throw error;
    } finally {
      this.inFlight--;
    }
  }

  /**
   * An attachment's bytes from its `url`: a signed, expiring link on Intercom's file host, fetched
   * without the access token (the link is its own credential; the token never leaves for another
   * host). Counted as a request, outside the API's rate window; null when larger than `maxBytes`.
   */
  async download(url: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    signal?.throwIfAborted();
    const target = new URL(url);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new VendorError('malformed', `Intercom gave an attachment link that is not http(s) (${target.protocol})`);
    this.requests.add();
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_S * 1000);
    let response: Response;
    try {
      response = await fetch(target, { redirect: 'follow', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw transportError(error, 'download an attachment', target.host);
    }
    if (!response.ok) {
      await response.body?.cancel();
      // 403: the signed link expired or was refused; the next harvest of the conversation gets a fresh one.
      if (response.status === 403 || response.status === 404) throw new VendorError('not_found', `Intercom's file host refused an attachment link (${response.status}) on ${target.host}`, { status: response.status });
      throw statusError({ status: response.status, header: (name) => response.headers.get(name), text: '' }, 'download an attachment', target.host, null);
    }
    return boundedBytes(response, maxBytes);
  }

  /** https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting */
  private observe(headers: Headers): void {
    const remaining = numberHeader(headers.get('x-ratelimit-remaining'));
    const reset = numberHeader(headers.get('x-ratelimit-reset'));
    if (remaining === null || reset === null) return;
    this.resetAtMs = reset * 1000;
    this.window.observe({ limit: numberHeader(headers.get('x-ratelimit-limit')), remaining, resetAtMs: reset * 1000 });
  }

  /** One SDK call, retried (429 until the window resets, 5xx and dropped connections with backoff), parsed. */
  call<T>(what: string, request: (client: IntercomClient, options: CallOptions) => Promise<unknown>, schema: z.ZodType<T>, signal?: AbortSignal, attempts?: number): Promise<T> {
    const policy = attempts === undefined ? this.options.retryPolicy : { ...this.options.retryPolicy, maxAttempts: attempts };
    return withRetry(() => this.once(what, request, schema, signal), {
      policy,
      ...(signal ? { signal } : {}),
      onRetry: ({ attempt, delayMs, error }) => this.options.log?.warn({ vendor: 'intercom', attempt, delayMs, kind: error.kind, status: error.status }, `retrying Intercom call to ${what}`),
    });
  }

  private async once<T>(what: string, request: (client: IntercomClient, options: CallOptions) => Promise<unknown>, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const slot: CallSlot = { last: null };
    const options: CallOptions = { maxRetries: 0, timeoutInSeconds: REQUEST_TIMEOUT_S, ...(signal ? { abortSignal: signal } : {}) };
    try {
      await this.calls.run(slot, () => request(this.client, options));
    } catch (error) {
      // The SDK throws its own errors for non-2xx answers and failed fetches; ours are read from the slot.
      if (signal?.aborted) throw signal.reason;
      if (!slot.last) throw transportError(error, what, this.host);
    }
    const last = slot.last as CallSlot['last'];
    if (!last) throw new Error('the Intercom SDK returned without calling fetch');
    if ('error' in last) {
      if (signal?.aborted) throw signal.reason;
      throw transportError(last.error, what, this.host);
    }
    const { answer } = last;
    if (answer.status < 200 || answer.status >= 300) throw statusError(answer, what, this.host, this.resetAtMs);
    const contentType = answer.header('content-type');
    if (!contentType?.includes('json')) throw contentTypeError(contentType, answer.status, what, this.host);
    let json: unknown;
    try {
      json = JSON.parse(answer.text);
    } catch (error) {
      // A body cut off mid-way (a dropped connection, a proxy's partial page): asking again helps.
      throw new VendorError('transient', `Intercom's answer to ${what} on ${this.host} was cut off (not complete JSON); will retry`, { cause: error });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw shapeError(parsed.error, what, this.host);
    return parsed.data;
  }
}
