/**
 * A loopback Slack: the Web API methods tuneloop uses, at `/api/<method>`, with Slack's argument
 * handling (GET, form, multipart, JSON for write methods), tokens and scopes, `{ok: false}` errors,
 * cursor pagination, per-method rate-limit tiers and Retry-After, filled from generateSupportThreads.
 * Point @slack/web-api at it with `slackApiUrl: `${url}/api/``, the connector with
 * `{ apiUrl: `${url}/api/` }`, and Bolt with `clientOptions: { slackApiUrl }`.
 *
 * Faults (`rateLimitEvery`, `tierLimits`, `errorBurst`, `latencyMs`, `malformed`) can be given up
 * front or changed while running with `setFaults`; `setScopes` changes what the bot token grants.
 * The store is exposed so tests can change data (`addMessage`, `addReply`, `editMessage`,
 * `followUpThreads`) and read `requestLog`, `violations`, `posted` and `viewLog`.
 */
import { listenOnLoopback } from '../../sandbox-kit/server.ts';
import { Hono } from 'hono';
import { generateSupportThreads } from '../../sandbox-kit/data.ts';
import { handleCall, RateLimiter } from './gate.ts';
import { chatPostEphemeral, chatPostMessage, chatUpdate } from './methods-chat.ts';
import { conversationsHistory, conversationsInfo, conversationsReplies } from './methods-conversations.ts';
import { authTest, usergroupsUsersList, usersInfo, usersList } from './methods-users.ts';
import { viewsOpen, viewsPublish, viewsUpdate } from './methods-views.ts';
import { APP_BOT, DEFAULT_CHANNELS, seedWorkspace, type SandboxChannelInput } from './seed.ts';
import { DEFAULT_FAULTS, slackError, type MethodSpec, type SandboxState, type SlackSandboxFaults } from './state.ts';
import { SlackSandboxStore } from './store.ts';

export type { SlackSandboxFaults, TierLimits } from './state.ts';
export { SLACK_TIER_LIMITS } from './state.ts';
export type { PostedEntry, RequestLogEntry, RetryAfterViolation, SlackSandboxStore, StoredMessage } from './store.ts';
export { FOLLOW_UP_TEXT } from './store.ts';
export { APP_BOT, DEFAULT_CHANNELS, HELPER_BOT, LEGACY_BOT, SUPPORT_GROUP_ID } from './seed.ts';

/** Scopes a tuneloop install asks for (https://docs.slack.dev/reference/scopes). */
export const DEFAULT_SCOPES = [
  'channels:history',
  'groups:history',
  'channels:read',
  'groups:read',
  'users:read',
  'users:read.email',
  'usergroups:read',
  'chat:write',
  'commands',
];

/** Not a secret: the loopback sandbox's fixture token. */
export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-bot-token';

const METHODS: Record<string, MethodSpec> = {
  'auth.test': authTest,
  'conversations.history': conversationsHistory,
  'conversations.replies': conversationsReplies,
  'conversations.info': conversationsInfo,
  'users.info': usersInfo,
  'users.list': usersList,
  'usergroups.users.list': usergroupsUsersList,
  'chat.postMessage': chatPostMessage,
  'chat.update': chatUpdate,
  'chat.postEphemeral': chatPostEphemeral,
  'views.open': viewsOpen,
  'views.update': viewsUpdate,
  'views.publish': viewsPublish,
};

export interface SlackSandboxOptions extends Partial<SlackSandboxFaults> {
  seed?: number;
  /** Number of support threads, spread over the channels. */
  threads?: number;
  channels?: SandboxChannelInput[];
  botToken?: string;
  /** What the bot token grants; DEFAULT_SCOPES unless given. */
  scopes?: string[];
  /** Channels the bot has not been invited to. */
  botNotIn?: string[];
}

export interface SlackSandbox {
  app: Hono;
  store: SlackSandboxStore;
  readonly faults: Readonly<SlackSandboxFaults>;
  setFaults(faults: Partial<SlackSandboxFaults>): void;
  setScopes(scopes: string[]): void;
  /** Revokes the bot token (an uninstall): calls then answer token_revoked. */
  revokeToken(): void;
  listen(port?: number): Promise<{ url: string; apiUrl: string; close(): Promise<void> }>;
}

export function createSlackSandbox(options: SlackSandboxOptions = {}): SlackSandbox {
  const { seed = 1, threads = 100, channels = DEFAULT_CHANNELS, botToken = SANDBOX_BOT_TOKEN } = options;
  const store = new SlackSandboxStore();
  seedWorkspace(store, generateSupportThreads({ seed, count: threads }), channels);
  for (const id of options.botNotIn ?? []) store.requireChannel(id).members.delete(APP_BOT.userId);

  const faults: SlackSandboxFaults = { ...DEFAULT_FAULTS };
  for (const key of Object.keys(DEFAULT_FAULTS) as (keyof SlackSandboxFaults)[]) {
    if (options[key] !== undefined) Object.assign(faults, { [key]: options[key] });
  }
  const grant = { scopes: new Set(options.scopes ?? DEFAULT_SCOPES), revoked: false };
  const state: SandboxState = { store, faults, tokens: new Map([[botToken, grant]]), bot: { ...APP_BOT } };
  const limiter = new RateLimiter(state);

  const app = new Hono();
  app.all('/api/:method', (c) => {
    const method = c.req.param('method');
    const spec = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!spec) return c.json(slackError('unknown_method', { req_method: method }), 404);
    return handleCall(c, state, limiter, method, spec);
  });
  app.notFound((c) => c.text('Not Found', 404));
  app.onError((_error, c) => c.json(slackError('internal_error'), 500));

  return {
    app,
    store,
    get faults() {
      return faults;
    },
    setFaults(next) {
      Object.assign(faults, next);
    },
    setScopes(scopes) {
      grant.scopes = new Set(scopes);
    },
    revokeToken() {
      grant.revoked = true;
    },
    async listen(port = 0) {
      const server = await listenOnLoopback(app.fetch, port);
      return { ...server, apiUrl: `${server.url}/api/` };
    },
  };
}

/** For `tuneloop sandbox slack --port --seed --threads`: starts a sandbox and prints nothing. */
export async function startSlackSandbox(options: SlackSandboxOptions & { port?: number } = {}) {
  const sandbox = createSlackSandbox(options);
  const { url, apiUrl, close } = await sandbox.listen(options.port ?? 0);
  return { url, apiUrl, close, sandbox, store: sandbox.store };
}
