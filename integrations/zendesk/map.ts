/**
 * Raw Zendesk records (ZendeskTicket, ZendeskComment, ZendeskUser from schemas.ts) → the normalized
 * Conversation every connector yields.
 *
 * Author roles, in this order:
 * - system: Zendesk's own user (author_id -1) or via.channel "system";
 * - bot: comments made by business rules (via.channel "rule", source.rel "trigger"/"automation")
 *   or by Zendesk's bots (answer_bot* channels, ai_agent). Zendesk has no bot role: bots post from
 *   agent seats, so the via object is what tells them apart;
 * - customer: end users (the requester, CCs);
 * - agent: agents and admins. An author Zendesk did not return is the customer when it is the
 *   requester, else an agent (only agents write on other people's tickets).
 * Private comments (public: false) are internal notes.
 * https://developer.zendesk.com/documentation/ticketing/reference-guides/via-object-reference
 */
import type { AuthorRole, Conversation, Message, Person } from '../types.ts';
import { htmlToText } from '../common/html-to-text.ts';
import type { ZendeskComment, ZendeskTicket, ZendeskUser, ZendeskVia } from './schemas.ts';

/** Zendesk's system user, the author of comments Zendesk writes itself. */
export const ZENDESK_SYSTEM_USER_ID = -1;

const BOT_CHANNELS = new Set(['rule', 'answer_bot', 'answer_bot_api', 'answer_bot_for_agents', 'answer_bot_for_sdk', 'answer_bot_for_slack', 'answer_bot_for_web_widget', 'ai_agent']);
const RULE_RELS = new Set(['trigger', 'automation']);

function channelOf(via: ZendeskVia | null | undefined): string | null {
  return via?.channel === undefined || via.channel === null ? null : String(via.channel);
}

export function authorRole(comment: ZendeskComment, author: ZendeskUser | undefined, ticket: ZendeskTicket): AuthorRole {
  const channel = channelOf(comment.via);
  if (comment.author_id === ZENDESK_SYSTEM_USER_ID || channel === 'system') return 'system';
  if ((channel !== null && BOT_CHANNELS.has(channel)) || RULE_RELS.has(comment.via?.source?.rel ?? '')) return 'bot';
  if (author?.role === 'end-user') return 'customer';
  if (author?.role === 'agent' || author?.role === 'admin') return 'agent';
  return comment.author_id === ticket.requester_id ? 'customer' : 'agent';
}

/** Plain text of a comment: html_body turned into text, else Zendesk's plain_body, else body. */
export function commentText(comment: ZendeskComment): string {
  if (comment.html_body) return htmlToText(comment.html_body);
  return (comment.plain_body ?? comment.body ?? '').trim();
}

function person(id: number | null | undefined, users: ReadonlyMap<number, ZendeskUser>): Person | null {
  if (id === null || id === undefined) return null;
  const user = users.get(id);
  return { id: String(id), name: user?.name ?? null, email: user?.email ?? null };
}

/** "en-US" → "en": the language, not the formatting locale. */
function languageOf(locale: string | null | undefined): string | null {
  const primary = locale?.split(/[-_]/)[0]?.toLowerCase();
  return primary ? primary : null;
}

export function toMessage(comment: ZendeskComment, ticket: ZendeskTicket, users: ReadonlyMap<number, ZendeskUser>): Message {
  const author = users.get(comment.author_id);
  return {
    sourceId: String(comment.id),
    authorRole: authorRole(comment, author, ticket),
    author: comment.author_id === ZENDESK_SYSTEM_USER_ID ? null : person(comment.author_id, users),
    visibility: comment.public ? 'public' : 'internal',
    body: commentText(comment),
    createdAt: new Date(comment.created_at),
    attachments: (comment.attachments ?? []).map((attachment) => attachment.file_name),
  };
}

export function toConversation(ticket: ZendeskTicket, comments: ZendeskComment[], users: ReadonlyMap<number, ZendeskUser>): Conversation {
  const requester = ticket.requester_id === null || ticket.requester_id === undefined ? undefined : users.get(ticket.requester_id);
  const messages = comments.map((comment) => toMessage(comment, ticket, users));
  messages.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || Number(a.sourceId) - Number(b.sourceId));
  return {
    source: 'zendesk',
    sourceId: String(ticket.id),
    subject: ticket.subject ?? null,
    status: ticket.status,
    priority: ticket.priority ?? null,
    channel: channelOf(ticket.via),
    language: languageOf(requester?.locale),
    tags: ticket.tags ?? [],
    customFields: Object.fromEntries((ticket.custom_fields ?? []).map((field) => [String(field.id), field.value ?? null])),
    requester: person(ticket.requester_id, users),
    assignee: person(ticket.assignee_id, users),
    organizationId: ticket.organization_id === null || ticket.organization_id === undefined ? null : String(ticket.organization_id),
    createdAt: new Date(ticket.created_at),
    updatedAt: new Date(ticket.updated_at),
    // The incremental export lists deleted tickets with status "deleted"; their comments are gone.
    deleted: ticket.status === 'deleted',
    messages,
  };
}
