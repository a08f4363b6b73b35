/**
 * The sandbox's records as HubSpot's JSON: PublicThread, the PublicMessage variants, PublicActor
 * (Conversations v3) and SimplePublicObject(WithAssociations) / owners (CRM v3). Field names and
 * enums follow https://developers.hubspot.com/docs/api/overview.
 */
import { textToHtml } from '../../common/html-to-text.ts';
import { CHANNELS, type CrmObjectType, type HubSpotSandboxStore, type StoredActor, type StoredMessage, type StoredObject, type StoredOwner, type StoredThread } from './store.ts';

export type Json = Record<string, unknown>;

const SINGULAR: Record<CrmObjectType, string> = { tickets: 'ticket', emails: 'email', notes: 'note', contacts: 'contact', companies: 'company' };

/** What HubSpot returns when a request names no properties. */
export const DEFAULT_PROPERTIES: Record<CrmObjectType, string[]> = {
  tickets: ['content', 'createdate', 'hs_lastmodifieddate', 'hs_object_id', 'hs_pipeline', 'hs_pipeline_stage', 'hs_ticket_category', 'hs_ticket_priority', 'subject'],
  emails: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  notes: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
};

export function threadJson(thread: StoredThread, options: { withTicket: boolean; missingFields: boolean }): Json {
  const lastOf = (direction: 'INCOMING' | 'OUTGOING') => thread.messages.filter((m) => m.type === 'MESSAGE' && m.direction === direction).at(-1)?.createdAt;
  const received = lastOf('INCOMING');
  const sent = lastOf('OUTGOING');
  const json: Json = {
    id: thread.id,
    createdAt: thread.createdAt.toISOString(),
    status: thread.status,
    ...(thread.closedAt ? { closedAt: thread.closedAt.toISOString() } : {}),
    inboxId: thread.inboxId,
    associatedContactId: thread.associatedContactId,
    archived: thread.archived,
    spam: false,
    ...(thread.assignedTo ? { assignedTo: thread.assignedTo } : {}),
    originalChannelId: thread.channelId,
    originalChannelAccountId: thread.channelAccountId,
    latestMessageTimestamp: thread.latestMessageTimestamp.toISOString(),
    ...(received ? { latestMessageReceivedTimestamp: received.toISOString() } : {}),
    ...(sent ? { latestMessageSentTimestamp: sent.toISOString() } : {}),
  };
  if (options.withTicket && thread.associatedTicketId) json.threadAssociations = { associatedTicketId: thread.associatedTicketId };
  if (options.missingFields) {
    delete json.id;
    delete json.createdAt;
  }
  return json;
}

function participant(store: HubSpotSandboxStore, actorId: string, thread: StoredThread, field: 'senderField' | 'recipientField'): Json {
  const actor = store.actors.get(actorId);
  const email = thread.channelId === CHANNELS.email.channelId;
  const identifier = email
    ? { type: 'HS_EMAIL_ADDRESS', value: actor?.email ?? 'unknown@example.com' }
    : { type: 'CHANNEL_SPECIFIC_OPAQUE_ID', value: actorId };
  return { actorId, ...(actor?.name ? { name: actor.name } : {}), deliveryIdentifier: identifier, ...(email ? { [field]: field === 'senderField' ? 'FROM' : 'TO' } : {}) };
}

export function messageJson(store: HubSpotSandboxStore, thread: StoredThread, message: StoredMessage, options: { truncateAt: number; missingFields: boolean }): Json {
  const system = message.createdBy.startsWith('S-');
  const json: Json = {
    id: message.id,
    type: message.type,
    conversationsThreadId: thread.id,
    createdAt: message.createdAt.toISOString(),
    updatedAt: message.createdAt.toISOString(),
    createdBy: message.createdBy,
    client: { clientType: system ? 'SYSTEM' : 'HUBSPOT' },
    senders: system ? [] : [participant(store, message.createdBy, thread, 'senderField')],
    recipients: message.recipientActorId ? [participant(store, message.recipientActorId, thread, 'recipientField')] : [],
    archived: false,
  };
  const truncated = message.text.length > options.truncateAt;
  const text = truncated ? message.text.slice(0, options.truncateAt) : message.text;
  const attachments = message.attachments.map((file) => ({ type: 'FILE', fileId: file.fileId, fileUsageType: file.fileUsageType, name: file.name, url: `https://api-na1.hubspot.net/filemanager/api/v2/files/${file.fileId}/signed-url-redirect` }));
  if (message.type === 'MESSAGE') {
    Object.assign(json, {
      text,
      richText: truncated ? textToHtml(text) : (message.richText ?? textToHtml(text)),
      ...(message.subject ? { subject: message.subject } : {}),
      truncationStatus: truncated ? 'TRUNCATED' : 'NOT_TRUNCATED',
      status: { statusType: message.direction === 'INCOMING' ? 'RECEIVED' : 'SENT' },
      direction: message.direction,
      channelId: thread.channelId,
      channelAccountId: thread.channelAccountId,
      attachments,
    });
  } else if (message.type === 'COMMENT') {
    Object.assign(json, { text, richText: message.richText ?? textToHtml(text), attachments });
  } else if (message.type === 'WELCOME_MESSAGE') {
    Object.assign(json, { text, richText: message.richText ?? textToHtml(text), channelId: thread.channelId, channelAccountId: thread.channelAccountId });
  } else if (message.type === 'ASSIGNMENT') {
    json.assignedTo = message.assignedTo;
  } else {
    json.newStatus = message.newStatus;
  }
  if (options.missingFields) {
    delete json.createdAt;
    delete json.createdBy;
  }
  return json;
}

export function actorJson(actor: StoredActor): Json {
  return { type: actor.type, id: actor.id, ...(actor.name ? { name: actor.name } : {}), ...(actor.email ? { email: actor.email } : {}) };
}

export function objectJson(object: StoredObject, options: { properties: string[] | null; associations?: string[] | null; missingFields: boolean }): Json {
  const names = options.properties?.length ? options.properties : DEFAULT_PROPERTIES[object.type];
  const properties: Record<string, string | null> = {};
  for (const name of names) if (Object.hasOwn(object.properties, name)) properties[name] = object.properties[name] ?? null;
  const json: Json = {
    id: object.id,
    properties,
    createdAt: object.createdAt.toISOString(),
    updatedAt: object.updatedAt.toISOString(),
    archived: object.archived,
  };
  const wanted = (options.associations ?? []).filter((type): type is CrmObjectType => Object.hasOwn(SINGULAR, type));
  const associations: Record<string, Json> = {};
  for (const type of wanted) {
    const ids = object.associations[type] ?? [];
    if (ids.length) associations[type] = { results: ids.map((id) => ({ id, type: `${SINGULAR[object.type]}_to_${SINGULAR[type]}` })) };
  }
  if (Object.keys(associations).length) json.associations = associations;
  if (options.missingFields) {
    delete json.id;
    delete json.createdAt;
  }
  return json;
}

export function ownerJson(owner: StoredOwner): Json {
  const at = owner.createdAt.toISOString();
  return { id: owner.id, email: owner.email, type: 'PERSON', firstName: owner.firstName, lastName: owner.lastName, userId: owner.userId, userIdIncludingInactive: owner.userId, createdAt: at, updatedAt: at, archived: false, teams: [] };
}
