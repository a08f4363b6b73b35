/**
 * The Slack sandbox's mutable state (store, faults, the bot token and its scopes) and the shape of a
 * Web API method: its rate-limit tier, the scopes it accepts and what it answers.
 */
import type { Json } from './json.ts';
import type { Params } from './params.ts';
import type { SlackSandboxStore } from './store.ts';

/**
 * Slack's tiers, per method, per workspace, per app (https://docs.slack.dev/apis/web-api/rate-limits):
 * Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min; "special" methods such as
 * chat.postMessage allow about one message per second per channel.
 */
export type Tier = 1 | 2 | 3 | 4 | 'special';

export interface TierLimits {
  /** Length of a quota window; Slack's is a minute. Tests shorten it. */
  windowSeconds: number;
  /** Calls allowed per window and method (per channel for special methods). */
  perWindow: Record<Tier, number>;
}

/** Slack's published minimums; real workspaces tolerate some bursts above them. */
export const SLACK_TIER_LIMITS: TierLimits = { windowSeconds: 60, perWindow: { 1: 1, 2: 20, 3: 50, 4: 100, special: 60 } };

export interface SlackSandboxFaults {
  /** Every Nth request (counting from the sandbox's start) is answered 429. */
  rateLimitEvery: number | null;
  /** Retry-After of injected 429s. Whole seconds, as Slack sends them (WebClient reads them with parseInt). */
  retryAfterSeconds: number;
  /** Enforce per-method tier quotas; null: unlimited (the default, so big harvests stay fast). */
  tierLimits: TierLimits | null;
  /** The next N requests are answered with `errorStatus`. */
  errorBurst: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** Added before every answer. */
  latencyMs: number;
  /** 'html': a 200 text/html page instead of JSON; 'missing-fields': records lack documented fields. */
  malformed: 'html' | 'missing-fields' | null;
}

export const DEFAULT_FAULTS: SlackSandboxFaults = {
  rateLimitEvery: null,
  retryAfterSeconds: 1,
  tierLimits: null,
  errorBurst: 0,
  errorStatus: 503,
  latencyMs: 0,
  malformed: null,
};

/**
 * What a token grants. The sandbox knows one app, installed once: its bot token (xoxb-) and its
 * app-level token (xapp-, https://docs.slack.dev/authentication/tokens#app-level), which only
 * opens Socket Mode connections.
 */
export interface TokenGrant {
  type: 'bot' | 'app';
  scopes: Set<string>;
  revoked: boolean;
}

/** Socket Mode's side of apps.connections.open: a one-time WebSocket URL on this server. */
export interface SocketTickets {
  open(origin: string): string;
}

export interface SandboxState {
  store: SlackSandboxStore;
  faults: SlackSandboxFaults;
  tokens: Map<string, TokenGrant>;
  bot: { userId: string; botId: string; appId: string; name: string };
  link: SocketTickets;
  /** Milliseconds since the epoch; tests of trigger_id and response_url expiry pass their own clock. */
  clock: () => number;
}

export interface MethodContext {
  params: Params;
  state: SandboxState;
  grant: TokenGrant;
  origin: string;
  missingFields: boolean;
}

/** The scopes a call needs: any one of `accepted`; `needed` is what Slack names when none is granted. */
export interface ScopeNeed {
  accepted: string[];
  needed: string;
}

export interface MethodSpec {
  tier: Tier;
  /** Token types the method takes; bot only unless given. Others get not_allowed_token_type. */
  tokenTypes?: TokenGrant['type'][];
  /** Whether the method reads JSON bodies (Slack's write methods do). */
  json: boolean;
  /** null: any valid token may call it. */
  scopes(params: Params, state: SandboxState): ScopeNeed | null;
  /** Rate-limit bucket beyond the method, e.g. the channel for chat.postMessage. */
  rateKey?(params: Params): string;
  run(ctx: MethodContext): Json;
}

export function slackError(error: string, extra: Json = {}): Json {
  return { ok: false, error, ...extra };
}
