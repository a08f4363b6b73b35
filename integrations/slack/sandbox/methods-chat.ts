/**
 * chat.postMessage, chat.update and chat.postEphemeral (https://docs.slack.dev/reference/methods/),
 * for the tuneloop Slack app's progress messages and alerts. Posted messages land in the channel
 * (so conversations.history/replies return them) and in `store.posted`, which tests read.
 * Limits as on Slack: text up to 40,000 characters, up to 50 blocks; the app posts as its bot user,
 * into public channels it is not in only with chat:write.public.
 */
import { messageJson, type Json } from './json.ts';
import { booleanArg, jsonArg, stringArg, type Params } from './params.ts';
import { slackError, type MethodContext, type MethodSpec } from './state.ts';
import type { StoredChannel } from './store.ts';
import { tsFromMicros } from '../timestamps.ts';

const MAX_TEXT = 40_000;
const MAX_BLOCKS = 50;
const CHAT_WRITE = { accepted: ['chat:write'], needed: 'chat:write' };

type Content = { text: string; blocks: unknown[] | null };

/** text and/or blocks (attachments count as content too); Slack's error when there is none or too much. */
function contentOf(params: Params): Content | Json {
  const text = stringArg(params, 'text') ?? '';
  const blocks = jsonArg(params, 'blocks');
  if (blocks.invalid || (blocks.present && !Array.isArray(blocks.value))) return slackError('invalid_blocks');
  const list = Array.isArray(blocks.value) ? blocks.value : null;
  if (list && list.length > MAX_BLOCKS) return slackError('invalid_blocks', { response_metadata: { messages: [`[ERROR] no more than ${MAX_BLOCKS} items allowed [json-pointer:/blocks]`] } });
  if (!text && !list?.length && !jsonArg(params, 'attachments').present) return slackError('no_text');
  if (text.length > MAX_TEXT) return slackError('msg_too_long');
  return { text, blocks: list };
}

function isContent(value: Content | Json): value is Content {
  return !('ok' in value);
}

/** The channel the bot may post to, or Slack's error. */
function postableChannel(ctx: MethodContext): StoredChannel | Json {
  const id = stringArg(ctx.params, 'channel');
  const channel = id ? ctx.state.store.channel(id) : undefined;
  if (!channel) return slackError('channel_not_found');
  if (!channel.members.has(ctx.state.bot.userId)) {
    if (channel.isPrivate) return slackError('channel_not_found');
    if (!ctx.grant.scopes.has('chat:write.public')) return slackError('not_in_channel');
  }
  return channel;
}

function isChannel(value: StoredChannel | Json): value is StoredChannel {
  return 'topLevel' in value;
}

const jsonOptions = (ctx: MethodContext) => ({ origin: ctx.origin, withThreadSummary: false, missingFields: false });

// https://docs.slack.dev/reference/methods/chat.postMessage
export const chatPostMessage: MethodSpec = {
  tier: 'special',
  json: true,
  scopes: () => CHAT_WRITE,
  rateKey: (params) => stringArg(params, 'channel') ?? '',
  run(ctx) {
    const channel = postableChannel(ctx);
    if (!isChannel(channel)) return channel;
    const content = contentOf(ctx.params);
    if (!isContent(content)) return content;
    const threadTs = stringArg(ctx.params, 'thread_ts');
    if (threadTs) {
      const parent = channel.byTs.get(threadTs);
      if (!parent || (parent.threadTs !== null && parent.threadTs !== parent.ts)) return slackError('thread_not_found');
    }
    const { store, bot } = ctx.state;
    const message = store.addMessage(channel.id, {
      user: bot.userId,
      botId: bot.botId,
      appId: bot.appId,
      text: content.text,
      blocks: content.blocks,
      threadTs,
      subtype: threadTs && booleanArg(ctx.params, 'reply_broadcast') ? 'thread_broadcast' : null,
    });
    store.posted.push({ method: 'chat.postMessage', channel: channel.id, ts: message.ts, threadTs, user: null, text: content.text, blocks: content.blocks, time: new Date() });
    return { ok: true, channel: channel.id, ts: message.ts, message: messageJson(store, channel, message, jsonOptions(ctx)) };
  },
};

// https://docs.slack.dev/reference/methods/chat.update
export const chatUpdate: MethodSpec = {
  tier: 3,
  json: true,
  scopes: () => CHAT_WRITE,
  run(ctx) {
    const id = stringArg(ctx.params, 'channel');
    const channel = id ? ctx.state.store.channel(id) : undefined;
    if (!channel) return slackError('channel_not_found');
    const ts = stringArg(ctx.params, 'ts');
    const message = ts ? channel.byTs.get(ts) : undefined;
    if (!message) return slackError('message_not_found');
    const { store, bot } = ctx.state;
    if (message.user !== bot.userId) return slackError('cant_update_message');
    const content = contentOf(ctx.params);
    if (!isContent(content)) return content;
    message.text = content.text;
    if (content.blocks) message.blocks = content.blocks;
    message.edited = { user: bot.userId, ts: tsFromMicros(Date.now() * 1000) };
    store.posted.push({ method: 'chat.update', channel: channel.id, ts: message.ts, threadTs: message.threadTs, user: null, text: content.text, blocks: content.blocks, time: new Date() });
    return { ok: true, channel: channel.id, ts: message.ts, text: content.text, message: messageJson(store, channel, message, jsonOptions(ctx)) };
  },
};

// https://docs.slack.dev/reference/methods/chat.postEphemeral: shown to one user, never stored in the channel.
export const chatPostEphemeral: MethodSpec = {
  tier: 4,
  json: true,
  scopes: () => CHAT_WRITE,
  run(ctx) {
    const channel = postableChannel(ctx);
    if (!isChannel(channel)) return channel;
    const userId = stringArg(ctx.params, 'user');
    const user = userId ? ctx.state.store.users.get(userId) : undefined;
    if (!user) return slackError('user_not_found');
    if (!channel.members.has(user.id)) return slackError('user_not_in_channel');
    const content = contentOf(ctx.params);
    if (!isContent(content)) return content;
    const ts = tsFromMicros(Date.now() * 1000);
    ctx.state.store.posted.push({ method: 'chat.postEphemeral', channel: channel.id, ts, threadTs: stringArg(ctx.params, 'thread_ts'), user: user.id, text: content.text, blocks: content.blocks, time: new Date() });
    return { ok: true, message_ts: ts };
  },
};
