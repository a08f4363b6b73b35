/**
 * A Slack thread (parent message + replies, SlackMessage/SlackUser from schemas.ts) → the normalized
 * Conversation every connector yields. One conversation per thread, id `C123:1700000000.000100`; a
 * top-level message nobody answered is a thread of one.
 *
 * Which messages count: ordinary messages, file shares, /me messages, bot posts and replies also
 * sent to the channel (thread_broadcast). Channel events (channel_join, channel_leave, topic and
 * purpose changes, pins, …) and deleted parents (subtype tombstone) are not messages anyone wrote
 * and are left out (https://docs.slack.dev/reference/events/message#subtypes).
 *
 * Author roles, in this order:
 * - bot: posts by apps and integrations (a bot_id, subtype bot_message) or by a bot user;
 * - agent: members of the configured agent user group, or listed in agentUserIds;
 * - customer: everyone else.
 * Every message is public: a Slack thread has no internal notes, everyone in the channel sees all
 * of it. (Teams that discuss a request privately do it in another channel, which is not harvested
 * into the same conversation.)
 */
import type { AuthorRole, Conversation, Message, Person } from '../types.ts';
import type { SlackMessage, SlackUser } from './schemas.ts';
import { mrkdwnToText } from './text.ts';
import { compareTs, laterTs, tsToDate } from './timestamps.ts';

const CONTENT_SUBTYPES = new Set(['bot_message', 'file_share', 'me_message', 'thread_broadcast']);

export interface Directory {
  /** undefined: never looked up; null: Slack does not know the user. */
  user(id: string): SlackUser | null | undefined;
}

export function isContent(message: SlackMessage): boolean {
  return !message.hidden && (!message.subtype || CONTENT_SUBTYPES.has(message.subtype));
}

/** A top-level message that starts a conversation: content, or a deleted parent whose replies live on. */
export function startsThread(message: SlackMessage): boolean {
  if (message.thread_ts && message.thread_ts !== message.ts) return false; // a reply shown in the channel
  return (isContent(message) && message.subtype !== 'thread_broadcast') || (message.subtype === 'tombstone' && (message.reply_count ?? 0) > 0);
}

function isBot(message: SlackMessage, author: SlackUser | null | undefined): boolean {
  return message.subtype === 'bot_message' || Boolean(message.bot_id) || author?.is_bot === true;
}

export function authorRole(message: SlackMessage, author: SlackUser | null | undefined, agents: ReadonlySet<string>): AuthorRole {
  if (isBot(message, author)) return 'bot';
  return message.user && agents.has(message.user) ? 'agent' : 'customer';
}

function nameOf(user: SlackUser | null | undefined): string | null {
  return user?.profile?.real_name || user?.real_name || user?.profile?.display_name || user?.name || null;
}

function person(message: SlackMessage, directory: Directory): Person | null {
  if (message.user) {
    const user = directory.user(message.user);
    return { id: message.user, name: nameOf(user), email: user?.profile?.email ?? null };
  }
  if (message.bot_id) return { id: message.bot_id, name: message.username ?? message.bot_profile?.name ?? null, email: null };
  return null;
}

function toMessage(message: SlackMessage, directory: Directory, agents: ReadonlySet<string>): Message {
  const author = message.user ? directory.user(message.user) : undefined;
  return {
    sourceId: message.ts,
    authorRole: authorRole(message, author, agents),
    author: person(message, directory),
    visibility: 'public',
    body: mrkdwnToText(message.text ?? '', (id) => nameOf(directory.user(id))),
    createdAt: tsToDate(message.ts),
    attachments: (message.files ?? []).flatMap((file) => (file.name ?? file.title ? [file.name ?? file.title ?? ''] : [])),
  };
}

/** "en-US" → "en": the language, not the formatting locale. */
function languageOf(locale: string | null | undefined): string | null {
  const primary = locale?.split(/[-_]/)[0]?.toLowerCase();
  return primary ? primary : null;
}

export function toConversation(channelId: string, parent: SlackMessage, thread: SlackMessage[], directory: Directory, agents: ReadonlySet<string>): Conversation {
  const ordered = [...thread].sort((a, b) => compareTs(a.ts, b.ts));
  const messages = ordered.filter(isContent).map((message) => toMessage(message, directory, agents));
  let updated = parent.ts;
  for (const message of ordered) updated = laterTs(laterTs(updated, message.ts), message.edited?.ts) ?? updated;
  const requester = parent.subtype === 'tombstone' ? null : person(parent, directory);
  const firstAgent = messages.find((message) => message.authorRole === 'agent')?.author ?? null;
  const parentUser = parent.user ? directory.user(parent.user) : undefined;
  return {
    source: 'slack',
    sourceId: `${channelId}:${parent.ts}`,
    // Slack threads have no subject, status or priority.
    subject: null,
    status: null,
    priority: null,
    channel: 'slack',
    language: languageOf(parentUser?.locale),
    tags: [],
    customFields: { slackChannel: channelId, threadTs: parent.ts },
    requester,
    assignee: firstAgent,
    organizationId: null,
    createdAt: tsToDate(parent.ts),
    updatedAt: tsToDate(updated),
    deleted: parent.subtype === 'tombstone',
    messages,
  };
}
