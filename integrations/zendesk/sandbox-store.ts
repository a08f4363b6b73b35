/**
 * The Zendesk sandbox's data: users, organizations, tickets and their comments, filled from
 * generateSupportThreads, plus the mutations tests use (touch, delete, add) and the request log.
 *
 * Incremental export order: every change gives the ticket the next value of a store-wide sequence
 * (`version`), like a database change sequence. The export walks tickets by version, so a ticket
 * changed after a cursor was handed out shows up after that cursor, never before it.
 */
import { generateSupportThreads, type SandboxThread } from '../sandbox-data.ts';
import { seedStore } from './sandbox-seed.ts';

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

export class ZendeskSandboxStore {
  readonly users = new Map<number, StoredUser>();
  readonly organizations = new Map<number, StoredOrganization>();
  readonly tickets = new Map<number, StoredTicket>();
  readonly requestLog: RequestLogEntry[] = [];
  readonly violations: RetryAfterViolation[] = [];
  /** The user the API credentials belong to. */
  apiUserId = 0;
  botUserId = 0;
  private sequence = 0;
  private nextTicketId = 1;
  private nextCommentId = 10_000_000_001;
  private nextUserId = 362_000_900_001;

  constructor(threads: SandboxThread[], apiUser: { name: string; email: string; role: ZendeskRole }) {
    seedStore(this, threads, apiUser);
  }

  static fromSeed(seed: number, tickets: number, apiUser: { name: string; email: string; role: ZendeskRole }): ZendeskSandboxStore {
    return new ZendeskSandboxStore(generateSupportThreads({ seed, count: tickets }), apiUser);
  }

  /** The latest change-sequence value handed out. */
  get currentVersion(): number {
    return this.sequence;
  }

  /** Hands out the next change-sequence value; every ticket change takes one. */
  nextVersion(): number {
    return ++this.sequence;
  }

  allocateTicketId(): number {
    return this.nextTicketId++;
  }

  allocateCommentId(): number {
    return this.nextCommentId++;
  }

  reserveTicketIds(upTo: number): void {
    this.nextTicketId = Math.max(this.nextTicketId, upTo + 1);
  }

  userByEmail(email: string): StoredUser | undefined {
    const wanted = email.toLowerCase();
    for (const user of this.users.values()) if (user.email.toLowerCase() === wanted) return user;
    return undefined;
  }

  ensureEndUser(name: string, email: string, organizationId: number | null = null): StoredUser {
    const existing = this.userByEmail(email);
    if (existing) return existing;
    const now = new Date();
    const user: StoredUser = { id: this.nextUserId++, name, email, phone: null, role: 'end-user', organizationId, createdAt: now, updatedAt: now };
    this.users.set(user.id, user);
    return user;
  }

  /** Tickets whose change sequence is after `afterVersion`, in export order. */
  changedSince(afterVersion: number, minUpdatedAt: Date | null): StoredTicket[] {
    const out: StoredTicket[] = [];
    for (const ticket of this.tickets.values()) {
      if (ticket.version <= afterVersion) continue;
      if (minUpdatedAt && ticket.updatedAt.getTime() < minUpdatedAt.getTime()) continue;
      out.push(ticket);
    }
    return out.sort((a, b) => a.version - b.version);
  }

  /** Marks a ticket changed now (updated_at and the change sequence). */
  markChanged(ticket: StoredTicket, at = new Date()): void {
    ticket.updatedAt = new Date(Math.max(at.getTime(), ticket.updatedAt.getTime()));
    ticket.version = this.nextVersion();
  }

  addComment(ticket: StoredTicket, input: { authorId: number; body: string; html?: string | null; public: boolean; channel?: string }): StoredComment {
    const now = new Date();
    const comment: StoredComment = {
      id: this.allocateCommentId(),
      authorId: input.authorId,
      body: input.body,
      html: input.html ?? null,
      public: input.public,
      via: { channel: input.channel ?? 'api', source: { from: {}, to: {}, rel: null } },
      attachments: [],
      createdAt: now,
    };
    ticket.comments.push(comment);
    this.markChanged(ticket, now);
    return comment;
  }

  /**
   * Updates `n` tickets as a customer follow-up would: a new public comment by the requester and a
   * new updated_at. Picks the least recently changed live tickets, so repeated calls touch new ones.
   * Returns the ids touched, in the order they now appear in the export.
   */
  touchTickets(n: number): number[] {
    const live = [...this.tickets.values()].filter((t) => t.status !== 'deleted').sort((a, b) => a.version - b.version);
    const touched = live.slice(0, n);
    for (const ticket of touched) {
      this.addComment(ticket, { authorId: ticket.requesterId, body: FOLLOW_UP_BODY, public: true, channel: 'email' });
      if (ticket.status === 'solved' || ticket.status === 'pending') ticket.status = 'open';
    }
    return touched.map((t) => t.id);
  }

  /** Soft-deletes a ticket the way Zendesk does: the export then lists it with status "deleted". */
  deleteTicket(id: number): StoredTicket {
    const ticket = this.tickets.get(id);
    if (!ticket) throw new Error(`sandbox has no ticket ${id}`);
    ticket.status = 'deleted';
    this.markChanged(ticket);
    return ticket;
  }

  addTicket(input: NewTicketInput): StoredTicket {
    const requester =
      input.requesterId !== undefined
        ? this.users.get(input.requesterId)
        : input.requester
          ? this.ensureEndUser(input.requester.name, input.requester.email)
          : this.users.get(this.apiUserId);
    if (!requester) throw new Error(`sandbox has no user ${input.requesterId}`);
    const now = new Date();
    const channel = input.channel ?? 'api';
    const ticket: StoredTicket = {
      id: this.allocateTicketId(),
      subject: input.subject,
      status: input.status ?? 'new',
      priority: input.priority ?? null,
      type: null,
      tags: [...new Set(input.tags ?? [])],
      customFields: input.customFields ?? [
        { id: INTENT_FIELD_ID, value: null },
        { id: CATEGORY_FIELD_ID, value: null },
      ],
      requesterId: requester.id,
      submitterId: input.authorId ?? requester.id,
      assigneeId: null,
      organizationId: requester.organizationId,
      groupId: null,
      via: { channel, source: { from: {}, to: {}, rel: null } },
      createdAt: now,
      updatedAt: now,
      version: 0,
      comments: [],
    };
    this.tickets.set(ticket.id, ticket);
    this.addComment(ticket, { authorId: input.authorId ?? requester.id, body: input.body, html: input.html ?? null, public: input.public ?? true, channel });
    return ticket;
  }
}
