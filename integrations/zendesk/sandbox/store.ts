/**
 * The Zendesk sandbox's data: users, organizations, tickets and their comments, filled from
 * generateSupportThreads, plus the mutations tests use (touch, delete, add) and the request log.
 *
 * Incremental export order: every change gives the ticket the next value of a store-wide sequence
 * (`version`), like a database change sequence. The export walks tickets by version, so a ticket
 * changed after a cursor was handed out shows up after that cursor, never before it.
 */
import { generateSupportThreads, type SandboxThread } from '../../sandbox-kit/data.ts';
import { seedStore } from './seed.ts';

export * from './records.ts';
import { CATEGORY_FIELD_ID, FOLLOW_UP_BODY, INTENT_FIELD_ID, type NewTicketInput, type RequestLogEntry, type RetryAfterViolation, type StoredComment, type StoredOrganization, type StoredTicket, type StoredUser, type ZendeskRole } from './records.ts';

export class ZendeskSandboxStore {
  readonly users = new Map<number, StoredUser>();
  readonly organizations = new Map<number, StoredOrganization>();
  readonly tickets = new Map<number, StoredTicket>();
  readonly requestLog: RequestLogEntry[] = [];
  readonly violations: RetryAfterViolation[] = [];
  /** Calls refused with 429 for going over the account's or the export endpoints' limit. */
  readonly overLimit: RequestLogEntry[] = [];
  /** Export cursors carry this; expireCursors() moves it on, and older cursors are refused as expired. */
  cursorEpoch = 0;
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

  /** Every export cursor handed out so far is refused from now on, as an expired one is. */
  expireCursors(): void {
    this.cursorEpoch++;
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
