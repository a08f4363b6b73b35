/**
 * Raw Zendesk shapes, as documented in the Support API (https://developer.zendesk.com/zendesk/oas.yaml):
 * only the fields tuneloop reads, strict where we depend on a field and lenient (nullish) where
 * Zendesk may leave it out. Every response is parsed with these before anything else touches it.
 */
import { z } from 'zod';

const Timestamp = z.iso.datetime({ offset: true });
const Id = z.number().int();

/** https://developer.zendesk.com/documentation/ticketing/reference-guides/via-object-reference */
export const ZendeskVia = z.object({
  channel: z.union([z.string(), z.number()]).nullish(),
  source: z.object({ rel: z.string().nullish() }).nullish(),
});
export type ZendeskVia = z.infer<typeof ZendeskVia>;

export const ZendeskUser = z.object({
  id: Id,
  name: z.string(),
  email: z.string().nullish(),
  role: z.string().nullish(),
  locale: z.string().nullish(),
  organization_id: Id.nullish(),
});
export type ZendeskUser = z.infer<typeof ZendeskUser>;

export const ZendeskTicket = z.object({
  id: Id,
  subject: z.string().nullish(),
  status: z.string(),
  priority: z.string().nullish(),
  tags: z.array(z.string()).nullish(),
  custom_fields: z.array(z.object({ id: Id, value: z.unknown() })).nullish(),
  requester_id: Id.nullish(),
  assignee_id: Id.nullish(),
  submitter_id: Id.nullish(),
  organization_id: Id.nullish(),
  via: ZendeskVia.nullish(),
  created_at: Timestamp,
  updated_at: Timestamp,
  /** When the export last saw the ticket change (Unix seconds); the export's order. */
  generated_timestamp: z.number().int().nullish(),
});
export type ZendeskTicket = z.infer<typeof ZendeskTicket>;

/** https://developer.zendesk.com/api-reference/ticketing/tickets/ticket-attachments/#json-format */
export const ZendeskAttachment = z.object({ id: Id.nullish(), file_name: z.string(), content_url: z.string().nullish(), content_type: z.string().nullish(), size: z.number().nullish() });

export const ZendeskComment = z.object({
  id: Id,
  author_id: Id,
  body: z.string().nullish(),
  html_body: z.string().nullish(),
  plain_body: z.string().nullish(),
  public: z.boolean(),
  attachments: z.array(ZendeskAttachment).nullish(),
  via: ZendeskVia.nullish(),
  created_at: Timestamp,
});
export type ZendeskComment = z.infer<typeof ZendeskComment>;

/** GET /api/v2/incremental/tickets/cursor */
export const IncrementalTicketsPage = z.object({
  tickets: z.array(ZendeskTicket),
  users: z.array(ZendeskUser).nullish(),
  after_cursor: z.string().nullish(),
  end_of_stream: z.boolean(),
});
export type IncrementalTicketsPage = z.infer<typeof IncrementalTicketsPage>;

/**
 * GET /api/v2/incremental/ticket_events?include=comment_events: each ticket update with its child
 * events; a child of event_type "Comment" is the comment itself. Other children (field changes,
 * notifications, redactions) are kept loosely: the harvest only needs to know they are there.
 */
export const TicketEventChild = z.object({ id: Id.nullish(), event_type: z.string().nullish(), type: z.string().nullish() }).loose();
export const TicketEvent = z.object({
  id: Id,
  ticket_id: Id,
  timestamp: z.number().int(),
  created_at: Timestamp,
  child_events: z.array(TicketEventChild).nullish(),
});
export type TicketEvent = z.infer<typeof TicketEvent>;
export const TicketEventsPage = z.object({
  ticket_events: z.array(TicketEvent),
  next_page: z.string().nullish(),
  count: z.number().int().nullish(),
  end_of_stream: z.boolean(),
  end_time: z.number().int().nullish(),
});
export type TicketEventsPage = z.infer<typeof TicketEventsPage>;

/** GET /api/v2/tickets/{id}/comments with cursor pagination */
export const CommentsPage = z.object({
  comments: z.array(ZendeskComment),
  meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullish() }),
  links: z.object({ next: z.string().nullish() }).nullish(),
});
export type CommentsPage = z.infer<typeof CommentsPage>;

/** GET /api/v2/users/show_many */
export const UsersList = z.object({ users: z.array(ZendeskUser) });

/** GET /api/v2/users/me; without valid credentials Zendesk may answer with the anonymous user (id null). */
export const CurrentUser = z.object({ user: ZendeskUser.extend({ id: Id.nullable(), role: z.string() }) });

/** Zendesk's error bodies: {"error":"…","description":"…"} or the OAuth {"error","error_description"}. */
export const ZendeskErrorBody = z.object({
  error: z.union([z.string(), z.object({ title: z.string().nullish(), message: z.string().nullish() })]).nullish(),
  description: z.string().nullish(),
  error_description: z.string().nullish(),
});
