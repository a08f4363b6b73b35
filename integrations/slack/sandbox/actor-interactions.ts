/**
 * A user acting on the app, as Slack reports it: a slash command, a button click (in a message, a
 * modal or App Home), a modal submitted or closed. Each hands out the trigger_id (and, for
 * messages, the response_url) Slack would, delivers the payload, and applies the app's answer: a
 * command's reply (ephemeral unless in_channel), a view_submission's response_action. A user can
 * act only where Slack would let them (their channel, their modal); anything else is a test's
 * mistake and throws.
 */
import { randomBytes } from 'node:crypto';
import type { Deliverer, DeliveryOptions } from './deliver.ts';
import {
  blockActionsFromMessage,
  blockActionsFromView,
  buttonAction,
  findButton,
  slashCommandPayload,
  viewClosedPayload,
  viewSubmissionPayload,
  type ViewValues,
} from './payloads.ts';
import type { DeliveryRecord, ResponseMessage } from './records.ts';
import { applyAnswer, issueResponseUrl } from './response-url.ts';
import type { SandboxState } from './state.ts';
import type { StoredChannel, StoredView } from './store.ts';
import { applyViewAnswer, type ViewAnswer } from './view-answers.ts';

export interface ActorContext {
  state: SandboxState;
  deliverer: Deliverer;
  /** The sandbox's own URL (for response_urls); throws until it listens. */
  baseUrl(): string;
}

export type SlashCommandResult = DeliveryRecord & { triggerId: string; responseUrl: string; reply: ResponseMessage | null };
export type ButtonResult = DeliveryRecord & { triggerId: string; responseUrl: string | null };
export type SubmitResult = DeliveryRecord & { triggerId: string } & ViewAnswer;

export type ButtonTarget = { channelId: string; ts: string } | { viewId: string };

/** "12345.98765.abcd2358fdea": the form views.open checks. */
export function issueTrigger(state: SandboxState, userId: string): string {
  const trigger = `${state.clock()}.${state.store.triggers.size + 1}.${randomBytes(16).toString('hex')}`;
  state.store.triggers.set(trigger, { userId, issuedAt: state.clock(), exchanged: false });
  return trigger;
}

function memberChannel(state: SandboxState, channelId: string, userId: string): StoredChannel {
  const channel = state.store.requireChannel(channelId);
  if (!state.store.users.has(userId)) throw new Error(`sandbox has no user ${userId}`);
  if (!channel.members.has(userId)) throw new Error(`user ${userId} is not in channel ${channelId}`);
  return channel;
}

function shownView(state: SandboxState, viewId: string, userId: string): StoredView {
  const view = state.store.views.get(viewId);
  if (!view || !view.open) throw new Error(`view ${viewId} is not open`);
  if (view.userId !== null && view.userId !== userId) throw new Error(`view ${viewId} belongs to ${view.userId}, not ${userId}`);
  return view;
}

export async function slashCommand(ctx: ActorContext, input: { userId: string; channelId: string; text?: string; command?: string } & DeliveryOptions): Promise<SlashCommandResult> {
  const { state } = ctx;
  const channel = memberChannel(state, input.channelId, input.userId);
  const command = input.command ?? '/tuneloop';
  const triggerId = issueTrigger(state, input.userId);
  const { url: responseUrl, grant } = issueResponseUrl(state, ctx.baseUrl(), { channelId: channel.id, userId: input.userId, originTs: null });
  const payload = slashCommandPayload(state, { userId: input.userId, channel, command, text: input.text ?? '', responseUrl, triggerId });
  const record = await ctx.deliverer.deliver({ kind: 'slash_commands', name: command, payload, acceptsResponsePayload: true }, input);
  const reply = record.ok ? applyAnswer(state, grant, record.body, 'ack') : null;
  return { ...record, triggerId, responseUrl, reply };
}

export async function clickButton(ctx: ActorContext, input: ButtonTarget & { userId: string; actionId: string; value?: string; blockId?: string } & DeliveryOptions): Promise<ButtonResult> {
  const { state } = ctx;
  const wanted = { actionId: input.actionId, blockId: input.blockId, value: input.value };
  const triggerId = issueTrigger(state, input.userId);
  if ('viewId' in input) {
    const view = shownView(state, input.viewId, input.userId);
    const action = buttonAction(state, findButton(Array.isArray(view.view.blocks) ? view.view.blocks : [], wanted));
    const payload = blockActionsFromView(state, { userId: input.userId, view, action, triggerId });
    const record = await ctx.deliverer.deliver({ kind: 'interactive', name: 'block_actions', payload, acceptsResponsePayload: false }, input);
    return { ...record, triggerId, responseUrl: null };
  }
  const channel = memberChannel(state, input.channelId, input.userId);
  const message = channel.byTs.get(input.ts);
  if (!message) throw new Error(`channel ${channel.id} has no message ${input.ts}`);
  const action = buttonAction(state, findButton(message.blocks ?? [], wanted));
  const baseUrl = ctx.baseUrl();
  const { url: responseUrl } = issueResponseUrl(state, baseUrl, { channelId: channel.id, userId: input.userId, originTs: message.ts });
  const payload = blockActionsFromMessage(state, { userId: input.userId, channel, message, action, responseUrl, triggerId, origin: baseUrl });
  const record = await ctx.deliverer.deliver({ kind: 'interactive', name: 'block_actions', payload, acceptsResponsePayload: false }, input);
  return { ...record, triggerId, responseUrl };
}

export async function submitView(ctx: ActorContext, input: { userId: string; viewId: string; values?: ViewValues } & DeliveryOptions): Promise<SubmitResult> {
  const { state } = ctx;
  const view = shownView(state, input.viewId, input.userId);
  if (view.type !== 'modal') throw new Error(`view ${view.id} is App Home: only modals are submitted`);
  const triggerId = issueTrigger(state, input.userId);
  const payload = viewSubmissionPayload(state, { userId: input.userId, view, values: input.values, triggerId });
  const record = await ctx.deliverer.deliver({ kind: 'interactive', name: 'view_submission', payload, acceptsResponsePayload: true }, input);
  // Without an ack in time Slack shows the user an error and leaves the modal as it was.
  const answer: ViewAnswer = record.ok ? applyViewAnswer(state, view, record.body) : { outcome: 'invalid', errors: null, view };
  return { ...record, triggerId, ...answer };
}

/** The user closes a modal; the app hears of it (view_closed) only if the view asked with notify_on_close. */
export async function closeView(ctx: ActorContext, input: { userId: string; viewId: string } & DeliveryOptions): Promise<DeliveryRecord | null> {
  const { state } = ctx;
  const view = shownView(state, input.viewId, input.userId);
  if (view.type !== 'modal') throw new Error(`view ${view.id} is App Home: it cannot be closed`);
  view.open = false;
  if (view.view.notify_on_close !== true) return null;
  const payload = viewClosedPayload(state, { userId: input.userId, view });
  return ctx.deliverer.deliver({ kind: 'interactive', name: 'view_closed', payload, acceptsResponsePayload: false }, input);
}
