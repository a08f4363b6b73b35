/**
 * Events API payloads (https://docs.slack.dev/apis/events-api/): the event_callback wrapper with
 * event_id, event_time, team_id, api_app_id and authorizations, around
 * - message (https://docs.slack.dev/reference/events/message; message.channels for public
 *   channels, message.groups for private ones, told apart by channel_type),
 * - message_changed (https://docs.slack.dev/reference/events/message/message_changed: hidden, with
 *   the message as it is now and previous_message),
 * - app_home_opened (https://docs.slack.dev/reference/events/app_home_opened: tab "home", the
 *   App Home view when one was published);
 * and url_verification (https://docs.slack.dev/reference/events/url_verification).
 */
import { createHash, randomBytes } from 'node:crypto';
import { messageJson, viewJson, type Json } from './json.ts';
import { SANDBOX_VERIFICATION_TOKEN } from './payloads.ts';
import type { SandboxState } from './state.ts';
import type { StoredChannel, StoredMessage, StoredView } from './store.ts';

/** "Ev" and nine characters, like Slack's event ids. */
export function newEventId(): string {
  return `Ev${randomBytes(8).toString('hex').toUpperCase().slice(0, 9)}`;
}

/** The id of the app's direct-message channel with a user, where App Home lives. */
export function appDmChannelId(userId: string): string {
  return `D0${createHash('sha1').update(userId).digest('hex').toUpperCase().slice(0, 9)}`;
}

export function eventCallback(state: SandboxState, event: Json, eventId: string): Json {
  const { store, bot } = state;
  const context = { et: event.type, tid: store.team.id, aid: bot.appId, cid: event.channel ?? null };
  return {
    token: SANDBOX_VERIFICATION_TOKEN,
    team_id: store.team.id,
    context_team_id: store.team.id,
    api_app_id: bot.appId,
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(state.clock() / 1000),
    authorizations: [{ enterprise_id: null, team_id: store.team.id, user_id: bot.userId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(JSON.stringify(context)).toString('base64url')}`,
  };
}

const channelType = (channel: StoredChannel) => (channel.isPrivate ? 'group' : 'channel');
const jsonOptions = (origin: string) => ({ origin, withThreadSummary: false, missingFields: false });

/** A message a user posted: the message.channels / message.groups event. */
export function messageEvent(state: SandboxState, channel: StoredChannel, message: StoredMessage, origin: string): Json {
  return { ...messageJson(state.store, channel, message, jsonOptions(origin)), channel: channel.id, event_ts: message.ts, channel_type: channelType(channel) };
}

/** A message a user edited; `previous` is the message's JSON before the edit. */
export function messageChangedEvent(state: SandboxState, channel: StoredChannel, message: StoredMessage, previous: Json, origin: string): Json {
  const eventTs = message.edited?.ts ?? message.ts;
  return {
    type: 'message',
    subtype: 'message_changed',
    hidden: true,
    message: messageJson(state.store, channel, message, jsonOptions(origin)),
    channel: channel.id,
    previous_message: previous,
    event_ts: eventTs,
    ts: eventTs,
    channel_type: channelType(channel),
  };
}

export function appHomeOpenedEvent(state: SandboxState, userId: string, home: StoredView | undefined, eventTs: string): Json {
  const event: Json = { type: 'app_home_opened', user: userId, channel: appDmChannelId(userId), tab: 'home', event_ts: eventTs };
  if (home) event.view = viewJson(state.store, home, state.bot);
  return event;
}

export function urlVerification(challenge: string): Json {
  return { token: SANDBOX_VERIFICATION_TOKEN, challenge, type: 'url_verification' };
}
