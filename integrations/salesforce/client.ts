/**
 * One jsforce Connection per connector, and the one way tuneloop calls Salesforce through it:
 * sequential GETs under withRetry, each answer parsed with zod, Sforce-Limit-Info read from every
 * response so the harvest slows down near the daily limit, failures mapped to VendorError.
 *
 * jsforce retries 5xx/429 on its own with a fixed backoff that ignores Retry-After; every call here
 * turns that off (retry.maxRetries 0) so withRetry alone decides. jsforce's session refresh stays
 * on: on a 401 it renews the session (refresh-token grant, or logging in again with the password)
 * and repeats the call, and emits 'refresh' with the new token, which we hand to the hub.
 * https://jsforce.github.io/document/#connection
 */
import { PassThrough } from 'node:stream';
import { Connection, type HttpRequest, type HttpResponse } from 'jsforce';
import { z } from 'zod';
import { createSign } from 'node:crypto';
import { boundedBytes } from '../common/attachments.ts';
import { RequestCounter } from '../common/rate-window.ts';
import { abortableSleep, withRetry, type RetryPolicy } from '../common/retry.ts';
import { VendorError, type ConnectorOptions, type VendorLogger } from '../types.ts';
import { toVendorError } from './errors.ts';
import { Limits, QueryPage } from './raw.ts';
import type { SalesforceCredentials, SalesforceSettings } from './settings.ts';

export interface SalesforceClientOptions {
  onCredentialsRefreshed?: ConnectorOptions['onCredentialsRefreshed'];
  log?: VendorLogger | undefined;
  retryPolicy?: Partial<RetryPolicy>;
  /** Share of the daily API allocation after which every call waits slowDownMs first. */
  slowDownAt?: number;
  slowDownMs?: number;
  requestTimeoutMs?: number;
}

/** SOAP login() is not served from this API version on (https://help.salesforce.com/s/articleView?id=000381744&type=1). */
const SOAP_LOGIN_RETIRED_FROM = 65;

const GrantResponse = z.object({ access_token: z.string().min(1), instance_url: z.url().optional() });

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/** An RS256-signed JWT: issuer the connected app, subject the user, audience the login server, valid three minutes. */
function jwtAssertion(clientId: string, username: string, audience: string, privateKey: string): string {
  const header = base64url(JSON.stringify({ alg: 'RS256' }));
  const claims = base64url(JSON.stringify({ iss: clientId, sub: username, aud: audience, exp: Math.floor(Date.now() / 1000) + 180 }));
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(privateKey);
  return `${header}.${claims}.${base64url(signature)}`;
}

export class SalesforceClient {
  readonly conn: Connection;
  readonly apiVersion: string;
  readonly host: string;
  private credentials: SalesforceCredentials;
  private loggedIn = false;
  private usage: { used: number; max: number } | null = null;
  /** Every HTTP request sent to Salesforce (logins and token grants included); the harvest reports them per batch. */
  readonly requests = new RequestCounter();
  /** Salesforce's clock (the Date header) at its latest answer. */
  serverTime: Date | null = null;
  private readonly loginUrl: string;
  private warnedAboutUsage = false;
  private pendingSaves: Array<Promise<unknown>> = [];

  constructor(
    settings: SalesforceSettings,
    credentials: SalesforceCredentials,
    private readonly options: SalesforceClientOptions = {},
  ) {
    this.credentials = credentials;
    this.apiVersion = settings.apiVersion;
    this.host = new URL(settings.instanceUrl).host;
    const loginUrl = (settings.loginUrl ?? settings.instanceUrl).replace(/\/+$/, '');
    this.loginUrl = loginUrl;
    const clientSecret = 'clientSecret' in credentials ? credentials.clientSecret : undefined;
    const oauth2 = credentials.clientId ? { clientId: credentials.clientId, clientSecret, loginUrl } : undefined;
    const granted = credentials.type === 'jwt' || credentials.type === 'client_credentials';
    this.conn = new Connection({
      instanceUrl: settings.instanceUrl.replace(/\/+$/, ''),
      loginUrl,
      version: settings.apiVersion,
      ...(oauth2 ? { oauth2 } : {}),
      ...(credentials.type === 'oauth' ? { accessToken: credentials.accessToken, ...(credentials.refreshToken ? { refreshToken: credentials.refreshToken } : {}) } : {}),
      // JWT bearer and client credentials grants issue no refresh token: a new grant renews the session.
      ...(granted ? { refreshFn: (conn: Connection, callback: (error: Error | null | undefined, accessToken?: string) => void) => void this.grant().then((token) => callback(null, token), (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)))) } : {}),
    });
    this.conn.on('refresh', (accessToken: string, response?: { refresh_token?: string }) => this.onRefresh(accessToken, response));
  }

  private onRefresh(accessToken: string, response?: { refresh_token?: string }): void {
    this.options.log?.info({ source: 'salesforce' }, 'Salesforce session renewed');
    // A refresh-token or password renewal is a request jsforce sends outside our transport.
    if (this.credentials.type === 'oauth' || this.credentials.type === 'password') this.requests.add();
    if (this.credentials.type !== 'oauth') return; // a password login leaves nothing new to store
    const refreshToken = response?.refresh_token ?? this.credentials.refreshToken;
    this.credentials = { ...this.credentials, accessToken, ...(refreshToken ? { refreshToken } : {}) };
    const save = this.options.onCredentialsRefreshed?.({ ...this.credentials });
    // Held as a settled value: the save is awaited right after the call that triggered it.
    if (save) this.pendingSaves.push(save.then(() => null, (error: unknown) => ({ error })));
  }

  private async flushSaves(): Promise<void> {
    const results = await Promise.all(this.pendingSaves.splice(0));
    const failed = results.find((result): result is { error: unknown } => result !== null && typeof result === 'object' && 'error' in result);
    if (failed) throw failed.error;
  }

  get apiUsage(): { used: number; max: number } | null {
    return this.usage;
  }

  /**
   * Signs in once: password credentials log in (the OAuth username-password flow with a client id,
   * else SOAP login(), which Salesforce retires from API 65.0), JWT bearer and client credentials
   * ask the token endpoint; OAuth connections already hold a token.
   */
  async connect(signal?: AbortSignal, policy?: Partial<RetryPolicy>): Promise<void> {
    if (this.loggedIn || this.credentials.type === 'oauth') return;
    const credentials = this.credentials;
    if (credentials.type === 'password' && !credentials.clientId && Number.parseFloat(this.apiVersion) >= SOAP_LOGIN_RETIRED_FROM) {
      throw new VendorError('auth', `SOAP login() is not available from API version ${SOAP_LOGIN_RETIRED_FROM.toFixed(1)} (this connection uses ${this.apiVersion}): give the connected app's clientId and clientSecret, or sign in with the JWT bearer or client credentials flow`);
    }
    await withRetry(
      async () => {
        signal?.throwIfAborted();
        try {
          if (credentials.type === 'password') {
            this.requests.add();
            // https://jsforce.github.io/document/#username-and-password-login
            await this.conn.login(credentials.username, credentials.password + credentials.securityToken);
          } else await this.grant();
        } catch (error) {
          throw error instanceof VendorError ? error : toVendorError(error, { host: this.host });
        }
      },
      { policy: policy ?? this.options.retryPolicy, signal, onRetry: (info) => this.logRetry(info) },
    );
    this.loggedIn = true;
  }

  /**
   * A new access token from the OAuth 2.0 JWT bearer flow (a signed assertion naming the user,
   * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm&type=5) or the
   * client credentials flow (the connected app's run-as user,
   * https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_client_credentials_flow.htm&type=5).
   */
  private async grant(): Promise<string> {
    const credentials = this.credentials;
    let params: Record<string, string>;
    if (credentials.type === 'jwt') {
      params = { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwtAssertion(credentials.clientId, credentials.username, credentials.audience ?? this.loginUrl, credentials.privateKey) };
    } else if (credentials.type === 'client_credentials') {
      params = { grant_type: 'client_credentials', client_id: credentials.clientId, client_secret: credentials.clientSecret };
    } else throw new Error('only JWT bearer and client credentials connections are granted tokens');
    this.requests.add();
    const token = await this.conn.oauth2._postParams(params);
    const parsed = GrantResponse.safeParse(token);
    if (!parsed.success) throw new VendorError('malformed', 'Salesforce returned an unexpected answer to the token request');
    this.conn.accessToken = parsed.data.access_token;
    if (parsed.data.instance_url) this.conn.instanceUrl = parsed.data.instance_url;
    return parsed.data.access_token;
  }

  /** A POST that only reads (a composite of queries): safe to repeat, so retried like a GET. */
  async postRead<S extends z.ZodType>(url: string, body: unknown, schema: S, what: string, signal?: AbortSignal): Promise<z.infer<S>> {
    await this.connect(signal);
    await this.pace(signal);
    const answer = await withRetry(() => this.once(url, signal, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }), { policy: this.options.retryPolicy, signal, onRetry: (info) => this.logRetry(info) });
    const parsed = schema.safeParse(answer);
    if (!parsed.success) throw new VendorError('malformed', `Salesforce returned an unexpected ${what} response: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return parsed.data;
  }

  /** GET a REST resource (path from the root, or an absolute URL), retried, then parsed. */
  async get<S extends z.ZodType>(url: string, schema: S, what: string, signal?: AbortSignal, policy?: Partial<RetryPolicy>): Promise<z.infer<S>> {
    await this.connect(signal, policy);
    await this.pace(signal);
    const body = await withRetry(() => this.once(url, signal), { policy: policy ?? this.options.retryPolicy, signal, onRetry: (info) => this.logRetry(info) });
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      throw new VendorError('malformed', `Salesforce returned an unexpected ${what} response${where}: ${typeof body === 'string' ? 'not JSON' : (issue?.message ?? 'invalid')}`);
    }
    return parsed.data;
  }

  /** Runs SOQL and follows nextRecordsUrl to the end; each record is parsed with `record`. */
  async query<S extends z.ZodType>(soql: string, record: S, what: string, opts: { includeDeleted?: boolean; signal?: AbortSignal } = {}): Promise<Array<z.infer<S>>> {
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_query.htm
    const resource = opts.includeDeleted ? 'queryAll' : 'query';
    let url: string | undefined = `/services/data/v${this.apiVersion}/${resource}?q=${encodeURIComponent(soql)}`;
    const out: Array<z.infer<S>> = [];
    while (url) {
      const page: z.infer<typeof QueryPage> = await this.get(url, QueryPage, what, opts.signal);
      for (const [index, raw] of page.records.entries()) {
        const parsed = record.safeParse(raw);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new VendorError('malformed', `Salesforce returned an unexpected ${what} record (#${out.length + index + 1}${issue?.path.length ? `, ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'})`);
        }
        out.push(parsed.data);
      }
      // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_queryall_more_results.htm
      url = page.done ? undefined : page.nextRecordsUrl;
      if (!page.done && !url) throw new VendorError('malformed', `Salesforce said the ${what} query is not done but gave no nextRecordsUrl`);
    }
    return out;
  }

  /**
   * A ContentVersion's bytes (sObject Blob Get, https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_sobject_blob_retrieve.htm):
   * binary, so fetched directly rather than through jsforce (which decodes answers as text), with
   * the session's token, only to the org's instance. A 401 renews the session once through jsforce
   * (a cheap /limits call) and asks again; 5xx and dropped connections are retried like any GET.
   * Counted as a request; null when larger than `maxBytes`.
   */
  async versionData(versionId: string, maxBytes: number, signal?: AbortSignal): Promise<Uint8Array | null> {
    if (!/^[a-zA-Z0-9]{15,18}$/.test(versionId)) throw new VendorError('malformed', 'Salesforce gave a ContentVersion id that is not an id');
    await this.connect(signal);
    await this.pace(signal);
    const path = `/services/data/v${this.apiVersion}/sobjects/ContentVersion/${versionId}/VersionData`;
    let renewed = false;
    return withRetry(
      async () => {
        signal?.throwIfAborted();
        const timeout = AbortSignal.timeout(this.options.requestTimeoutMs ?? 120_000);
        this.requests.add();
        let response: Response;
        try {
          response = await fetch(`${this.conn.instanceUrl}${path}`, { headers: { Authorization: `Bearer ${this.conn.accessToken ?? ''}` }, redirect: 'error', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          throw new VendorError('transient', `downloading a file from ${this.host} failed (${error instanceof Error ? error.message : 'dropped'}); will retry`, { cause: error });
        }
        if (response.status === 401 && !renewed) {
          await response.body?.cancel();
          renewed = true;
          await this.get(`/services/data/v${this.apiVersion}/limits`, Limits, 'limits (renewing the session)', signal);
          throw new VendorError('transient', 'the Salesforce session was renewed; asking for the file again', { status: 401, retryAfterMs: 0 });
        }
        if (!response.ok) {
          await response.body?.cancel();
          const kind = response.status >= 500 ? 'transient' : response.status === 404 ? 'not_found' : response.status === 401 ? 'auth' : 'forbidden';
          throw new VendorError(kind, `Salesforce refused a file download (${response.status}) on ${this.host}`, { status: response.status });
        }
        return boundedBytes(response, maxBytes);
      },
      { policy: this.options.retryPolicy, signal, onRetry: (info) => this.logRetry(info) },
    );
  }

  /**
   * One write (POST/PATCH with a JSON body), not retried here: whether repeating it is safe is the
   * caller's decision. jsforce's own retries stay off, as for reads.
   */
  async sendOnce(method: 'POST' | 'PATCH', url: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    await this.connect(signal);
    await this.pace(signal);
    return this.once(url, signal, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  }

  private async once(url: string, signal?: AbortSignal, write?: { method: 'POST' | 'PATCH'; body: string; headers: Record<string, string> }): Promise<unknown> {
    signal?.throwIfAborted();
    const responses: HttpResponse[] = [];
    // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/intro_rest_resources.htm
    const call = this.conn.request<unknown>(write ? { url, ...write } : { method: 'GET', url }, { transport: this.recordingTransport(responses, signal) });
    try {
      return await (signal ? raceAbort(call, signal) : call);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const canRenew = this.credentials.type !== 'oauth' || Boolean(this.credentials.refreshToken && this.credentials.clientId);
      throw toVendorError(error, { host: this.host, response: responses.at(-1), canRenew });
    } finally {
      this.readUsage(responses.at(-1));
      await this.flushSaves();
    }
  }

  /**
   * jsforce's HttpApi sends through `options.transport` when given; this one turns jsforce's own
   * retries off, keeps every raw response (status, Retry-After, Sforce-Limit-Info), and stops a
   * call that keeps getting 401 after renewing the session, which jsforce would repeat forever.
   */
  private recordingTransport(responses: HttpResponse[], signal?: AbortSignal) {
    const base = this.conn._transport;
    const timeout = this.options.requestTimeoutMs ?? 120_000;
    return {
      httpRequest: (request: HttpRequest, options: object) => {
        const rejectedTwice = responses.filter((response) => response.statusCode === 401).length >= 2;
        if (signal?.aborted || rejectedTwice) {
          const reason: unknown = signal?.aborted ? signal.reason : new VendorError('auth', 'Salesforce keeps rejecting the renewed session (INVALID_SESSION_ID): check the connected app policies for this user', { status: 401 });
          return Object.assign(Promise.reject(reason), { stream: () => new PassThrough() });
        }
        this.requests.add();
        const pending = base.httpRequest(request, { ...options, retry: { maxRetries: 0 }, timeout });
        pending.then(
          (response) => {
            responses.push(response);
            const date = Date.parse(response.headers.date ?? '');
            if (!Number.isNaN(date)) this.serverTime = new Date(date);
          },
          () => undefined,
        );
        return pending;
      },
    };
  }

  // https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
  private readUsage(response: HttpResponse | undefined): void {
    const match = /api-usage=(\d+)\/(\d+)/.exec(response?.headers['sforce-limit-info'] ?? '');
    if (match) this.usage = { used: Number(match[1]), max: Number(match[2]) };
  }

  /** Past ~90% of the daily allocation, leave room for the org's other integrations. */
  private async pace(signal?: AbortSignal): Promise<void> {
    const usage = this.usage;
    if (!usage || usage.max === 0 || usage.used < usage.max * (this.options.slowDownAt ?? 0.9)) return;
    if (!this.warnedAboutUsage) {
      this.warnedAboutUsage = true;
      this.options.log?.warn({ source: 'salesforce', used: usage.used, max: usage.max }, 'Salesforce API usage is above 90% of the daily limit: slowing down');
    }
    await abortableSleep(this.options.slowDownMs ?? 2000, signal);
  }

  private logRetry(info: { attempt: number; delayMs: number; error: VendorError }): void {
    this.options.log?.warn({ source: 'salesforce', attempt: info.attempt, delayMs: info.delayMs, kind: info.error.kind, status: info.error.status }, `Salesforce call failed, retrying: ${info.error.message}`);
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
