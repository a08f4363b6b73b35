/**
 * The one way tuneloop calls HubSpot: an @hubspot/api-client Client pointed at `basePath`, one call
 * at a time, each wrapped in withRetry, its raw answer parsed with zod, failures mapped to
 * VendorError, OAuth tokens renewed once on a 401.
 *
 * How the SDK is used (checked in @hubspot/api-client 14.0.1, lib/src/client.js, services/, codegen/):
 * - `numberOfApiCallRetries: 0` and no `limiterOptions`: its RetryDecorator waits fixed times (10 s
 *   after a TEN_SECONDLY_ROLLING 429, 1 s after a search 429, 200 ms × attempt after a 5xx) and
 *   ignores Retry-After; its Bottleneck limiter would queue calls out of our sight. withRetry does both.
 *   Its decorators live in a process-wide singleton (ApiDecoratorService) that each `new Client()`
 *   resets and that patches APIs when they are built, so ours are built right after our Client.
 * - CRM calls go through the typed clients (tickets, emails, notes, contacts, owners, oauth) with a
 *   per-call middleware that copies status, headers and body: the SDK's deserializer drops fields it
 *   has no model for (a 429's policyName), turns bad JSON into a SyntaxError without a status, and
 *   hands HTML back as if it were a model.
 * - The SDK has no Conversations inbox client (only visitor identification), so those calls use its
 *   generic `apiRequest()` (auth header, base path, user agent), which returns the fetch Response.
 * Neither path accepts an AbortSignal, so a hung call is abandoned after REQUEST_TIMEOUT_MS.
 *
 * Every request is counted (the harvest reports the count with each batch). The next call waits
 * when the last answer's X-HubSpot-RateLimit-Remaining fell to a reserve of the rolling window
 * (X-HubSpot-RateLimit-Max), leaving the rest to the account's other apps; CRM search answers carry
 * no such headers, so searches keep to the documented five a second by our own count.
 * https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details
 */
import { Client } from '@hubspot/api-client';
import type { z } from 'zod';
import { RequestCounter } from '../common/rate-window.ts';
import { abortableSleep, withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type ConnectorOptions, type VendorLogger } from '../types.ts';
import { contentTypeError, shapeError, statusError, transportError, type Answer, type AuthKind } from './errors.ts';
import { TokenResponse } from './schemas.ts';
import { basePathFor, type HubSpotCredentials, type HubSpotSettings } from './settings.ts';

const REQUEST_TIMEOUT_MS = 60_000;
/** Share of the rolling window left to the account's other apps. */
const RESERVE_SHARE = 0.05;
/** CRM search: five requests a second per account (https://developers.hubspot.com/docs/api/crm/search#limitations). */
const SEARCHES_PER_WINDOW = 5;
/** A tenth longer than HubSpot's second: answers arrive later than they leave, by varying amounts. */
const SEARCH_WINDOW_MS = 1_100;

export interface HubSpotApiOptions {
  retryPolicy?: Partial<RetryPolicy> | undefined;
  log?: VendorLogger | undefined;
  onCredentialsRefreshed?: ConnectorOptions['onCredentialsRefreshed'];
  requestTimeoutMs?: number;
}

/** The part of the SDK's ResponseContext the capturing middleware reads. */
interface ResponseLike {
  httpStatusCode: number;
  headers: Record<string, string>;
  body: { text(): Promise<string> };
}

/** Per-call SDK options whose middleware keeps the raw answer before the SDK deserializes it. */
function capturing() {
  const box: { answer: Answer | null } = { answer: null };
  const middleware = {
    pre: async <T>(context: T): Promise<T> => context,
    post: async <T extends ResponseLike>(context: T): Promise<T> => {
      // The SDK buffers the body, so reading it here leaves it readable for the SDK's own processor.
      const text = await context.body.text();
      const headers = context.headers;
      box.answer = { status: context.httpStatusCode, header: (name) => headers[name.toLowerCase()] ?? null, text };
      return context;
    },
  };
  return { options: { middleware: [middleware], middlewareMergeStrategy: 'append' as const }, box };
}
export type CallOptions = ReturnType<typeof capturing>['options'];

function buildApis(client: Client) {
  return {
    ticketsSearch: client.crm.tickets.searchApi,
    tickets: client.crm.tickets.basicApi,
    emailsBatch: client.crm.objects.emails.batchApi,
    notesBatch: client.crm.objects.notes.batchApi,
    notes: client.crm.objects.notes.basicApi,
    contactsBatch: client.crm.contacts.batchApi,
    associationsV4Batch: client.crm.associations.v4.batchApi,
    associationsV4Basic: client.crm.associations.v4.basicApi,
    pipelines: client.crm.pipelines.pipelinesApi,
    owners: client.crm.owners.ownersApi,
    tokens: client.oauth.tokensApi,
    accessTokens: client.oauth.accessTokensApi,
  };
}
export type CrmApis = ReturnType<typeof buildApis>;

export interface ConversationsRequest {
  method: 'GET' | 'POST';
  path: string;
  qs?: Record<string, string>;
  body?: unknown;
}

function bounded<T>(work: Promise<T>, ms: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    const onAbort = () => reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

export class HubSpotApi {
  readonly host: string;
  private readonly basePath: string;
  private credentials: HubSpotCredentials;
  private client!: Client;
  private apis!: CrmApis;
  /** Calls left in HubSpot's rolling window, from the last answer that said (search answers do not). */
  private windowRemaining: number | null = null;
  private windowMax: number | null = null;
  private windowMs = 10_000;
  /** When the last second's searches went out. */
  private readonly searches: number[] = [];
  readonly requests = new RequestCounter();
  private warnedAboutDaily = false;
  /** HubSpot's clock (Date header) at its latest answer; search-index lag is measured against it. */
  lastAnswerAt: Date | null = null;

  private readonly searchesPerWindow: number;

  constructor(settings: HubSpotSettings, credentials: HubSpotCredentials, private readonly options: HubSpotApiOptions = {}) {
    this.basePath = basePathFor(settings);
    this.searchesPerWindow = settings.searchesPerSecond ?? SEARCHES_PER_WINDOW;
    this.host = new URL(this.basePath).host;
    this.credentials = credentials;
    this.connect(credentials.accessToken);
  }

  get authKind(): AuthKind {
    return this.credentials.type;
  }

  get accessToken(): string {
    return this.credentials.accessToken;
  }

  private connect(accessToken: string): void {
    this.client = new Client({ accessToken, basePath: this.basePath, numberOfApiCallRetries: 0 });
    this.apis = buildApis(this.client);
  }

  /** A Conversations v3 call (or any call the typed clients lack) through the SDK's apiRequest, retried, parsed. */
  conversations<T>(what: string, request: ConversationsRequest, schema: z.ZodType<T>, signal?: AbortSignal, attempts?: number): Promise<T> {
    const send = async (): Promise<Answer> => {
      const response = await this.client.apiRequest({ method: request.method, path: request.path, ...(request.qs ? { qs: request.qs } : {}), ...(request.body !== undefined ? { body: request.body } : {}) });
      const text = await response.text();
      return { status: response.status, header: (name) => response.headers.get(name), text };
    };
    return this.call(what, schema, send, signal, attempts);
  }

  /** A CRM/OAuth call through the SDK's typed clients, retried; the raw answer is parsed, not the SDK's model. */
  crm<T>(what: string, request: (apis: CrmApis, options: CallOptions) => Promise<unknown>, schema: z.ZodType<T>, signal?: AbortSignal, attempts?: number, kind: 'api' | 'search' = 'api'): Promise<T> {
    return this.call(what, schema, () => this.sendCrm(request), signal, attempts, kind);
  }

  private async sendCrm(request: (apis: CrmApis, options: CallOptions) => Promise<unknown>): Promise<Answer> {
    const { options, box } = capturing();
    try {
      await request(this.apis, options);
    } catch (error) {
      // An ApiException, or a SyntaxError from the SDK's JSON.parse, after the answer arrived: read it ourselves.
      if (!box.answer) throw error;
    }
    if (!box.answer) throw new Error('the HubSpot SDK returned without passing the answer through its middleware');
    return box.answer;
  }

  private async call<T>(what: string, schema: z.ZodType<T>, send: () => Promise<Answer>, signal?: AbortSignal, attempts?: number, kind: 'api' | 'search' = 'api'): Promise<T> {
    const policy = attempts === undefined ? this.options.retryPolicy : { ...this.options.retryPolicy, maxAttempts: attempts };
    for (let renewed = false; ; renewed = true) {
      try {
        return await withRetry(() => this.once(what, schema, send, signal, kind), {
          policy,
          ...(signal ? { signal } : {}),
          onRetry: ({ attempt, delayMs, error }) =>
            this.options.log?.warn({ vendor: 'hubspot', attempt, delayMs, kind: error.kind, status: error.status }, `retrying HubSpot call to ${what}`),
        });
      } catch (error) {
        if (renewed || !(error instanceof VendorError) || error.kind !== 'auth' || !this.canRenew()) throw error;
        await this.renew(signal);
      }
    }
  }

  private async once<T>(what: string, schema: z.ZodType<T>, send: () => Promise<Answer>, signal?: AbortSignal, kind: 'api' | 'search' = 'api'): Promise<T> {
    signal?.throwIfAborted();
    await this.pace(signal, kind);
    this.requests.add();
    let answer: Answer;
    try {
      const timeoutMs = this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
      answer = await bounded(send(), timeoutMs, signal, () => new VendorError('transient', `no answer from ${this.host} within ${timeoutMs / 1000}s when trying to ${what}; will retry`));
    } catch (error) {
      if (error instanceof VendorError || signal?.aborted) throw error;
      throw transportError(error, what, this.host) ?? error;
    }
    this.observe(answer);
    if (answer.status < 200 || answer.status >= 300) throw statusError(answer, what, this.host, this.authKind);
    const contentType = answer.header('content-type');
    if (!contentType?.includes('json')) throw contentTypeError(contentType, answer.status, what, this.host);
    let json: unknown;
    try {
      json = JSON.parse(answer.text);
    } catch (error) {
      // JSON cut off part-way (a dropped connection, a proxy's partial page): asking again helps.
      throw new VendorError('transient', `HubSpot's answer to ${what} on ${this.host} said it was JSON but was cut off or could not be parsed; will retry`, { cause: error });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw shapeError(parsed.error, what, this.host);
    return parsed.data;
  }

  /** Reads HubSpot's clock and rate-limit headers (https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details). */
  private observe(answer: Answer): void {
    const date = Date.parse(answer.header('date') ?? '');
    if (!Number.isNaN(date)) this.lastAnswerAt = new Date(date);
    // After a 429, Retry-After (or the policy's window) decides the wait, not the headers.
    if (answer.status === 429) return;
    const remaining = answer.header('x-hubspot-ratelimit-remaining');
    if (remaining !== null && remaining !== '') {
      this.windowRemaining = Number(remaining);
      this.windowMax = Number(answer.header('x-hubspot-ratelimit-max')) || null;
      this.windowMs = Number(answer.header('x-hubspot-ratelimit-interval-milliseconds')) || 10_000;
    }
    const daily = Number(answer.header('x-hubspot-ratelimit-daily'));
    const dailyLeft = Number(answer.header('x-hubspot-ratelimit-daily-remaining') ?? Number.NaN);
    if (!this.warnedAboutDaily && daily > 0 && dailyLeft < daily * 0.05) {
      this.warnedAboutDaily = true;
      this.options.log?.warn({ vendor: 'hubspot', daily, dailyLeft }, 'HubSpot daily API limit almost used up');
    }
  }

  /** When the last answer said the rolling window is (nearly) used up, wait it out instead of collecting a 429. */
  private async pace(signal: AbortSignal | undefined, kind: 'api' | 'search'): Promise<void> {
    if (kind === 'search') {
      const now = performance.now();
      while (this.searches.length && (this.searches[0] ?? 0) <= now - SEARCH_WINDOW_MS) this.searches.shift();
      const oldest = this.searches[0];
      if (this.searches.length >= this.searchesPerWindow && oldest !== undefined) await abortableSleep(Math.ceil(oldest + SEARCH_WINDOW_MS - now) + 1, signal);
      this.searches.push(performance.now());
      return;
    }
    const reserve = this.windowMax === null ? 0 : Math.floor(this.windowMax * RESERVE_SHARE);
    if (this.windowRemaining === null || this.windowRemaining > reserve) return;
    this.options.log?.debug({ vendor: 'hubspot', waitMs: this.windowMs }, 'HubSpot rate-limit window nearly used up; waiting');
    this.windowRemaining = null;
    await abortableSleep(this.windowMs, signal);
  }

  private canRenew(): boolean {
    const c = this.credentials;
    return c.type === 'oauth' && Boolean(c.refreshToken && c.clientId && c.clientSecret);
  }

  /** https://developers.hubspot.com/docs/api/oauth/refresh-access-token */
  private async renew(signal?: AbortSignal): Promise<void> {
    const c = this.credentials;
    if (c.type !== 'oauth' || !c.refreshToken || !c.clientId || !c.clientSecret) return;
    const { clientId, clientSecret, refreshToken } = c;
    let tokens: z.infer<typeof TokenResponse>;
    try {
      tokens = await withRetry(
        () => this.once('renew the OAuth access token', TokenResponse, () => this.sendCrm((apis, options) => apis.tokens.create('refresh_token', undefined, undefined, clientId, clientSecret, refreshToken, options)), signal),
        { policy: this.options.retryPolicy, ...(signal ? { signal } : {}) },
      );
    } catch (error) {
      if (error instanceof VendorError && error.status === 400) {
        throw new VendorError('auth', `HubSpot refused to renew the OAuth access token (400) for ${this.host}: reconnect HubSpot to authorize tuneloop again.${error.message.match(/ HubSpot said: .*$/)?.[0] ?? ''}`, { status: 400, cause: error });
      }
      throw error;
    }
    this.credentials = { ...c, accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? refreshToken };
    this.connect(tokens.access_token);
    this.options.log?.info({ vendor: 'hubspot' }, 'HubSpot access token renewed');
    await this.options.onCredentialsRefreshed?.({ ...this.credentials });
  }
}
