/**
 * Things happening in the workspace that the Events API tells the app about: a user posts or edits
 * a message (stored in the channel, so the harvest and conversations.history see it), a user opens
 * App Home, and the url_verification handshake when the app's request URL is saved. The app hears
 * of messages only in channels it is a member of, as with Slack's message.channels and
 * message.groups subscriptions; an app with neither a request URL nor an open Socket Mode
 * connection hears of nothing (null).
 */
import { randomBytes } from 'node:crypto';
import type { ActorContext } from './actor-interactions.ts';
import type { DeliveryOptions } from './deliver.ts';
import { messageJson, type Json } from './json.ts';
import { nowTs } from './payloads.ts';
import { appHomeOpenedEvent, eventCallback, messageChangedEvent, messageEvent, newEventId, urlVerification } from './payloads-events.ts';
import type { DeliveryRecord } from './records.ts';
import type { StoredChannel, StoredFile, StoredMessage } from './store.ts';

/** A message a user posts, with files they upload along with it (`id`, `created` and `user` are Slack's to give). */
export interface NewUserMessage {
  channelId: string;
  userId: string;
  text: string;
  threadTs?: string;
  files?: Array<Omit<StoredFile, 'id' | 'created' | 'user'>>;
}

export interface MessageResult {
  message: StoredMessage;
  /** null: the app is not in the channel, or has no way to receive events. */
  delivery: DeliveryRecord | null;
}

export type VerificationResult = DeliveryRecord & { challenge: string; verified: boolean };

function sendEvent(ctx: ActorContext, event: Json, options: DeliveryOptions): Promise<DeliveryRecord> | null {
  if (!options.via && !ctx.deliverer.reachable()) return null;
  const id = newEventId();
  const payload = eventCallback(ctx.state, event, id);
  return ctx.deliverer.deliver({ kind: 'events_api', name: String(event.type), id, payload, acceptsResponsePayload: false }, options);
}

function authorIn(ctx: ActorContext, channelId: string, userId: string): StoredChannel {
  const channel = ctx.state.store.requireChannel(channelId);
  if (!ctx.state.store.users.has(userId)) throw new Error(`sandbox has no user ${userId}`);
  if (!channel.members.has(userId)) throw new Error(`user ${userId} is not in channel ${channelId}`);
  return channel;
}

export async function postUserMessage(ctx: ActorContext, input: NewUserMessage & DeliveryOptions): Promise<MessageResult> {
  const channel = authorIn(ctx, input.channelId, input.userId);
  // A message with uploaded files is a file_share (https://docs.slack.dev/reference/events/message/file_share).
  const files = (input.files ?? []).map((file) => ({ ...file, id: ctx.state.store.allocateFileId(), created: Math.floor(ctx.state.clock() / 1000), user: input.userId, size: file.content?.byteLength ?? file.size }));
  const message = ctx.state.store.addMessage(channel.id, { user: input.userId, text: input.text, threadTs: input.threadTs ?? null, ...(files.length ? { files, subtype: 'file_share' } : {}) });
  if (!channel.members.has(ctx.state.bot.userId)) return { message, delivery: null };
  const delivery = await sendEvent(ctx, messageEvent(ctx.state, channel, message, ctx.baseUrl()), input);
  return { message, delivery };
}

export async function editUserMessage(ctx: ActorContext, input: { channelId: string; userId: string; ts: string; text: string } & DeliveryOptions): Promise<MessageResult> {
  const channel = authorIn(ctx, input.channelId, input.userId);
  const found = channel.byTs.get(input.ts);
  if (!found || found.user !== input.userId) throw new Error(`user ${input.userId} has no message ${input.ts} in ${channel.id}`);
  const origin = ctx.baseUrl();
  const previous = messageJson(ctx.state.store, channel, found, { origin, withThreadSummary: false, missingFields: false });
  const message = ctx.state.store.editMessage(channel.id, input.ts, input.text, input.userId);
  if (!channel.members.has(ctx.state.bot.userId)) return { message, delivery: null };
  const delivery = await sendEvent(ctx, messageChangedEvent(ctx.state, channel, message, previous, origin), input);
  return { message, delivery };
}

export async function openAppHome(ctx: ActorContext, userId: string, options: DeliveryOptions = {}): Promise<DeliveryRecord | null> {
  if (!ctx.state.store.users.has(userId)) throw new Error(`sandbox has no user ${userId}`);
  return sendEvent(ctx, appHomeOpenedEvent(ctx.state, userId, ctx.state.store.homeView(userId), nowTs(ctx.state)), options);
}

/** Slack's check of a new request URL: the app must echo the challenge (as text, a form or JSON). */
export async function verifyRequestUrl(ctx: ActorContext, options: Pick<DeliveryOptions, 'signature'> = {}): Promise<VerificationResult> {
  const challenge = randomBytes(24).toString('base64url');
  const record = await ctx.deliverer.deliver({ kind: 'url_verification', name: 'url_verification', payload: urlVerification(challenge), acceptsResponsePayload: false }, { ...options, via: 'http' });
  const { body } = record;
  const echoed = typeof body === 'string' ? body === challenge || new URLSearchParams(body).get('challenge') === challenge : typeof body === 'object' && body !== null && 'challenge' in body && body.challenge === challenge;
  return { ...record, challenge, verified: record.ok && echoed };
}
