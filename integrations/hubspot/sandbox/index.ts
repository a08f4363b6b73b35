/**
 * A loopback HubSpot: the subset of the public API tuneloop uses (Conversations inbox threads,
 * messages and actors; CRM tickets search/read with associated emails, notes and contacts; owners;
 * creating notes; OAuth refresh and token introspection) with HubSpot's shapes, auth and scope
 * errors, paging, search cap and rate-limit headers, filled from generateSupportThreads.
 * Point @hubspot/api-client at it with `basePath: url`, or the connector with `{ baseUrl: url }`.
 *
 * Faults (`rateLimitEvery`, `omitRetryAfter`, `errorBurst`, `latencyMs`, `expireTokens`,
 * `malformed`) can be given up front or changed with setFaults. HubSpot's real limits (190 calls
 * per rolling 10 seconds, 5 searches a second) are reported and enforced by default, as on a real
 * account; `rateLimits: false` lifts them for benchmarks, and `limits` shortens them for tests.
 * The store is exposed so tests can change data (touchThreads, touchTickets, moveTicket) and read
 * requestLog, overLimit (calls refused for a limit) and violations (calls before a Retry-After).
 */
import { listenOnLoopback } from '../../sandbox-kit/server.ts';
import { Hono } from 'hono';
import { generateSupportThreads } from '../../sandbox-kit/data.ts';
import { RetryAfterPolice } from '../../sandbox-kit/retry-after.ts';
import { ALL_SCOPES, errorBody, type OAuthTokenState, type SandboxAuth } from './auth.ts';
import { DEFAULT_FAULTS, sandboxMiddleware, type HubSpotSandboxFaults, type SandboxEnv, type SandboxState } from './faults.ts';
import { DEFAULT_LIMITS, RateLimiter, type HubSpotSandboxLimits } from './limits.ts';
import { conversationRoutes } from './routes-conversations.ts';
import { crmRoutes } from './routes-crm.ts';
import { crmV4Routes, pipelineRoutes } from './routes-crm-v4.ts';
import { oauthRoutes } from './routes-oauth.ts';
import { seedStore } from './seed.ts';
import { HubSpotSandboxStore } from './store.ts';

export type { HubSpotSandboxFaults } from './faults.ts';
export type { HubSpotSandboxLimits } from './limits.ts';
export type { ConversationRef, HubSpotSandboxStore, RequestLogEntry } from './store.ts';
export { FOLLOW_UP_BODY } from './store.ts';
export { conversationRefFor, FILE_ID_BASE } from './seed.ts';

/** What the sandbox accepts unless told otherwise. Not secrets: loopback test fixtures. */
export const SANDBOX_DEFAULTS = {
  privateAppToken: 'sandbox-private-app-token',
  oauthToken: 'sandbox-oauth-access-token',
  refreshToken: 'sandbox-oauth-refresh-token',
  clientId: 'sandbox-client-id',
  clientSecret: 'sandbox-client-secret',
  portalId: 4_412_345,
} as const;

export interface HubSpotSandboxOptions extends Partial<HubSpotSandboxFaults> {
  seed?: number;
  /** Generated support threads: odd-numbered ones become inbox threads, even-numbered ones tickets. */
  conversations?: number;
  privateAppToken?: string;
  /** Valid OAuth access tokens. */
  oauthTokens?: string[];
  /** Scopes every token holds (default: all the sandbox knows). */
  scopes?: readonly string[];
  limits?: Partial<HubSpotSandboxLimits>;
  /** false lifts HubSpot's rate limits (benchmarks); on by default. */
  rateLimits?: boolean;
  /** false: every conversation is a ticket, none an inbox thread. */
  inboxThreads?: boolean;
  /** Message text longer than this is answered TRUNCATED (full text at original-content). */
  truncateAt?: number;
  /** CRM search refuses to page past this many results (HubSpot: 10,000). */
  searchResultCap?: number;
  portalId?: number;
}

export interface HubSpotSandbox {
  app: Hono<SandboxEnv>;
  store: HubSpotSandboxStore;
  readonly faults: Readonly<HubSpotSandboxFaults>;
  setFaults(faults: Partial<HubSpotSandboxFaults>): void;
  setLimits(limits: Partial<HubSpotSandboxLimits>): void;
  /** Marks an OAuth access token valid, expired or revoked; unknown tokens are added. */
  setOAuthToken(token: string, state: OAuthTokenState): void;
  listen(port?: number): Promise<{ url: string; close(): Promise<void> }>;
}

export function createHubSpotSandbox(options: HubSpotSandboxOptions = {}): HubSpotSandbox {
  const { seed = 1, conversations = 100 } = options;
  const store = new HubSpotSandboxStore();
  seedStore(store, generateSupportThreads({ seed, count: conversations }), { inboxThreads: options.inboxThreads ?? true });
  const faults: HubSpotSandboxFaults = { ...DEFAULT_FAULTS };
  for (const key of Object.keys(DEFAULT_FAULTS) as (keyof HubSpotSandboxFaults)[]) {
    if (options[key] !== undefined) Object.assign(faults, { [key]: options[key] });
  }
  const limits: HubSpotSandboxLimits = { ...DEFAULT_LIMITS, ...options.limits, enforce: options.limits?.enforce ?? options.rateLimits ?? true };
  const auth: SandboxAuth = {
    portalId: options.portalId ?? SANDBOX_DEFAULTS.portalId,
    appId: 3_100_042,
    userId: 52_000_900,
    privateAppTokens: new Set([options.privateAppToken ?? SANDBOX_DEFAULTS.privateAppToken]),
    oauthTokens: new Map((options.oauthTokens ?? [SANDBOX_DEFAULTS.oauthToken]).map((token) => [token, 'valid'])),
    refreshTokens: new Map([[SANDBOX_DEFAULTS.refreshToken, { clientId: SANDBOX_DEFAULTS.clientId }]]),
    clientId: SANDBOX_DEFAULTS.clientId,
    clientSecret: SANDBOX_DEFAULTS.clientSecret,
    scopes: new Set(options.scopes ?? ALL_SCOPES),
  };
  const police = new RetryAfterPolice();
  store.violations = police.violations;
  const state: SandboxState = {
    store,
    faults,
    limits,
    limiter: new RateLimiter(() => limits),
    police,
    auth,
    truncateAt: options.truncateAt ?? 2_000,
    searchResultCap: options.searchResultCap ?? 10_000,
  };

  const app = new Hono<SandboxEnv>({ strict: false });
  app.use('*', sandboxMiddleware(state));
  app.route('/conversations/v3/conversations', conversationRoutes(state));
  app.route('/crm/v3/pipelines', pipelineRoutes(state));
  app.route('/crm/v3', crmRoutes(state));
  app.route('/crm/v4', crmV4Routes(state));
  app.route('/oauth', oauthRoutes(state));
  app.notFound((c) => c.json(errorBody('OBJECT_NOT_FOUND', `No endpoint ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
  app.onError((_error, c) => c.json(errorBody('INTERNAL_ERROR', 'internal error'), 500));

  return {
    app,
    store,
    get faults() {
      return faults;
    },
    setFaults(next) {
      Object.assign(faults, next);
    },
    setLimits(next) {
      Object.assign(limits, next);
    },
    setOAuthToken(token, tokenState) {
      auth.oauthTokens.set(token, tokenState);
    },
    listen: (port = 0) => listenOnLoopback(app.fetch, port),
  };
}

/** For a `tuneloop sandbox hubspot` command (port, seed, conversations, faults): starts a sandbox and prints nothing. */
export async function startHubSpotSandbox(options: HubSpotSandboxOptions & { port?: number } = {}) {
  const sandbox = createHubSpotSandbox(options);
  const { url, close } = await sandbox.listen(options.port ?? 0);
  return { url, close, sandbox, store: sandbox.store };
}
