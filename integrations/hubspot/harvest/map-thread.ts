/**
 * A Conversations inbox thread and its messages → Conversation `thread:<id>`.
 *
 * Items kept: MESSAGE (public), COMMENT (internal note: never a training target) and
 * WELCOME_MESSAGE (public). Assignments, status and inbox changes carry no text and are skipped,
 * as are types HubSpot adds later.
 *
 * Author roles come from the actor (https://developers.hubspot.com/docs/api/conversations/inbox-and-messages#actors):
 * the type the actors endpoint reports, else the id's prefix: A- agent; V- visitor and E- email
 * address: customer; B- bot and I- integration: bot; S- system. An unknown actor is the customer
 * when the message came in, else an agent.
 */
import type { AuthorRole, Conversation, Message, Person } from '../../types.ts';
import { contactPerson, languageOf, plainText, THREAD_PREFIX } from './map.ts';
import type { CrmObject, HubSpotActor, HubSpotMessage, HubSpotThread } from '../schemas.ts';

const KEPT_TYPES = new Set(['MESSAGE', 'COMMENT', 'WELCOME_MESSAGE']);

/** HubSpot's built-in channel ids; others keep their id. */
const CHANNEL_NAMES: Record<string, string> = { '1000': 'chat', '1001': 'facebook_messenger', '1002': 'email', '1003': 'form', '1007': 'whatsapp' };

const ROLE_BY_ACTOR_TYPE: Record<string, AuthorRole> = { AGENT: 'agent', VISITOR: 'customer', EMAIL: 'customer', BOT: 'bot', LLM: 'bot', INTEGRATOR: 'bot', SYSTEM: 'system' };
const ROLE_BY_PREFIX: Record<string, AuthorRole> = { A: 'agent', V: 'customer', E: 'customer', B: 'bot', I: 'bot', S: 'system' };

export function authorRole(message: HubSpotMessage, actor: HubSpotActor | undefined): AuthorRole {
  const byType = actor ? ROLE_BY_ACTOR_TYPE[actor.type] : undefined;
  if (byType) return byType;
  const byPrefix = ROLE_BY_PREFIX[message.createdBy.split('-', 1)[0] ?? ''];
  if (byPrefix) return byPrefix;
  return message.direction === 'INCOMING' ? 'customer' : 'agent';
}

/** The actors a thread's history mentions, for one batch lookup. */
export function actorIdsOf(thread: HubSpotThread, messages: HubSpotMessage[]): string[] {
  const ids = new Set<string>();
  if (thread.assignedTo) ids.add(thread.assignedTo);
  for (const message of messages) {
    if (!KEPT_TYPES.has(message.type)) continue;
    ids.add(message.createdBy);
  }
  return [...ids];
}

function author(message: HubSpotMessage, actors: ReadonlyMap<string, HubSpotActor>, role: AuthorRole, requester: Person | null): Person | null {
  if (role === 'system') return null;
  const actor = actors.get(message.createdBy);
  const sender = message.senders?.find((s) => s.actorId === message.createdBy);
  const address = sender?.deliveryIdentifier?.type === 'HS_EMAIL_ADDRESS' ? sender.deliveryIdentifier.value : null;
  const email = actor?.email ?? address;
  let name = actor?.name ?? sender?.name ?? null;
  // Email actors carry only the address; the thread's contact usually has the name behind it.
  if (!name && role === 'customer' && requester?.email && email && requester.email.toLowerCase() === email.toLowerCase()) name = requester.name;
  return { id: message.createdBy, name, email: email ?? null };
}

function toMessage(message: HubSpotMessage, actors: ReadonlyMap<string, HubSpotActor>, requester: Person | null): Message {
  const role = authorRole(message, actors.get(message.createdBy));
  return {
    sourceId: message.id,
    authorRole: role,
    author: author(message, actors, role, requester),
    visibility: message.type === 'COMMENT' ? 'internal' : 'public',
    body: plainText(message.text, message.richText),
    createdAt: new Date(message.createdAt),
    attachments: (message.attachments ?? []).flatMap((attachment) => (attachment.type === 'FILE' ? [attachment.name ?? attachment.fileId ?? 'file'] : [])),
  };
}

function actorPerson(actorId: string | null | undefined, actors: ReadonlyMap<string, HubSpotActor>): Person | null {
  if (!actorId) return null;
  const actor = actors.get(actorId);
  return { id: actorId, name: actor?.name ?? null, email: actor?.email ?? null };
}

/**
 * `messages` are the thread's history, oldest first, with truncated bodies already replaced by
 * their original content; `contact` is the associated contact, when it is one.
 */
export function threadToConversation(thread: HubSpotThread, messages: HubSpotMessage[], actors: ReadonlyMap<string, HubSpotActor>, contact: CrmObject | undefined): Conversation {
  const kept = messages.filter((message) => KEPT_TYPES.has(message.type) && !message.archived);
  // A visitor who never became a contact: the thread's associatedContactId is a visitor id, so the
  // customer's own actor is the best name and address there is.
  const visitor = contact ? undefined : kept.find((message) => authorRole(message, actors.get(message.createdBy)) === 'customer');
  const requester = visitor ? author(visitor, actors, 'customer', null) : contactPerson(contact, thread.associatedContactId);
  const normalized = kept.map((message) => toMessage(message, actors, requester));
  normalized.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const times = [thread.createdAt, thread.latestMessageTimestamp, thread.closedAt, ...messages.map((m) => m.createdAt)].flatMap((t) => (t ? [Date.parse(t)] : []));
  const customFields: Record<string, unknown> = {};
  if (thread.inboxId) customFields.inboxId = thread.inboxId;
  if (thread.originalChannelId) customFields.originalChannelId = thread.originalChannelId;
  if (thread.originalChannelAccountId) customFields.originalChannelAccountId = thread.originalChannelAccountId;
  if (thread.threadAssociations?.associatedTicketId) customFields.associatedTicketId = thread.threadAssociations.associatedTicketId;
  return {
    source: 'hubspot',
    sourceId: `${THREAD_PREFIX}${thread.id}`,
    subject: kept.find((message) => message.subject)?.subject ?? null,
    status: thread.status.toLowerCase(),
    priority: null,
    channel: thread.originalChannelId ? (CHANNEL_NAMES[thread.originalChannelId] ?? `channel-${thread.originalChannelId}`) : null,
    language: languageOf(contact),
    tags: [],
    customFields,
    requester,
    assignee: actorPerson(thread.assignedTo, actors),
    organizationId: contact?.properties.associatedcompanyid ?? null,
    createdAt: new Date(thread.createdAt),
    updatedAt: new Date(Math.max(...times)),
    deleted: thread.archived === true,
    messages: normalized,
  };
}
