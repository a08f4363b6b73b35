/**
 * A loopback Intercom: the subset of the REST API tuneloop uses (GET /me, conversations search and
 * read, replies as notes, tags) with Intercom's shapes, bearer-token auth, error lists, keyset
 * paging, 10-second rate-limit windows, and signed webhook deliveries, filled from
 * generateSupportThreads. Point intercom-client at it with `baseUrl: url`, or the connector with
 * `{ baseUrl: url }`.
 *
 * Rate limits are on by default, as on a real workspace; `rateLimits: false` lifts them for
 * benchmarks, and `limits` shortens the window for tests. Faults (latencyMs, rateLimitEvery,
 * errorBurst, partialBodies, deleteAfterSearch) can be given up front or changed with setFaults.
 */
import { Hono } from 'hono';
import { generateSupportThreads } from '../../sandbox-kit/data.ts';
import { listenOnLoopback } from '../../sandbox-kit/server.ts';
import { Deliveries, type Subscription } from './deliveries.ts';
import { DEFAULT_FAULTS, DEFAULT_LIMITS, sandboxMiddleware, type IntercomSandboxFaults, type IntercomSandboxLimits, type SandboxEnv, type SandboxState } from './gate.ts';
import { errorList } from './json.ts';
import { routes } from './routes.ts';
import { seedStore } from './seed.ts';
import { IntercomSandboxStore, type StoredConversation } from './store.ts';

export type { IntercomSandboxFaults, IntercomSandboxLimits } from './gate.ts';
export type { IntercomSandboxStore, StoredConversation } from './store.ts';
export { FOLLOW_UP_BODY } from './store.ts';
export { API_ADMIN, BOT } from './seed.ts';

/** What the sandbox accepts unless told otherwise. Not secrets: loopback test fixtures. */
export const SANDBOX_DEFAULTS = {
  accessToken: 'sandbox-intercom-access-token',
  clientSecret: 'sandbox-intercom-client-secret',
} as const;

export interface IntercomSandboxOptions extends Partial<IntercomSandboxFaults> {
  seed?: number;
  conversations?: number;
  accessTokens?: string[];
  /** false lifts the rate limit (benchmarks); on by default. */
  rateLimits?: boolean;
  limits?: Partial<Omit<IntercomSandboxLimits, 'enabled'>>;
}

export interface IntercomSandbox {
  app: Hono<SandboxEnv>;
  store: IntercomSandboxStore;
  readonly faults: Readonly<IntercomSandboxFaults>;
  setFaults(faults: Partial<IntercomSandboxFaults>): void;
  setLimits(limits: Partial<IntercomSandboxLimits>): void;
  /** Sends signed notifications for these topics to `url` (null: stop). */
  subscribe(subscription: Subscription | null): void;
  /** A customer reply on the `n` least recently updated conversations (conversation.user.replied). */
  touchConversations(n: number): string[];
  /** A new conversation from a customer (conversation.user.created). */
  startConversation(input: { name: string; email: string; body: string }): StoredConversation;
  /** Waits for the webhook deliveries sent so far. */
  flushDeliveries(): Promise<void>;
  listen(port?: number): Promise<{ url: string; close(): Promise<void> }>;
}

export function createIntercomSandbox(options: IntercomSandboxOptions = {}): IntercomSandbox {
  const { seed = 1, conversations = 100 } = options;
  const store = new IntercomSandboxStore();
  seedStore(store, generateSupportThreads({ seed, count: conversations }));
  const faults: IntercomSandboxFaults = { ...DEFAULT_FAULTS };
  for (const key of Object.keys(DEFAULT_FAULTS) as (keyof IntercomSandboxFaults)[]) {
    if (options[key] !== undefined) Object.assign(faults, { [key]: options[key] });
  }
  const limits: IntercomSandboxLimits = { ...DEFAULT_LIMITS, ...options.limits, enabled: options.rateLimits ?? true };
  const state: SandboxState = { store, faults, limits, tokens: new Set(options.accessTokens ?? [SANDBOX_DEFAULTS.accessToken]) };
  let origin = 'http://127.0.0.1';
  const deliveries = new Deliveries(store, () => origin);

  const app = new Hono<SandboxEnv>({ strict: false });
  // Attachment links live on Intercom's file host: no access token, no API rate limit.
  app.route('/', store.downloads.routes());
  app.use('*', sandboxMiddleware(state));
  app.route('/', routes(state, deliveries));
  app.notFound((c) => c.json(errorList('not_found', 'Resource Not Found'), 404));
  app.onError((_error, c) => c.json(errorList('server_error', 'Something went wrong in the sandbox'), 500));

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
    subscribe: (subscription) => deliveries.subscribe(subscription),
    touchConversations(n) {
      const ids = store.touchConversations(n);
      for (const id of ids) {
        const conversation = store.conversations.get(id);
        if (conversation) deliveries.notify('conversation.user.replied', conversation);
      }
      return ids;
    },
    startConversation(input) {
      const now = Math.floor(Date.now() / 1000);
      const contact = { id: `c${now.toString(16)}${store.contacts.size.toString(16)}`.padEnd(24, '0').slice(0, 24), role: 'user' as const, name: input.name, email: input.email, phone: null, createdAt: now };
      store.contacts.set(contact.id, contact);
      const id = store.allocateConversationId();
      const conversation: StoredConversation = {
        id,
        createdAt: now,
        updatedAt: now,
        state: 'open',
        priority: 'not_priority',
        adminAssigneeId: null,
        tagIds: [],
        contactId: contact.id,
        customAttributes: {},
        source: { id: String(400_000_000 + Number(id)), type: 'conversation', subject: '', body: input.body, author: { type: 'user', id: contact.id }, attachments: [] },
        parts: [],
      };
      store.conversations.set(id, conversation);
      deliveries.notify('conversation.user.created', conversation);
      return conversation;
    },
    flushDeliveries: () => deliveries.flush(),
    async listen(port = 0) {
      const server = await listenOnLoopback(app.fetch, port);
      origin = server.url;
      return server;
    },
  };
}

/** For `tuneloop sandbox intercom`: starts a sandbox and prints nothing. */
export async function startIntercomSandbox(options: IntercomSandboxOptions & { port?: number } = {}) {
  const sandbox = createIntercomSandbox(options);
  const { url, close } = await sandbox.listen(options.port ?? 0);
  return { url, close, sandbox, store: sandbox.store };
}
