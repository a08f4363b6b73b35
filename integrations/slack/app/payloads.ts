/**
 * What Slack sends, parsed with zod into the hub's plain inputs (integrations/contract/slack-app.ts).
 * Only the fields the hub reads; a payload that does not parse is acknowledged and dropped
 * (Slack must not retry it).
 * https://docs.slack.dev/interactivity/implementing-slash-commands#app_command_handling
 * https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
 * https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
 * https://docs.slack.dev/reference/events/message
 */
import { z } from 'zod';
import type { SlackButton, SlackCommand, SlackMessageEvent, SlackViewSubmission } from '../../types.ts';

const id = z.string().min(1).max(64);

const Command = z.object({
  command: z.string().min(2).max(64),
  text: z.string().max(4000).default(''),
  user_id: id,
  team_id: id.optional(),
  channel_id: id,
  trigger_id: z.string().min(1).max(200),
  response_url: z.url({ protocol: /^https?$/ }),
});

export function parseCommand(body: unknown): SlackCommand | null {
  const parsed = Command.safeParse(body);
  if (!parsed.success) return null;
  const c = parsed.data;
  return { command: c.command, text: c.text.trim(), userId: c.user_id, teamId: c.team_id ?? null, channelId: c.channel_id, triggerId: c.trigger_id, responseUrl: c.response_url };
}

const BlockActions = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id }),
  trigger_id: z.string().min(1).max(200),
  response_url: z.url({ protocol: /^https?$/ }).optional(),
  channel: z.object({ id }).nullish(),
  message: z.object({ ts: z.string().min(1).max(40) }).nullish(),
  view: z.object({ id }).nullish(),
  actions: z
    .array(
      z.object({
        action_id: z.string().min(1).max(255),
        block_id: z.string().max(255).optional(),
        value: z.string().max(2000).optional(),
        selected_option: z.object({ value: z.string().max(2000) }).nullish(),
      }),
    )
    .min(1),
});

export function parseButton(body: unknown): SlackButton | null {
  const parsed = BlockActions.safeParse(body);
  if (!parsed.success) return null;
  const p = parsed.data;
  const action = p.actions[0];
  if (!action) return null;
  return {
    actionId: action.action_id,
    blockId: action.block_id ?? null,
    value: action.value ?? action.selected_option?.value ?? null,
    userId: p.user.id,
    channelId: p.channel?.id ?? null,
    messageTs: p.message?.ts ?? null,
    viewId: p.view?.id ?? null,
    triggerId: p.trigger_id,
    responseUrl: p.response_url ?? null,
  };
}

/** One input's state: https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload#view_submission */
const InputState = z.object({
  value: z.string().max(3000).nullish(),
  selected_option: z.object({ value: z.string().max(2000) }).nullish(),
});

const ViewSubmission = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id }),
  view: z.object({
    id,
    callback_id: z.string().max(255).default(''),
    private_metadata: z.string().max(3000).default(''),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), InputState)) }).default({ values: {} }),
  }),
});

export function parseViewSubmission(body: unknown): SlackViewSubmission | null {
  const parsed = ViewSubmission.safeParse(body);
  if (!parsed.success) return null;
  const { view, user } = parsed.data;
  const values: Record<string, string | null> = {};
  for (const block of Object.values(view.state.values)) {
    for (const [actionId, state] of Object.entries(block)) values[actionId] = state.value ?? state.selected_option?.value ?? null;
  }
  return { callbackId: view.callback_id, viewId: view.id, privateMetadata: view.private_metadata, values, userId: user.id };
}

const MessageEvent = z.object({
  type: z.literal('message'),
  subtype: z.string().optional(),
  channel: id,
  ts: z.string().min(1).max(40),
  thread_ts: z.string().max(40).optional(),
  user: id.optional(),
  bot_id: z.string().optional(),
  text: z.string().max(40_000).default(''),
  message: z.object({ ts: z.string().max(40), thread_ts: z.string().max(40).optional(), user: id.optional(), bot_id: z.string().optional(), text: z.string().max(40_000).default('') }).optional(),
});

/** New and edited messages; other subtypes (joins, deletions, topic changes) are not messages to scan. */
export function parseMessageEvent(event: unknown, eventId: string): SlackMessageEvent | null {
  const parsed = MessageEvent.safeParse(event);
  if (!parsed.success) return null;
  const e = parsed.data;
  if (e.subtype === 'message_changed' && e.message) {
    const m = e.message;
    return { eventId, channelId: e.channel, ts: m.ts, threadTs: m.thread_ts ?? null, userId: m.user ?? null, text: m.text, edited: true, fromBot: Boolean(m.bot_id) };
  }
  if (e.subtype && e.subtype !== 'thread_broadcast' && e.subtype !== 'file_share' && e.subtype !== 'bot_message') return null;
  return { eventId, channelId: e.channel, ts: e.ts, threadTs: e.thread_ts ?? null, userId: e.user ?? null, text: e.text, edited: false, fromBot: Boolean(e.bot_id) || e.subtype === 'bot_message' };
}
