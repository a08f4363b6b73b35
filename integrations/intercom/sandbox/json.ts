/**
 * The sandbox's records as Intercom's API writes them (the conversation, conversation part,
 * author and tag models of https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/conversation):
 * Unix-second times, bodies as HTML unless the caller asked for display_as=plaintext, at most the
 * 500 most recent parts, and no parts at all in search results.
 */
import { textToHtml } from '../../common/html-to-text.ts';
import type { AuthorRef, IntercomSandboxStore, StoredAttachment, StoredConversation, StoredPart } from './store.ts';

export type Json = Record<string, unknown>;

const MAX_PARTS = 500;

function authorJson(store: IntercomSandboxStore, ref: AuthorRef): Json {
  if (ref.type === 'admin' || ref.type === 'bot') {
    const admin = store.admins.get(ref.id);
    return { type: ref.type, id: ref.id, name: admin?.name ?? null, email: admin?.email ?? null };
  }
  const contact = store.contacts.get(ref.id);
  return { type: ref.type, id: ref.id, name: contact?.name ?? null, email: contact?.email ?? null };
}

function attachmentJson(store: IntercomSandboxStore, origin: string, attachment: StoredAttachment): Json {
  return { type: 'upload', name: attachment.name, url: store.downloads.url(origin, attachment), content_type: attachment.contentType, filesize: attachment.size, width: null, height: null };
}

function body(text: string | null, plaintext: boolean): string | null {
  if (text === null) return null;
  return plaintext ? text : textToHtml(text);
}

export function partJson(store: IntercomSandboxStore, part: StoredPart, origin: string, plaintext: boolean): Json {
  return {
    type: 'conversation_part',
    id: part.id,
    part_type: part.partType,
    body: body(part.body, plaintext),
    created_at: part.createdAt,
    updated_at: part.createdAt,
    notified_at: part.createdAt,
    assigned_to: null,
    author: authorJson(store, part.author),
    attachments: part.attachments.map((attachment) => attachmentJson(store, origin, attachment)),
    external_id: null,
    redacted: false,
  };
}

export function conversationJson(store: IntercomSandboxStore, conversation: StoredConversation, options: { origin: string; withParts: boolean; plaintext: boolean }): Json {
  const { origin, plaintext } = options;
  const json: Json = {
    type: 'conversation',
    id: conversation.id,
    title: null,
    created_at: conversation.createdAt,
    updated_at: conversation.updatedAt,
    waiting_since: null,
    snoozed_until: null,
    open: conversation.state !== 'closed',
    state: conversation.state,
    read: true,
    priority: conversation.priority,
    admin_assignee_id: conversation.adminAssigneeId === null ? null : Number(conversation.adminAssigneeId),
    team_assignee_id: null,
    tags: { type: 'tag.list', tags: conversation.tagIds.flatMap((id) => { const tag = store.tags.get(id); return tag ? [{ type: 'tag', id: tag.id, name: tag.name, applied_at: conversation.createdAt, applied_by: { type: 'admin', id: store.apiAdminId } }] : []; }) },
    conversation_rating: null,
    source: {
      type: conversation.source.type,
      id: conversation.source.id,
      delivered_as: 'customer_initiated',
      subject: conversation.source.subject,
      body: body(conversation.source.body, plaintext),
      author: authorJson(store, conversation.source.author),
      attachments: conversation.source.attachments.map((attachment) => attachmentJson(store, origin, attachment)),
      url: null,
      redacted: false,
    },
    contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: conversation.contactId, external_id: null }] },
    teammates: { type: 'admin.list', admins: conversation.adminAssigneeId ? [{ type: 'admin', id: conversation.adminAssigneeId }] : [] },
    custom_attributes: { ...conversation.customAttributes },
    first_contact_reply: null,
    sla_applied: null,
    statistics: null,
    linked_objects: { type: 'list', data: [], total_count: 0, has_more: false },
    ai_agent_participated: conversation.parts.some((part) => part.author.type === 'bot'),
  };
  if (options.withParts) {
    const parts = conversation.parts.slice(-MAX_PARTS);
    json.conversation_parts = { type: 'conversation_part.list', conversation_parts: parts.map((part) => partJson(store, part, origin, plaintext)), total_count: parts.length };
  }
  return json;
}

export function errorList(code: string, message: string): Json {
  return { type: 'error.list', request_id: `sandbox-${Math.random().toString(36).slice(2, 12)}`, errors: [{ code, message }] };
}
