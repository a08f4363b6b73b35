/**
 * The one way tuneloop calls Zendesk: a node-zendesk client (auth header, URL assembly, user agent,
 * fetch) driven through its Transporter, one call at a time, each wrapped in withRetry and parsed
 * with zod.
 *
 * Why the Transporter and not node-zendesk's resource methods (checked in node-zendesk 6.0.1's
 * src/clients/client.js, transporter.js and helpers.js):
 * - `Client.request()` throws on 429 with "Zendesk rate limits 200 requests per minute" and drops
 *   the Retry-After value, and returns 5xx statuses it has no name for (502, 504) as if they were
 *   results. We need the status and the headers of every answer.
 * - `getAll()`/`incremental*()` follow every page inside one call and stop the incremental export
 *   when a page has fewer than 1000 tickets; a harvest must yield each page with its cursor.
 * - `ticketexport.exportCursor(start, cursor)` sends `cursor=undefined` on the first call.
 * `transporter.request(method, pathParts, body)` returns `{ response, result }` untouched, so we
 * read status, headers and body ourselves.
 *
 * Every request is counted (the harvest reports the count with each batch), and the next one waits
 * once the last answer said a limit is (nearly) spent: the account's limit from ratelimit-remaining
 * and ratelimit-reset (or X-Rate-Limit-Remaining, with a minute as the reset), the incremental
 * exports' own 10 a minute from zendesk-ratelimit-incremental-exports, or, when an export answer
 * lacks that header, from our own count of the last minute's export calls.
 * https://developer.zendesk.com/documentation/api-basics/best-practices/best-practices-for-avoiding-rate-limiting
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import zendesk from 'node-zendesk';
import type { z } from 'zod';
import { boundedBytes } from '../common/attachments.ts';
import { numberHeader, RateWindow, RequestCounter } from '../common/rate-window.ts';
import { abortableSleep, withRetry, type RetryPolicy } from '../common/retry.ts';
import type { VendorLogger } from '../types.ts';
import { contentTypeError, shapeError, statusError, transportError, type AuthKind } from './errors.ts';
import { endpointUriFor, type ZendeskCredentials, type ZendeskSettings } from './settings.ts';

type Transporter = ReturnType<typeof zendesk.createClient>['tickets']['transporter'];

/** A path as node-zendesk assembles it: segments, then an optional query object last. */
export type ZendeskPath = (string | number | Record<string, unknown>)[];

export interface ZendeskApiOptions {
  retryPolicy?: Partial<RetryPolicy>;
  log?: VendorLogger;
  /** Incremental export calls a minute when Zendesk does not say (10; 30 with the High Volume API add-on). */
  exportsPerMinute?: number;
}

/** Share of the account's window left to the customer's other apps and integrations. */
const RESERVE_SHARE = 0.05;
const MINUTE_MS = 60_000;

/** `total=10; remaining=9; resets=41` → its numbers. */
function parseLimitHeader(value: string | null): { total: number | null; remaining: number; resets: number } | null {
  if (!value) return null;
  const fields = Object.fromEntries(value.split(';').map((part) => part.trim().split('=') as [string, string]));
  const remaining = numberHeader(fields.remaining);
  const resets = numberHeader(fields.resets);
  return remaining === null || resets === null ? null : { total: numberHeader(fields.total), remaining, resets };
}

/** The part of node-zendesk's response adapter we read. */
interface AdaptedResponse {
  status: number;
  headers: { get(name: string): string | null };
}

function isAdaptedResponse(value: unknown): value is AdaptedResponse {
  if (typeof value !== 'object' || value === null) return false;
  const { status, headers } = value as { status?: unknown; headers?: { get?: unknown } };
  return typeof status === 'number' && typeof headers?.get === 'function';
}

const REQUEST_TIMEOUT_MS = 60_000;

export class ZendeskApi {
  readonly host: string;
  readonly authKind: AuthKind;
  private readonly transporter: Transporter;
  readonly requests = new RequestCounter();
  private readonly account = new RateWindow(RESERVE_SHARE);
  private readonly exports = new RateWindow(0);
  /** When the last minute's export calls went out, for answers that do not say the export limit. */
  private readonly exportTimes: number[] = [];

  /** For attachment downloads, which go around node-zendesk (they answer bytes, not JSON). */
  private readonly authorization: string;

  constructor(settings: ZendeskSettings, credentials: ZendeskCredentials, private readonly options: ZendeskApiOptions = {}) {
    const endpointUri = endpointUriFor(settings);
    this.host = new URL(endpointUri).host;
    this.authKind = credentials.type;
    this.authorization = credentials.type === 'api_token' ? `Basic ${Buffer.from(`${credentials.email}/token:${credentials.token}`).toString('base64')}` : `Bearer ${credentials.accessToken}`;
    const keepAlive = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
    // https://github.com/blakmatrix/node-zendesk#usage: token auth is username + token, OAuth is token + oauth.
    const clientOptions: Parameters<typeof zendesk.createClient>[0] & { agent: (url: URL) => HttpAgent; timeout: number } = {
      endpointUri,
      throwOriginalException: true,
      ...(credentials.type === 'api_token' ? { username: credentials.email, token: credentials.token } : { token: credentials.accessToken, oauth: true }),
      // The Transporter spreads its options into node-fetch's init, so these reach every request:
      // reuse connections, and never wait forever on a hung one.
      agent: (url: URL) => (url.protocol === 'http:' ? keepAlive.http : keepAlive.https),
      timeout: REQUEST_TIMEOUT_MS,
    };
    this.transporter = zendesk.createClient(clientOptions).tickets.transporter;
  }

  /** GET with retries (429 after Retry-After, 5xx and dropped connections with backoff). */
  get<T>(what: string, path: ZendeskPath, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return withRetry(() => this.getOnce(what, path, schema, signal), {
      policy: this.options.retryPolicy,
      ...(signal ? { signal } : {}),
      onRetry: ({ attempt, delayMs, error }) =>
        this.options.log?.warn({ vendor: 'zendesk', attempt, delayMs, kind: error.kind, status: error.status }, `retrying Zendesk call to ${what}`),
    });
  }

  /** One GET, no retries: for connection tests, which must answer quickly and change nothing. */
  async getOnce<T>(what: string, path: ZendeskPath, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return this.requestOnce('GET', what, path, undefined, schema, signal);
  }

  /**
   * An attachment's bytes from its content_url (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/).
   * Credentials go only to the account's own host (Zendesk may redirect to a file store, which gets
   * none). Counted and paced like API calls; null when it is larger than `maxBytes`.
   */
  async download(url: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    signal?.throwIfAborted();
    await this.pace(false, signal);
    this.requests.add();
    const target = new URL(url);
    let response: Response;
    try {
      response = await fetch(target, { headers: target.host === this.host ? { Authorization: this.authorization } : {}, redirect: 'follow', signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw transportError(error, 'download an attachment', this.host);
    }
    if (!response.ok) throw statusError(response.status, null, response.headers.get('retry-after'), 'download an attachment', this.host, this.authKind);
    return boundedBytes(response, maxBytes);
  }

  /** One PUT/POST, no retries: whether a write may be repeated is the caller's decision (write-back.ts). */
  sendOnce<T>(method: 'PUT' | 'POST', what: string, path: ZendeskPath, body: unknown, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    return this.requestOnce(method, what, path, body, schema, signal);
  }

  private async requestOnce<T>(method: 'GET' | 'PUT' | 'POST', what: string, path: ZendeskPath, body: unknown, schema: z.ZodType<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    const exportCall = path[0] === 'incremental';
    await this.pace(exportCall, signal);
    this.requests.add();
    if (exportCall) this.exportTimes.push(Date.now());
    let outcome: { response: unknown; result: unknown };
    try {
      // node-zendesk pops the query object off the array it is given, so hand it a copy.
      outcome = await this.transporter.request(method, [...path], body === undefined ? null : body);
    } catch (error) {
      throw transportError(error, what, this.host);
    }
    const { response, result } = outcome;
    if (!isAdaptedResponse(response)) throw new Error('node-zendesk returned a response without status or headers');
    this.observe(response, exportCall);
    if (response.status < 200 || response.status >= 300) {
      throw statusError(response.status, result, response.headers.get('retry-after'), what, this.host, this.authKind);
    }
    // node-zendesk parses only application/json bodies and hands back {} for anything else.
    const contentType = response.headers.get('content-type');
    if (!contentType?.includes('application/json')) throw contentTypeError(contentType, response.status, what, this.host);
    const parsed = schema.safeParse(result);
    if (!parsed.success) throw shapeError(parsed.error, what, this.host);
    return parsed.data;
  }

  private observe(response: AdaptedResponse, exportCall: boolean): void {
    const now = Date.now();
    const remaining = numberHeader(response.headers.get('ratelimit-remaining')) ?? numberHeader(response.headers.get('x-rate-limit-remaining'));
    if (remaining !== null) {
      const reset = numberHeader(response.headers.get('ratelimit-reset'));
      const limit = numberHeader(response.headers.get('ratelimit-limit')) ?? numberHeader(response.headers.get('x-rate-limit'));
      this.account.observe({ limit, remaining, resetAtMs: now + (reset === null ? MINUTE_MS : reset * 1000) });
    }
    if (!exportCall) return;
    const exports = parseLimitHeader(response.headers.get('zendesk-ratelimit-incremental-exports'));
    if (exports) {
      this.exportTimes.length = 0;
      this.exports.observe({ limit: exports.total, remaining: exports.remaining, resetAtMs: now + exports.resets * 1000 });
    }
  }

  /** Waits while a window the last answers told of is spent. */
  private async pace(exportCall: boolean, signal?: AbortSignal): Promise<void> {
    const waited = await this.account.beforeCall(signal);
    if (waited) this.options.log?.debug({ vendor: 'zendesk', waitMs: waited }, 'Zendesk rate-limit window nearly spent; waiting');
    if (!exportCall) return;
    await this.exports.beforeCall(signal);
    // Without Zendesk's word on the export limit, keep to it by our own count of the last minute.
    const perMinute = this.options.exportsPerMinute ?? 10;
    const recent = this.exportTimes.filter((at) => at > Date.now() - MINUTE_MS);
    this.exportTimes.splice(0, this.exportTimes.length, ...recent);
    const oldest = recent[0];
    if (recent.length >= perMinute && oldest !== undefined) await abortableSleep(oldest + MINUTE_MS - Date.now(), signal);
  }
}
