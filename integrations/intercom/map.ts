/**
 * Raw Intercom conversations (schemas.ts, read with display_as=plaintext) → the normalized
 * Conversation every connector yields.
 *
 * - The conversation's source is its first message; each conversation part with a body follows.
 *   Parts without a body (assignments, state changes, tags) carry nothing to learn from.
 * - Authors: "user" and "lead" are contacts (customer), "admin" a teammate (agent), "bot" Fin or a
 *   workflow (bot), "team" a team inbox (agent). Each becomes a Person, so the PII scrubber knows
 *   whose name and email to remove.
 * - Visibility: parts of type "note" (and "note_and_reopen") are internal notes; the rest public.
 * Message ids are `source:<id>` and `part:<id>`: a source and a part may share a number.
 * https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/conversation
 */
import type { AuthorRole, Conversation, Message, Person } from '../types.ts';
import type { IntercomAuthor, IntercomConversation, IntercomPart } from './schemas.ts';

const CUSTOMER_TYPES = new Set(['user', 'lead', 'contact']);
const NOTE_TYPES = new Set(['note', 'note_and_reopen']);

export function authorRole(author: IntercomAuthor | null | undefined): AuthorRole {
  const type = author?.type ?? '';
  if (CUSTOMER_TYPES.has(type)) return 'customer';
  if (type === 'bot') return 'bot';
  if (type === 'admin' || type === 'team') return 'agent';
  return 'system';
}

function person(author: IntercomAuthor | null | undefined): Person | null {
  if (!author?.id) return null;
  return { id: String(author.id), name: author.name ?? null, email: author.email ?? null };
}

function seconds(value: number): Date {
  return new Date(value * 1000);
}

function attachmentNames(list: Array<{ name?: string | null | undefined }> | null | undefined): string[] {
  return (list ?? []).flatMap((attachment) => (attachment.name ? [attachment.name] : []));
}

function partMessage(part: IntercomPart): Message | null {
  const body = (part.body ?? '').trim();
  if (!body && !part.attachments?.length) return null;
  return {
    sourceId: `part:${part.id}`,
    authorRole: authorRole(part.author),
    author: person(part.author),
    visibility: NOTE_TYPES.has(part.part_type) ? 'internal' : 'public',
    body,
    createdAt: seconds(part.created_at),
    attachments: attachmentNames(part.attachments),
  };
}

export function toConversation(conversation: IntercomConversation): Conversation {
  const source = conversation.source ?? null;
  const messages: Message[] = [];
  if (source && ((source.body ?? '').trim() || source.attachments?.length)) {
    messages.push({
      sourceId: `source:${source.id}`,
      authorRole: authorRole(source.author),
      author: person(source.author),
      visibility: 'public',
      body: (source.body ?? '').trim(),
      createdAt: seconds(conversation.created_at),
      attachments: attachmentNames(source.attachments),
    });
  }
  for (const part of conversation.conversation_parts?.conversation_parts ?? []) {
    const message = partMessage(part);
    if (message) messages.push(message);
  }
  messages.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const requesterAuthor = source?.author && CUSTOMER_TYPES.has(source.author.type) ? source.author : null;
  const firstContact = conversation.contacts?.contacts[0];
  const assignee = conversation.admin_assignee_id ? String(conversation.admin_assignee_id) : null;
  return {
    source: 'intercom',
    sourceId: String(conversation.id),
    subject: source?.subject || conversation.title || null,
    status: conversation.state ?? (conversation.open === false ? 'closed' : conversation.open ? 'open' : null),
    priority: conversation.priority === 'priority' ? 'high' : null,
    channel: source?.type ?? null,
    language: null,
    tags: (conversation.tags?.tags ?? []).map((tag) => tag.name),
    customFields: { ...(conversation.custom_attributes ?? {}) },
    requester: requesterAuthor ? person(requesterAuthor) : firstContact ? { id: String(firstContact.id), name: null, email: null } : null,
    assignee: assignee && assignee !== '0' ? { id: assignee, name: null, email: null } : null,
    organizationId: null,
    createdAt: seconds(conversation.created_at),
    updatedAt: seconds(conversation.updated_at),
    deleted: false,
    messages,
  };
}
