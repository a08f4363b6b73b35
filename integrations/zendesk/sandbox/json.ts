/**
 * The sandbox's records as Zendesk's API writes them (TicketObject, TicketCommentObject, UserObject
 * in https://developer.zendesk.com/zendesk/oas.yaml): every documented field, ISO times without
 * milliseconds, absolute `url`s on the sandbox's own origin.
 *
 * `missingFields` drops fields the documentation promises, for the 'missing-fields' fault.
 */
import type { StoredComment, StoredOrganization, StoredTicket, StoredUser, StoredVia } from './store.ts';

export type Json = Record<string, unknown>;

export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Zendesk renders a plain comment as paragraphs inside a zd-comment div, lines joined by <br>. */
export function renderCommentHtml(text: string): string {
  const paragraphs = text
    .split(/\n{2,}/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replace(/\n/g, '<br>')}</p>`)
    .join('');
  return `<div class="zd-comment" dir="auto">${paragraphs}</div>`;
}

function viaJson(via: StoredVia): Json {
  return { channel: via.channel, source: { from: via.source.from, to: via.source.to, rel: via.source.rel } };
}

export function ticketJson(ticket: StoredTicket, origin: string, missingFields = false): Json {
  const first = ticket.comments[0];
  const json: Json = {
    url: `${origin}/api/v2/tickets/${ticket.id}.json`,
    id: ticket.id,
    external_id: null,
    via: viaJson(ticket.via),
    created_at: isoSeconds(ticket.createdAt),
    updated_at: isoSeconds(ticket.updatedAt),
    generated_timestamp: Math.floor(ticket.updatedAt.getTime() / 1000),
    type: ticket.type,
    subject: ticket.subject,
    raw_subject: ticket.subject,
    description: first?.body ?? '',
    priority: ticket.priority,
    status: ticket.status,
    recipient: ticket.via.channel === 'email' ? 'support@example-shop.com' : null,
    requester_id: ticket.requesterId,
    submitter_id: ticket.submitterId,
    assignee_id: ticket.assigneeId,
    organization_id: ticket.organizationId,
    group_id: ticket.groupId,
    collaborator_ids: [],
    follower_ids: [],
    email_cc_ids: [],
    forum_topic_id: null,
    problem_id: null,
    has_incidents: false,
    is_public: first?.public ?? true,
    due_at: null,
    tags: [...ticket.tags],
    custom_fields: ticket.customFields.map((field) => ({ ...field })),
    satisfaction_rating: null,
    sharing_agreement_ids: [],
    custom_status_id: 360_000_300_001,
    fields: ticket.customFields.map((field) => ({ ...field })),
    followup_ids: [],
    ticket_form_id: 360_000_400_001,
    brand_id: 360_000_500_001,
    allow_channelback: false,
    allow_attachments: true,
    from_messaging_channel: false,
  };
  if (missingFields) {
    delete json.updated_at;
    delete json.id;
  }
  return json;
}

export function commentJson(comment: StoredComment, origin: string, missingFields = false): Json {
  const html = comment.html ?? renderCommentHtml(comment.body);
  const json: Json = {
    id: comment.id,
    type: 'Comment',
    author_id: comment.authorId,
    body: comment.body,
    html_body: html,
    plain_body: comment.body,
    public: comment.public,
    attachments: comment.attachments.map((attachment) => ({
      url: `${origin}/api/v2/attachments/${attachment.id}.json`,
      id: attachment.id,
      file_name: attachment.fileName,
      content_url: `${origin}/attachments/token/${attachment.id}/?name=${encodeURIComponent(attachment.fileName)}`,
      mapped_content_url: `${origin}/attachments/token/${attachment.id}/?name=${encodeURIComponent(attachment.fileName)}`,
      content_type: attachment.contentType,
      size: attachment.size,
      width: null,
      height: null,
      inline: false,
      deleted: false,
      malware_access_override: false,
      malware_scan_result: 'malware_not_found',
      thumbnails: [],
    })),
    audit_id: comment.id + 1_000_000,
    via: viaJson(comment.via),
    created_at: isoSeconds(comment.createdAt),
    metadata: { system: { client: 'Mozilla/5.0', ip_address: '203.0.113.10', location: 'Berlin, BE, Germany' }, custom: {} },
  };
  if (missingFields) {
    delete json.created_at;
    delete json.author_id;
  }
  return json;
}

export function userJson(user: StoredUser, origin: string, missingFields = false): Json {
  const isEndUser = user.role === 'end-user';
  const json: Json = {
    id: user.id,
    url: `${origin}/api/v2/users/${user.id}.json`,
    name: user.name,
    email: user.email,
    created_at: isoSeconds(user.createdAt),
    updated_at: isoSeconds(user.updatedAt),
    time_zone: 'Berlin',
    iana_time_zone: 'Europe/Berlin',
    phone: user.phone,
    shared_phone_number: null,
    photo: null,
    locale_id: 1,
    locale: 'en-US',
    organization_id: user.organizationId,
    role: user.role,
    verified: true,
    external_id: null,
    tags: [],
    alias: '',
    active: true,
    shared: false,
    shared_agent: false,
    last_login_at: null,
    two_factor_auth_enabled: null,
    signature: isEndUser ? null : `${user.name}\nCustomer Support`,
    details: '',
    notes: '',
    role_type: user.role === 'admin' ? 4 : null,
    custom_role_id: null,
    moderator: !isEndUser,
    ticket_restriction: isEndUser ? 'requested' : null,
    only_private_comments: false,
    restricted_agent: isEndUser,
    suspended: false,
    default_group_id: isEndUser ? null : 360_000_200_001,
    report_csv: !isEndUser,
    user_fields: {},
  };
  if (missingFields) delete json.name;
  return json;
}

export function organizationJson(organization: StoredOrganization, origin: string): Json {
  return {
    url: `${origin}/api/v2/organizations/${organization.id}.json`,
    id: organization.id,
    name: organization.name,
    shared_tickets: false,
    shared_comments: false,
    external_id: null,
    created_at: isoSeconds(organization.createdAt),
    updated_at: isoSeconds(organization.createdAt),
    domain_names: [],
    details: '',
    notes: '',
    group_id: null,
    tags: [],
    organization_fields: {},
  };
}
