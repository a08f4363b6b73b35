/**
 * conversations.history, conversations.replies and conversations.info, as documented in
 * https://github.com/slackapi/slack-api-specs (web-api/slack_web_openapi_v2.json) and https://docs.slack.dev/reference/methods/:
 * - history lists a channel's top-level messages (and broadcast replies) newest first between
 *   `oldest` and `latest` (both exclusive unless `inclusive`), `limit` (default 100, at most 999)
 *   per page, `has_more` and `response_metadata.next_cursor`;
 * - replies answers a thread's parent first and then its replies oldest first; the parent heads
 *   every page, so clients must not count it twice;
 * - bot tokens read only channels the bot is in: public ones answer `not_in_channel`, private ones
 *   stay invisible (`channel_not_found`).
 * Cursors are base64("next_ts:<ts>") like Slack's, naming the first message of the next page.
 */
import { channelJson, messageJson, type Json } from './json.ts';
import { booleanArg, stringArg, type Params } from './params.ts';
import { slackError, type MethodContext, type MethodSpec, type SandboxState, type ScopeNeed } from './state.ts';
import type { StoredChannel, StoredMessage } from './store.ts';
import { tsMicros } from '../timestamps.ts';

const ALL_HISTORY = ['channels:history', 'groups:history', 'im:history', 'mpim:history'];
const ALL_READ = ['channels:read', 'groups:read', 'im:read', 'mpim:read'];

function scopeFor(params: Params, state: SandboxState, kind: 'history' | 'read'): ScopeNeed {
  const id = stringArg(params, 'channel');
  const channel = id ? state.store.channel(id) : undefined;
  const all = kind === 'history' ? ALL_HISTORY : ALL_READ;
  if (!channel) return { accepted: all, needed: all.join(',') };
  const scope = `${channel.isPrivate ? 'groups' : 'channels'}:${kind}`;
  return { accepted: [scope], needed: scope };
}

/** The channel a bot token may read, or Slack's error for it. */
function readableChannel(ctx: MethodContext): StoredChannel | Json {
  const id = stringArg(ctx.params, 'channel');
  const channel = id ? ctx.state.store.channel(id) : undefined;
  if (!channel) return slackError('channel_not_found');
  if (!channel.members.has(ctx.state.bot.userId)) return slackError(channel.isPrivate ? 'channel_not_found' : 'not_in_channel');
  return channel;
}

function isChannel(value: StoredChannel | Json): value is StoredChannel {
  return 'topLevel' in value;
}

function encodeCursor(ts: string): string {
  return Buffer.from(`next_ts:${ts}`, 'utf8').toString('base64');
}

function decodeCursor(cursor: string): number | null {
  const match = /^next_ts:(\d+\.\d{6})$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  return match?.[1] ? tsMicros(match[1]) : null;
}

function limitOf(params: Params, fallback: number, max: number): number {
  const raw = stringArg(params, 'limit');
  if (raw === null || !/^\d+$/.test(raw) || Number(raw) === 0) return fallback;
  return Math.min(max, Number(raw));
}

type Range = { oldest: number; latest: number; inclusive: boolean; cursor: number | null };

function rangeOf(params: Params): { range: Range } | { error: Json } {
  const parse = (name: 'oldest' | 'latest', fallback: number): number | null => {
    const raw = stringArg(params, name);
    if (raw === null) return fallback;
    return /^\d+(\.\d{1,6})?$/.test(raw) ? tsMicros(raw) : null;
  };
  const oldest = parse('oldest', 0);
  if (oldest === null) return { error: slackError('invalid_ts_oldest') };
  const latest = parse('latest', Number.MAX_SAFE_INTEGER);
  if (latest === null) return { error: slackError('invalid_ts_latest') };
  const rawCursor = stringArg(params, 'cursor');
  const cursor = rawCursor === null ? null : decodeCursor(rawCursor);
  if (rawCursor !== null && cursor === null) return { error: slackError('invalid_cursor') };
  return { range: { oldest, latest, inclusive: booleanArg(params, 'inclusive'), cursor } };
}

function inRange(micros: number, range: Range): boolean {
  const afterOldest = range.inclusive ? micros >= range.oldest : micros > range.oldest;
  const beforeLatest = range.inclusive ? micros <= range.latest : micros < range.latest;
  return afterOldest && beforeLatest;
}

function page(messages: StoredMessage[], limit: number): { items: StoredMessage[]; next: string | null } {
  const items = messages.slice(0, limit);
  const next = messages[limit];
  return { items, next: next ? encodeCursor(next.ts) : null };
}

function paged(next: string | null): Json {
  return next ? { has_more: true, response_metadata: { next_cursor: next } } : { has_more: false };
}

// https://docs.slack.dev/reference/methods/conversations.history
export const conversationsHistory: MethodSpec = {
  tier: 3,
  json: false,
  scopes: (params, state) => scopeFor(params, state, 'history'),
  run(ctx) {
    const channel = readableChannel(ctx);
    if (!isChannel(channel)) return channel;
    const parsed = rangeOf(ctx.params);
    if ('error' in parsed) return parsed.error;
    const { range } = parsed;
    const candidates: StoredMessage[] = [];
    for (let i = channel.topLevel.length - 1; i >= 0; i--) {
      const message = channel.topLevel[i];
      if (!message) continue;
      const micros = tsMicros(message.ts);
      if (range.cursor !== null && micros > range.cursor) continue;
      if (inRange(micros, range)) candidates.push(message);
      else if (micros < range.oldest) break;
    }
    const { items, next } = page(candidates, limitOf(ctx.params, 100, 999));
    const options = { origin: ctx.origin, withThreadSummary: true, missingFields: ctx.missingFields };
    return {
      ok: true,
      messages: items.map((message) => messageJson(ctx.state.store, channel, message, options)),
      ...paged(next),
      pin_count: 0,
      channel_actions_ts: null,
      channel_actions_count: 0,
    };
  },
};

// https://docs.slack.dev/reference/methods/conversations.replies
export const conversationsReplies: MethodSpec = {
  tier: 3,
  json: false,
  scopes: (params, state) => scopeFor(params, state, 'history'),
  run(ctx) {
    const channel = readableChannel(ctx);
    if (!isChannel(channel)) return channel;
    const ts = stringArg(ctx.params, 'ts');
    const found = ts ? channel.byTs.get(ts) : undefined;
    if (!found) return slackError('thread_not_found');
    const parent = found.threadTs && found.threadTs !== found.ts ? channel.byTs.get(found.threadTs) : found;
    if (!parent) return slackError('thread_not_found');
    const parsed = rangeOf(ctx.params);
    if ('error' in parsed) return parsed.error;
    const { range } = parsed;
    const replies = (channel.replies.get(parent.ts) ?? []).filter((reply) => {
      const micros = tsMicros(reply.ts);
      return inRange(micros, range) && (range.cursor === null || micros >= range.cursor);
    });
    const { items, next } = page(replies, limitOf(ctx.params, 1000, 1000));
    const options = { origin: ctx.origin, withThreadSummary: false, missingFields: ctx.missingFields };
    return {
      ok: true,
      messages: [parent, ...items].map((message) => messageJson(ctx.state.store, channel, message, options)),
      ...paged(next),
    };
  },
};

// https://docs.slack.dev/reference/methods/conversations.info
export const conversationsInfo: MethodSpec = {
  tier: 3,
  json: false,
  scopes: (params, state) => scopeFor(params, state, 'read'),
  run(ctx) {
    const id = stringArg(ctx.params, 'channel');
    const channel = id ? ctx.state.store.channel(id) : undefined;
    if (!channel || (channel.isPrivate && !channel.members.has(ctx.state.bot.userId))) return slackError('channel_not_found');
    const options = { withLocale: booleanArg(ctx.params, 'include_locale'), withMemberCount: booleanArg(ctx.params, 'include_num_members'), botUserId: ctx.state.bot.userId };
    return { ok: true, channel: channelJson(ctx.state.store, channel, options) };
  },
};
