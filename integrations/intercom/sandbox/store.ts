/**
 * The Intercom sandbox's data: contacts, admins (teammates), the bot, tags and conversations with
 * their parts, filled by seed.ts; the changes tests make (touch, delete, add); the request log, the
 * calls refused for going over the rate limit, and the calls that came before a 429's reset.
 *
 * Times are Unix seconds, as Intercom keeps them. A conversation's updated_at moves with every new
 * part (a customer reply, an admin note) and with tagging, never backwards.
 */
import type { RetryAfterViolation } from '../../sandbox-kit/retry-after.ts';
import { DownloadLinks } from './downloads.ts';

export type AuthorType = 'user' | 'lead' | 'admin' | 'bot';

export interface AuthorRef {
  type: AuthorType;
  id: string;
}

export interface StoredContact {
  id: string;
  role: 'user' | 'lead';
  name: string;
  email: string;
  phone: string | null;
  createdAt: number;
}

export interface StoredAdmin {
  id: string;
  name: string;
  email: string;
}

export interface StoredTag {
  id: string;
  name: string;
}

export interface StoredAttachment {
  name: string;
  contentType: string;
  size: number;
  /** The file itself, where a test attached one to download; seeded screenshots have none. */
  content?: Uint8Array;
}

export interface StoredPart {
  id: string;
  partType: 'comment' | 'note' | 'assignment' | 'close' | 'open';
  /** Plain text; answered as HTML unless display_as=plaintext. */
  body: string | null;
  createdAt: number;
  author: AuthorRef;
  attachments: StoredAttachment[];
}

export interface StoredConversation {
  id: string;
  createdAt: number;
  updatedAt: number;
  state: 'open' | 'closed' | 'snoozed';
  priority: 'priority' | 'not_priority';
  adminAssigneeId: string | null;
  tagIds: string[];
  contactId: string;
  customAttributes: Record<string, string>;
  source: { id: string; type: 'conversation' | 'email'; subject: string; body: string; author: AuthorRef; attachments: StoredAttachment[] };
  parts: StoredPart[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  body: unknown;
  time: Date;
  status: number;
}

export interface Delivery {
  id: string;
  topic: string;
  conversationId: string;
  status: number | null;
}

export const FOLLOW_UP_BODY = 'Any news on this? I am still waiting for an answer.';

export class IntercomSandboxStore {
  readonly contacts = new Map<string, StoredContact>();
  readonly admins = new Map<string, StoredAdmin>();
  readonly tags = new Map<string, StoredTag>();
  readonly conversations = new Map<string, StoredConversation>();
  readonly requestLog: RequestLogEntry[] = [];
  /** Calls refused with 429 because they went over the window's limit: a client that paced has none. */
  readonly overLimit: RequestLogEntry[] = [];
  /** Calls that came after a 429 and before the reset it announced. */
  violations: RetryAfterViolation[] = [];
  readonly deliveries: Delivery[] = [];
  /** Signed links to attachments (attachment `url`s), served without the access token. */
  readonly downloads = new DownloadLinks();
  /** The admin the API token belongs to. */
  apiAdminId = '';
  botId = '';
  private nextPartId = 30_000_000_001;
  private nextTagId = 9_100_001;
  private nextConversationId = 0;

  allocatePartId(): string {
    return String(this.nextPartId++);
  }

  allocateConversationId(): string {
    return String(++this.nextConversationId);
  }

  reserveConversationIds(upTo: number): void {
    this.nextConversationId = Math.max(this.nextConversationId, upTo);
  }

  /** Finds a tag by name (case-insensitive, as Intercom does) or creates it. */
  tagNamed(name: string): StoredTag {
    for (const tag of this.tags.values()) if (tag.name.toLowerCase() === name.toLowerCase()) return tag;
    const tag = { id: String(this.nextTagId++), name };
    this.tags.set(tag.id, tag);
    return tag;
  }

  addPart(conversation: StoredConversation, part: Omit<StoredPart, 'id' | 'createdAt'> & { createdAt?: number }): StoredPart {
    const createdAt = part.createdAt ?? Math.floor(Date.now() / 1000);
    const stored: StoredPart = { ...part, id: this.allocatePartId(), createdAt };
    conversation.parts.push(stored);
    this.touched(conversation, createdAt);
    return stored;
  }

  touched(conversation: StoredConversation, at = Math.floor(Date.now() / 1000)): void {
    conversation.updatedAt = Math.max(conversation.updatedAt, at);
  }

  /** A customer reply on each of the `n` least recently updated conversations; returns their ids. */
  touchConversations(n: number): string[] {
    const oldest = [...this.conversations.values()].sort((a, b) => a.updatedAt - b.updatedAt || Number(a.id) - Number(b.id));
    return oldest.slice(0, n).map((conversation) => {
      const contact = this.contacts.get(conversation.contactId);
      this.addPart(conversation, { partType: 'comment', body: FOLLOW_UP_BODY, author: { type: contact?.role ?? 'user', id: conversation.contactId }, attachments: [] });
      if (conversation.state !== 'open') conversation.state = 'open';
      return conversation.id;
    });
  }

  /** Deletes a conversation for good (DELETE /conversations/{id}): reads answer 404 from then on. */
  deleteConversation(id: string): void {
    this.conversations.delete(id);
  }

  /** Messages a harvest should store: the source and every part with a body. */
  get messageCount(): number {
    let count = 0;
    for (const conversation of this.conversations.values()) count += 1 + conversation.parts.filter((part) => part.body || part.attachments.length).length;
    return count;
  }
}
