/**
 * A CRM ticket with its associated emails, notes and contacts → Conversation `ticket:<id>`.
 *
 * - Emails (https://developers.hubspot.com/docs/api/crm/email): hs_email_direction INCOMING_EMAIL is
 *   the customer; EMAIL and FORWARDED_EMAIL come from the team: an agent when a user or owner is
 *   behind it, else a bot (workflow auto-replies have neither). All public.
 * - Notes (https://developers.hubspot.com/docs/api/crm/notes) are internal, by their owner.
 * Message ids are `email:<id>` / `note:<id>`. Attachments are HubSpot file ids (`file-<id>`):
 * their names need the Files API, which tuneloop does not call.
 * Status: the default pipeline's stages become new / pending / open / closed; other pipelines keep
 * their stage id, except that a stage the pipelines API marks closed (ticketState CLOSED) is
 * "closed", and so is a ticket with a closed_date when the pipelines cannot be read, so drafts
 * never go to closed tickets. Priority and source are HubSpot's values, lowercased.
 */
import type { Conversation, Message } from '../../types.ts';
import { contactPerson, fullName, languageOf, ownerPerson, plainText, propertyDate, TICKET_PREFIX } from './map.ts';
import type { CrmObject, Owner } from '../schemas.ts';

export const TICKET_PROPERTIES = ['subject', 'content', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_priority', 'hs_ticket_category', 'source_type', 'hubspot_owner_id', 'createdate', 'hs_lastmodifieddate', 'closed_date'];
export const EMAIL_PROPERTIES = ['hs_timestamp', 'hs_email_direction', 'hs_email_subject', 'hs_email_text', 'hs_email_html', 'hs_email_sender_email', 'hs_email_sender_firstname', 'hs_email_sender_lastname', 'hs_attachment_ids', 'hubspot_owner_id', 'hs_created_by_user_id'];
export const NOTE_PROPERTIES = ['hs_timestamp', 'hs_note_body', 'hubspot_owner_id', 'hs_created_by_user_id', 'hs_attachment_ids'];

/** Stages of HubSpot's default ticket pipeline ("0"). */
const DEFAULT_STAGES: Record<string, string> = { '1': 'new', '2': 'pending', '3': 'open', '4': 'closed' };

/** `pipelineId/stageId` → the stage's label and whether it closes tickets (from the pipelines API). */
export type PipelineStages = ReadonlyMap<string, { label: string | null | undefined; closed: boolean }>;

export function ticketStatus(properties: Record<string, string | null>, stages: PipelineStages): string | null {
  const stage = properties.hs_pipeline_stage ?? null;
  if (stage === null) return null;
  const pipeline = properties.hs_pipeline ?? null;
  if (pipeline === '0' && DEFAULT_STAGES[stage]) return DEFAULT_STAGES[stage] ?? stage;
  const known = stages.get(`${pipeline}/${stage}`);
  if (known) return known.closed ? 'closed' : stage;
  return properties.closed_date ? 'closed' : stage;
}

export interface TicketParts {
  ticket: CrmObject;
  emails: CrmObject[];
  notes: CrmObject[];
  /** Associated contacts, the first being the requester. */
  contacts: CrmObject[];
}

function attachments(object: CrmObject): string[] {
  return (object.properties.hs_attachment_ids ?? '')
    .split(';')
    .map((id) => id.trim())
    .filter(Boolean)
    .map((id) => `file-${id}`);
}

function emailMessage(email: CrmObject, contacts: CrmObject[], owners: ReadonlyMap<string, Owner>): Message {
  const p = email.properties;
  const incoming = p.hs_email_direction === 'INCOMING_EMAIL';
  const byTeamMember = Boolean(p.hubspot_owner_id || p.hs_created_by_user_id);
  const address = p.hs_email_sender_email ?? null;
  const contact = contacts.find((c) => address && c.properties.email?.toLowerCase() === address.toLowerCase());
  const owner = p.hubspot_owner_id ? owners.get(p.hubspot_owner_id) : undefined;
  const id = incoming ? (contact?.id ?? address) : (p.hubspot_owner_id ?? address);
  return {
    sourceId: `email:${email.id}`,
    authorRole: incoming ? 'customer' : byTeamMember ? 'agent' : 'bot',
    author: id ? { id, name: fullName(p.hs_email_sender_firstname, p.hs_email_sender_lastname) ?? fullName(owner?.firstName, owner?.lastName), email: address ?? owner?.email ?? null } : null,
    visibility: 'public',
    body: plainText(p.hs_email_text, p.hs_email_html),
    createdAt: propertyDate(p.hs_timestamp, email.createdAt),
    attachments: attachments(email),
  };
}

function noteMessage(note: CrmObject, owners: ReadonlyMap<string, Owner>): Message {
  const ownerId = note.properties.hubspot_owner_id;
  return {
    sourceId: `note:${note.id}`,
    authorRole: ownerId || note.properties.hs_created_by_user_id ? 'agent' : 'system',
    author: ownerPerson(ownerId ? owners.get(ownerId) : undefined, ownerId),
    visibility: 'internal',
    body: plainText(null, note.properties.hs_note_body),
    createdAt: propertyDate(note.properties.hs_timestamp, note.createdAt),
    attachments: attachments(note),
  };
}

export function ticketToConversation(parts: TicketParts, owners: ReadonlyMap<string, Owner>, extraProperties: readonly string[], stages: PipelineStages = new Map()): Conversation {
  const { ticket, emails, notes, contacts } = parts;
  const p = ticket.properties;
  const requester = contacts[0];
  const messages = [...emails.map((email) => emailMessage(email, contacts, owners)), ...notes.map((note) => noteMessage(note, owners))];
  messages.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.sourceId.localeCompare(b.sourceId));
  const customFields: Record<string, unknown> = { hs_pipeline: p.hs_pipeline ?? null, hs_pipeline_stage: p.hs_pipeline_stage ?? null };
  for (const name of extraProperties) customFields[name] = p[name] ?? null;
  return {
    source: 'hubspot',
    sourceId: `${TICKET_PREFIX}${ticket.id}`,
    subject: p.subject ?? null,
    status: ticketStatus(p, stages),
    priority: p.hs_ticket_priority?.toLowerCase() ?? null,
    channel: p.source_type?.toLowerCase() ?? null,
    language: languageOf(requester),
    tags: (p.hs_ticket_category ?? '').split(';').map((tag) => tag.trim()).filter(Boolean),
    customFields,
    requester: contactPerson(requester, requester?.id),
    assignee: ownerPerson(p.hubspot_owner_id ? owners.get(p.hubspot_owner_id) : undefined, p.hubspot_owner_id),
    organizationId: requester?.properties.associatedcompanyid ?? null,
    createdAt: propertyDate(p.createdate, ticket.createdAt),
    updatedAt: propertyDate(p.hs_lastmodifieddate, ticket.updatedAt),
    deleted: ticket.archived === true,
    messages,
  };
}
