/**
 * A loopback Zendesk: the subset of the Support API tuneloop uses, with Zendesk's response shapes,
 * auth checks, error bodies, pagination and rate limits, filled from generateSupportThreads.
 * Point node-zendesk at it with `endpointUri: `${url}/api/v2``, or the connector with
 * `{ baseUrl: url }`.
 *
 * Faults (`rateLimitEvery`, `errorBurst`, `latencyMs`, `expireTokens`, `malformed`; `faultMethods`
 * limits 429s and bursts to e.g. writes) can be given up
 * front or changed while running with `setFaults`. The store is exposed so tests can change data
 * (`touchTickets`, `deleteTicket`, `addTicket`) and read `requestLog` and `violations`.
 */
import { listenOnLoopback } from '../../sandbox-kit/server.ts';
import { Hono } from 'hono';
import type { OAuthTokenState, SandboxCredentials } from './auth.ts';
import { DEFAULT_FAULTS, DEFAULT_LIMITS, sandboxMiddleware, type SandboxEnv, type SandboxState, type ZendeskSandboxFaults, type ZendeskSandboxLimits } from './faults.ts';
import { commentRoutes } from './routes-comments.ts';
import { incrementalRoutes } from './routes-incremental.ts';
import { ticketEventRoutes } from './routes-ticket-events.ts';
import { searchRoutes } from './routes-search.ts';
import { ticketRoutes } from './routes-tickets.ts';
import { userRoutes } from './routes-users.ts';
import { webhookRoutes } from './routes-webhooks.ts';
import { ZendeskSandboxStore } from './store.ts';

export type { ZendeskSandboxFaults, ZendeskSandboxLimits } from './faults.ts';
export type { RequestLogEntry, RetryAfterViolation, ZendeskSandboxStore } from './store.ts';

/** The credentials a sandbox accepts unless told otherwise. Not secrets: loopback test fixtures. */
export const SANDBOX_DEFAULTS = {
  email: 'admin@support.example-shop.com',
  apiToken: 'sandbox-api-token',
  oauthToken: 'sandbox-oauth-token',
} as const;

export interface ZendeskSandboxOptions extends Partial<ZendeskSandboxFaults> {
  seed?: number;
  /** Number of tickets (one per generated thread). */
  tickets?: number;
  /** The API user's email; API-token logins must use it. */
  email?: string;
  apiToken?: string;
  /** Valid OAuth access tokens. */
  oauthTokens?: string[];
  /** 'agent' makes the incremental export answer 403, as it does for non-admins. */
  role?: 'admin' | 'agent';
  /** The account's requests a minute; Zendesk's Enterprise plan allows 700. */
  rateLimitPerMinute?: number;
  /** false lifts the rate limits (benchmarks); on by default, as on a real account. */
  rateLimits?: boolean;
  /** Shorter windows or other limits, for tests. */
  limits?: Partial<Omit<ZendeskSandboxLimits, 'enabled'>>;
}

export interface ZendeskSandbox {
  app: Hono<SandboxEnv>;
  store: ZendeskSandboxStore;
  /** The faults in force now; change them with setFaults. */
  readonly faults: Readonly<ZendeskSandboxFaults>;
  setFaults(faults: Partial<ZendeskSandboxFaults>): void;
  setLimits(limits: Partial<ZendeskSandboxLimits>): void;
  /** Marks an OAuth token expired or revoked (or valid again); unknown tokens are added. */
  setOAuthToken(token: string, state: OAuthTokenState): void;
  listen(port?: number): Promise<{ url: string; close(): Promise<void> }>;
}

export function createZendeskSandbox(options: ZendeskSandboxOptions = {}): ZendeskSandbox {
  const { seed = 1, tickets = 100, email = SANDBOX_DEFAULTS.email, apiToken = SANDBOX_DEFAULTS.apiToken, role = 'admin', rateLimitPerMinute = 700 } = options;
  const store = ZendeskSandboxStore.fromSeed(seed, tickets, { name: 'Tuneloop Integration', email, role });
  const faults: ZendeskSandboxFaults = { ...DEFAULT_FAULTS };
  for (const key of Object.keys(DEFAULT_FAULTS) as (keyof ZendeskSandboxFaults)[]) {
    if (options[key] !== undefined) Object.assign(faults, { [key]: options[key] });
  }
  const credentials: SandboxCredentials = {
    email,
    apiToken,
    oauthTokens: new Map((options.oauthTokens ?? [SANDBOX_DEFAULTS.oauthToken]).map((token) => [token, 'valid'])),
  };
  const limits: ZendeskSandboxLimits = { ...DEFAULT_LIMITS, perWindow: rateLimitPerMinute, ...options.limits, enabled: options.rateLimits ?? true };
  const state: SandboxState = { store, faults, credentials, limits };

  // Zendesk accepts every path with or without ".json"; route on the bare path.
  const app = new Hono<SandboxEnv>({ getPath: (request) => new URL(request.url).pathname.replace(/\.json$/, '') });
  app.use('*', sandboxMiddleware(state));
  for (const routes of [userRoutes, incrementalRoutes, ticketEventRoutes, commentRoutes, ticketRoutes, searchRoutes, webhookRoutes]) app.route('/api/v2', routes(state));
  // An attachment's content_url (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/).
  app.get('/attachments/token/:id/', (c) => {
    const id = Number(c.req.param('id'));
    for (const ticket of store.tickets.values()) {
      for (const comment of ticket.comments) {
        const attachment = comment.attachments.find((a) => a.id === id);
        if (attachment?.content) return c.body(new Uint8Array(attachment.content), 200, { 'Content-Type': attachment.contentType, 'Content-Length': String(attachment.content.byteLength) });
      }
    }
    return c.json({ error: 'RecordNotFound', description: 'Not found' }, 404);
  });
  app.notFound((c) => c.json({ error: 'InvalidEndpoint', description: 'Not found' }, 404));
  app.onError((_error, c) => c.json({ error: 'InternalError', description: 'Something went wrong in the sandbox' }, 500));

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
      credentials.oauthTokens.set(token, tokenState);
    },
    listen: (port = 0) => listenOnLoopback(app.fetch, port),
  };
}

/** For `tuneloop sandbox zendesk --port --seed --tickets`: starts a sandbox and prints nothing. */
export async function startZendeskSandbox(options: ZendeskSandboxOptions & { port?: number } = {}) {
  const sandbox = createZendeskSandbox(options);
  const { url, close } = await sandbox.listen(options.port ?? 0);
  return { url, close, sandbox, store: sandbox.store };
}
