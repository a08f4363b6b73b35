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
 *
 * It also plays Slack's side towards the app (app-side.ts): Socket Mode (apps.connections.open
 * with the app-level token, a WebSocket at /link/) and HTTP mode (`setRequestUrl`, signed with the
 * signing secret), and an actor API (`slashCommand`, `clickButton`, `submitView`, `closeView`,
 * `postUserMessage`, `editUserMessage`, `openAppHome`, `verifyRequestUrl`) that delivers what Slack
 * would and records it in `store.deliveries`, `store.responses`, `store.socketConnections`. Answers
 * to response_urls arrive at /response/<id>.
 */
import { listenOnLoopback } from '../../sandbox-kit/server.ts';
import { Hono } from 'hono';
import { generateSupportThreads } from '../../sandbox-kit/data.ts';
import { createAppSide, type SlackAppSide } from './app-side.ts';
import { handleCall, RateLimiter } from './gate.ts';
import { appsConnectionsOpen } from './methods-apps.ts';
import { chatPostEphemeral, chatPostMessage, chatUpdate } from './methods-chat.ts';
import { conversationsHistory, conversationsInfo, conversationsReplies } from './methods-conversations.ts';
import { authTest, usergroupsUsersList, usersInfo, usersList } from './methods-users.ts';
import { viewsOpen, viewsPublish, viewsUpdate } from './methods-views.ts';
import { APP_BOT, DEFAULT_CHANNELS, seedWorkspace, type SandboxChannelInput } from './seed.ts';
import { fileRoutes } from './files.ts';
import { responseUrlRoute } from './response-url.ts';
import { SocketLink } from './socket.ts';
import { DEFAULT_FAULTS, slackError, type MethodSpec, type SandboxState, type SlackSandboxFaults, type TokenGrant } from './state.ts';
import { SlackSandboxStore } from './store.ts';

export type { SlackSandboxFaults, TierLimits } from './state.ts';
export { SLACK_TIER_LIMITS } from './state.ts';
export type { PostedEntry, RequestLogEntry, RetryAfterViolation, SlackSandboxStore, StoredMessage } from './store.ts';
export { FOLLOW_UP_TEXT } from './store.ts';
export { APP_BOT, DEFAULT_CHANNELS, HELPER_BOT, LEGACY_BOT, SUPPORT_GROUP_ID } from './seed.ts';
export type { SlackAppSide } from './app-side.ts';
export type { ButtonResult, ButtonTarget, SlashCommandResult, SubmitResult } from './actor-interactions.ts';
export type { MessageResult, NewUserMessage, VerificationResult } from './actor-events.ts';
export type { DeliveryOptions } from './deliver.ts';
export { SANDBOX_VERIFICATION_TOKEN, type ViewInputValue, type ViewValues } from './payloads.ts';
export type { DeliveryAttempt, DeliveryKind, DeliveryRecord, DeliveryVia, ResponseMessage, SignatureMode, SocketConnectionRecord } from './records.ts';
export { slackSignature } from './signing.ts';
export type { DisconnectReason } from './socket.ts';
export type { ViewAnswer, ViewOutcome } from './view-answers.ts';

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
  'files:read',
];

/** Not a secret: the loopback sandbox's fixture token. */
export const SANDBOX_BOT_TOKEN = 'xoxb-sandbox-bot-token';
/** Not a secret: the fixture app-level token, which opens Socket Mode connections (connections:write). */
export const SANDBOX_APP_TOKEN = 'xapp-sandbox-app-token';
/** Not a secret: the fixture signing secret the sandbox signs HTTP deliveries with. */
// 32 hex characters, the form of a real app's signing secret (SLACK_SIGNING_SECRET checks it).
export const SANDBOX_SIGNING_SECRET = '5a9d3c0e7b1f48a2b6e4c8d01f2a3b4c';
/** Slack's event retry schedule: nearly at once, after a minute, after five (https://docs.slack.dev/apis/events-api/). */
export const SLACK_EVENT_RETRY_DELAYS_MS = [0, 60_000, 300_000];

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
  'apps.connections.open': appsConnectionsOpen,
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
  /** What HTTP deliveries are signed with; SANDBOX_SIGNING_SECRET unless given. */
  signingSecret?: string;
  /** The app-level token apps.connections.open takes; SANDBOX_APP_TOKEN unless given. */
  appToken?: string;
  /** How long the app has to answer or ack a delivery; Slack's 3000 ms unless given. */
  ackTimeoutMs?: number;
  /** Waits before each retry of an unanswered event; SLACK_EVENT_RETRY_DELAYS_MS unless given. */
  eventRetryDelaysMs?: number[];
  /** HTTP mode from the start (else `setRequestUrl`). */
  requestUrl?: string | null;
  /** The clock trigger_id and response_url expiry run on (ms since the epoch); Date.now unless given. */
  clock?: () => number;
}

export interface SlackSandbox extends SlackAppSide {
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
  const grant: TokenGrant = { type: 'bot', scopes: new Set(options.scopes ?? DEFAULT_SCOPES), revoked: false };
  const appGrant: TokenGrant = { type: 'app', scopes: new Set(['connections:write']), revoked: false };
  const link = new SocketLink(store, APP_BOT.appId);
  const clock = options.clock ?? Date.now;
  const tokens = new Map<string, TokenGrant>([
    [botToken, grant],
    [options.appToken ?? SANDBOX_APP_TOKEN, appGrant],
  ]);
  const state: SandboxState = { store, faults, tokens, bot: { ...APP_BOT }, link, clock };
  const limiter = new RateLimiter(state);
  let baseUrl: string | null = null;
  const appSide = createAppSide(
    state,
    link,
    {
      signingSecret: options.signingSecret ?? SANDBOX_SIGNING_SECRET,
      ackTimeoutMs: options.ackTimeoutMs ?? 3000,
      eventRetryDelaysMs: options.eventRetryDelaysMs ?? SLACK_EVENT_RETRY_DELAYS_MS,
      clock,
    },
    () => {
      if (baseUrl === null) throw new Error('the Slack sandbox must listen() before it can act as Slack');
      return baseUrl;
    },
  );
  appSide.side.setRequestUrl(options.requestUrl ?? null);

  const app = new Hono();
  app.all('/api/:method', (c) => {
    const method = c.req.param('method');
    const spec = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (!spec) return c.json(slackError('unknown_method', { req_method: method }), 404);
    return handleCall(c, state, limiter, method, spec);
  });
  const [checkTicket, upgrade] = link.route();
  app.get('/link/', checkTicket, upgrade);
  app.post('/response/:id', responseUrlRoute(state));
  app.route('/', fileRoutes(state));
  app.notFound((c) => c.text('Not Found', 404));
  app.onError((_error, c) => c.json(slackError('internal_error'), 500));

  const { side } = appSide;
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
      const server = await listenOnLoopback(app.fetch, port, '127.0.0.1', { server: link.server });
      baseUrl = server.url;
      return {
        url: server.url,
        apiUrl: `${server.url}/api/`,
        async close() {
          appSide.close();
          await server.close();
        },
      };
    },
    setRequestUrl: side.setRequestUrl,
    get requestUrl() {
      return side.requestUrl;
    },
    slashCommand: side.slashCommand,
    clickButton: side.clickButton,
    submitView: side.submitView,
    closeView: side.closeView,
    postUserMessage: side.postUserMessage,
    editUserMessage: side.editUserMessage,
    openAppHome: side.openAppHome,
    verifyRequestUrl: side.verifyRequestUrl,
    disconnectSocket: side.disconnectSocket,
    waitForSocketConnection: side.waitForSocketConnection,
    get socketConnections() {
      return side.socketConnections;
    },
  };
}

/** For `tuneloop sandbox slack --port --seed --threads`: starts a sandbox and prints nothing. */
export async function startSlackSandbox(options: SlackSandboxOptions & { port?: number } = {}) {
  const sandbox = createSlackSandbox(options);
  const { url, apiUrl, close } = await sandbox.listen(options.port ?? 0);
  return { url, apiUrl, close, sandbox, store: sandbox.store };
}
