/**
 * The Zendesk sandbox's records (users, organizations, tickets, comments) and its request log, as
 * the store keeps them; seed.ts builds them and store.ts serves them.
 */
export type ZendeskRole = 'end-user' | 'agent' | 'admin';

export interface StoredUser {
  id: number;
  name: string;
  email: string;
  phone: string | null;
  role: ZendeskRole;
  organizationId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface StoredOrganization {
  id: number;
  name: string;
  createdAt: Date;
}

export interface StoredVia {
  channel: string;
  source: { from: Record<string, unknown>; to: Record<string, unknown>; rel: string | null };
}

export interface StoredAttachment {
  id: number;
  fileName: string;
  contentType: string;
  size: number;
  /** The file itself, served at its content_url; seeded screenshots have none (404). */
  content?: Uint8Array;
}

export interface StoredComment {
  id: number;
  authorId: number;
  /** Plain text; html_body is rendered from it. */
  body: string;
  /** Set when the comment was created from html_body. */
  html: string | null;
  public: boolean;
  via: StoredVia;
  attachments: StoredAttachment[];
  createdAt: Date;
}

export interface StoredTicket {
  id: number;
  subject: string;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed' | 'deleted';
  priority: 'low' | 'normal' | 'high' | 'urgent' | null;
  type: 'question' | 'incident' | 'problem' | 'task' | null;
  tags: string[];
  customFields: { id: number; value: string | null }[];
  requesterId: number;
  submitterId: number;
  assigneeId: number | null;
  organizationId: number | null;
  groupId: number | null;
  via: StoredVia;
  createdAt: Date;
  updatedAt: Date;
  /** Position in the change sequence; see the file comment. */
  version: number;
  comments: StoredComment[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  time: Date;
  status: number;
}

export interface RetryAfterViolation {
  method: string;
  path: string;
  time: Date;
  /** When the Retry-After the sandbox had issued was over. */
  allowedAfter: Date;
}

export interface NewTicketInput {
  subject: string;
  body: string;
  html?: string | null;
  public?: boolean;
  requester?: { name: string; email: string };
  requesterId?: number;
  /** Author of the first comment; the requester when absent. */
  authorId?: number;
  priority?: StoredTicket['priority'];
  status?: Exclude<StoredTicket['status'], 'deleted'>;
  tags?: string[];
  customFields?: { id: number; value: string | null }[];
  channel?: string;
}

/** Ticket field ids, as an admin would see them under Admin Center > Ticket fields. */
export const INTENT_FIELD_ID = 360_001_234_501;
export const CATEGORY_FIELD_ID = 360_001_234_502;

export const FOLLOW_UP_BODY = 'Any news on this? I am still waiting for an answer.';
