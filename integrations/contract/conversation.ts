/** The normalized conversation every connector yields: the same shape whatever the vendor. */

export const SOURCES = ['zendesk', 'salesforce', 'hubspot', 'slack', 'intercom', 'email'] as const;
export type Source = (typeof SOURCES)[number];

export type AuthorRole = 'customer' | 'agent' | 'bot' | 'system';
export type Visibility = 'public' | 'internal';

/** Someone the vendor tells us about. Kept so the PII scrubber knows exactly whom to remove. */
export interface Person {
  id: string;
  name: string | null;
  email: string | null;
}

export interface Message {
  /** The vendor's id of this message (comment id, EmailMessage id, …). Unique within its conversation. */
  sourceId: string;
  authorRole: AuthorRole;
  author: Person | null;
  visibility: Visibility;
  /** Plain text; HTML is turned into text by the connector. */
  body: string;
  createdAt: Date;
  attachments: string[];
  /**
   * Attachments whose bytes the connector already holds (a mail's MIME parts): the hub extracts
   * their text and scans them as documents. Absent where attachments are only named.
   */
  files?: MessageFile[];
}

export interface MessageFile {
  name: string;
  contentType: string | null;
  content: Uint8Array;
}

export interface Conversation {
  source: Source;
  /** The vendor's id of the ticket/case/thread. (source, sourceId) is unique. */
  sourceId: string;
  subject: string | null;
  status: string | null;
  priority: string | null;
  channel: string | null;
  language: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  requester: Person | null;
  assignee: Person | null;
  organizationId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** The vendor deleted it: we keep the row marked, and curation skips it. */
  deleted: boolean;
  /** Ordered by createdAt. */
  messages: Message[];
}
