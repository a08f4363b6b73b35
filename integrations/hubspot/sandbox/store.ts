/**
 * The HubSpot sandbox's data: conversations inbox threads with their messages and actors, and CRM
 * objects (tickets, emails, notes, contacts, companies) with associations, filled by seed.ts;
 * plus the changes tests make (touch, add, tie) and the request log.
 *
 * Every CRM property value is a string, as HubSpot returns them; a ticket's hs_lastmodifieddate
 * always equals its updatedAt. A thread's latestMessageTimestamp moves only with MESSAGE items
 * (sent or received), not with internal comments or status changes, as HubSpot documents it.
 */
import { createHash } from 'node:crypto';
import type { RetryAfterViolation } from '../../sandbox-kit/retry-after.ts';
import { textToHtml } from '../../common/html-to-text.ts';

export type ActorType = 'AGENT' | 'VISITOR' | 'BOT' | 'SYSTEM' | 'EMAIL';
export type CrmObjectType = 'tickets' | 'emails' | 'notes' | 'contacts' | 'companies';
export type MessageType = 'MESSAGE' | 'COMMENT' | 'WELCOME_MESSAGE' | 'ASSIGNMENT' | 'THREAD_STATUS_CHANGE';

export interface StoredActor {
  id: string;
  type: ActorType;
  name: string | null;
  email: string | null;
}

export interface StoredFile {
  fileId: string;
  name: string;
  fileUsageType: 'IMAGE' | 'STANDARD';
}

export interface StoredMessage {
  id: string;
  type: MessageType;
  createdAt: Date;
  /** Actor id: A- agent, V- visitor, E- email address, B- bot, S- system. */
  createdBy: string;
  /** Full text; answers cut it at the sandbox's truncation length and say TRUNCATED. */
  text: string;
  richText: string | null;
  subject: string | null;
  direction: 'INCOMING' | 'OUTGOING' | null;
  /** The other side: for INCOMING the agent inbox, for OUTGOING the customer actor. */
  recipientActorId: string | null;
  attachments: StoredFile[];
  newStatus?: 'OPEN' | 'CLOSED';
  assignedTo?: string;
}

export interface StoredThread {
  id: string;
  inboxId: string;
  channelId: string;
  channelAccountId: string;
  status: 'OPEN' | 'CLOSED';
  createdAt: Date;
  closedAt: Date | null;
  associatedContactId: string;
  assignedTo: string | null;
  archived: boolean;
  associatedTicketId: string | null;
  latestMessageTimestamp: Date;
  messages: StoredMessage[];
}

export interface StoredObject {
  id: string;
  type: CrmObjectType;
  properties: Record<string, string | null>;
  createdAt: Date;
  updatedAt: Date;
  archived: boolean;
  /** Associated object ids by object type, in association order. */
  associations: Partial<Record<CrmObjectType, string[]>>;
}

export interface StoredOwner {
  id: string;
  userId: number;
  email: string;
  firstName: string;
  lastName: string;
  createdAt: Date;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  /** Parsed JSON body of POST requests, for tests that check what a client asked for. */
  body: unknown;
  time: Date;
  status: number;
}

export const INBOX = { id: '147959634', name: 'Support inbox' } as const;

export interface StoredPipeline {
  id: string;
  label: string;
  stages: { id: string; label: string; closed: boolean }[];
}

/** HubSpot's default ticket pipeline ("0"), and a custom one whose stage ids are HubSpot-made numbers. */
export const PIPELINES: readonly StoredPipeline[] = [
  { id: '0', label: 'Support Pipeline', stages: [{ id: '1', label: 'New', closed: false }, { id: '2', label: 'Waiting on contact', closed: false }, { id: '3', label: 'Waiting on us', closed: false }, { id: '4', label: 'Closed', closed: true }] },
  { id: '76543210', label: 'Escalations', stages: [{ id: '98765001', label: 'Escalated', closed: false }, { id: '98765002', label: 'With engineering', closed: false }, { id: '98765003', label: 'Resolved', closed: true }] },
];
export const CHANNELS = { chat: { channelId: '1000', channelAccountId: '240100' }, email: { channelId: '1002', channelAccountId: '240200' } } as const;
export const SUPPORT_EMAIL = 'support@example-shop.com';
export const FOLLOW_UP_BODY = 'Any news on this? I am still waiting for an answer.';

/** `thread:<id>` / `ticket:<id>`, the connector's conversation ids, so tests can compare directly. */
export type ConversationRef = `thread:${string}` | `ticket:${string}`;

export class HubSpotSandboxStore {
  readonly threads = new Map<string, StoredThread>();
  readonly actors = new Map<string, StoredActor>();
  readonly owners = new Map<string, StoredOwner>();
  readonly objects: Record<CrmObjectType, Map<string, StoredObject>> = {
    tickets: new Map(),
    emails: new Map(),
    notes: new Map(),
    contacts: new Map(),
    companies: new Map(),
  };
  readonly pipelines: readonly StoredPipeline[] = PIPELINES;
  readonly requestLog: RequestLogEntry[] = [];
  /** Calls refused with 429 by HubSpot's real limits (limits.ts): a client that paces itself has none. */
  readonly overLimit: RequestLogEntry[] = [];
  /** Shared with the sandbox's RetryAfterPolice. */
  violations: RetryAfterViolation[] = [];
  private nextEngagementId = 48_000_000_001;
  private nextObjectId = 31_000_000_001;
  private messageSequence = 0;

  allocateEngagementId(): string {
    return String(this.nextEngagementId++);
  }

  allocateObjectId(): string {
    return String(this.nextObjectId++);
  }

  /** Message ids look like HubSpot's: 32 hex characters. */
  allocateMessageId(threadId: string): string {
    return createHash('sha1').update(`${threadId}/${++this.messageSequence}`).digest('hex').slice(0, 32);
  }

  putObject(object: StoredObject): StoredObject {
    this.objects[object.type].set(object.id, object);
    return object;
  }

  associate(from: StoredObject, to: StoredObject): void {
    (from.associations[to.type] ??= []).push(to.id);
    (to.associations[from.type] ??= []).push(from.id);
  }

  /** A property change: updatedAt and hs_lastmodifieddate move to `at` (never backwards). */
  markModified(object: StoredObject, at: Date): void {
    object.updatedAt = new Date(Math.max(at.getTime(), object.updatedAt.getTime()));
    object.properties.hs_lastmodifieddate = object.updatedAt.toISOString();
  }

  addMessage(thread: StoredThread, message: Omit<StoredMessage, 'id'>): StoredMessage {
    const stored: StoredMessage = { id: this.allocateMessageId(thread.id), ...message };
    thread.messages.push(stored);
    if (stored.type === 'MESSAGE' && stored.createdAt.getTime() > thread.latestMessageTimestamp.getTime()) {
      thread.latestMessageTimestamp = stored.createdAt;
    }
    return stored;
  }

  /** The customer's actor on a thread: whoever wrote its first incoming message. */
  customerActorOf(thread: StoredThread): string {
    return thread.messages.find((m) => m.direction === 'INCOMING')?.createdBy ?? `V-${thread.associatedContactId}`;
  }

  /** New customer message on each of the `n` least recently active threads; returns their refs. */
  touchThreads(n: number, at = new Date()): ConversationRef[] {
    const oldest = [...this.threads.values()].sort((a, b) => a.latestMessageTimestamp.getTime() - b.latestMessageTimestamp.getTime() || Number(a.id) - Number(b.id));
    return oldest.slice(0, n).map((thread) => {
      const createdBy = this.customerActorOf(thread);
      const email = thread.channelId === CHANNELS.email.channelId;
      this.addMessage(thread, {
        type: 'MESSAGE',
        createdAt: at,
        createdBy,
        text: FOLLOW_UP_BODY,
        richText: textToHtml(FOLLOW_UP_BODY),
        subject: email ? 'Re: follow-up' : null,
        direction: 'INCOMING',
        recipientActorId: thread.assignedTo,
        attachments: [],
      });
      if (thread.status === 'CLOSED') {
        thread.status = 'OPEN';
        thread.closedAt = null;
      }
      return `thread:${thread.id}` as const;
    });
  }

  /**
   * A customer email reply on each of the `n` least recently modified tickets (the ticket's
   * hs_lastmodifieddate moves to `at`, as HubSpot's reply-tracking properties change). Passing one
   * `at` for many tickets gives them the same timestamp, like a bulk edit.
   */
  touchTickets(n: number, at = new Date()): ConversationRef[] {
    const oldest = [...this.objects.tickets.values()]
      .filter((ticket) => !ticket.archived)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || Number(a.id) - Number(b.id));
    return oldest.slice(0, n).map((ticket) => {
      const contact = this.objects.contacts.get(ticket.associations.contacts?.[0] ?? '');
      const email = this.putObject({
        id: this.allocateEngagementId(),
        type: 'emails',
        properties: {
          hs_timestamp: at.toISOString(),
          hs_email_direction: 'INCOMING_EMAIL',
          hs_email_subject: `Re: ${ticket.properties.subject ?? ''}`,
          hs_email_text: FOLLOW_UP_BODY,
          hs_email_html: textToHtml(FOLLOW_UP_BODY),
          hs_email_sender_email: contact?.properties.email ?? null,
          hs_email_sender_firstname: contact?.properties.firstname ?? null,
          hs_email_sender_lastname: contact?.properties.lastname ?? null,
          hs_email_to_email: SUPPORT_EMAIL,
          hs_email_status: 'SENT',
          hs_attachment_ids: null,
          hubspot_owner_id: null,
          hs_created_by_user_id: null,
          createdate: at.toISOString(),
          hs_lastmodifieddate: at.toISOString(),
        },
        createdAt: at,
        updatedAt: at,
        archived: false,
        associations: {},
      });
      this.associate(ticket, email);
      this.markModified(ticket, at);
      ticket.properties.last_reply_date = at.toISOString();
      return `ticket:${ticket.id}` as const;
    });
  }

  /**
   * Moves a ticket into another pipeline's stage, as an admin's workflow would (hs_lastmodifieddate
   * moves); a closed stage gets the ticket a closed_date only when `closedDate` says so, since
   * HubSpot fills closed_date only in stages marked closed before the ticket entered them.
   */
  moveTicket(ticketId: string, pipelineId: string, stageId: string, options: { closedDate?: boolean; at?: Date } = {}): StoredObject {
    const ticket = this.objects.tickets.get(ticketId);
    const stage = this.pipelines.find((pipeline) => pipeline.id === pipelineId)?.stages.find((candidate) => candidate.id === stageId);
    if (!ticket || !stage) throw new Error(`sandbox has no ticket ${ticketId} or no stage ${pipelineId}/${stageId}`);
    const at = options.at ?? new Date();
    ticket.properties.hs_pipeline = pipelineId;
    ticket.properties.hs_pipeline_stage = stageId;
    ticket.properties.closed_date = stage.closed && options.closedDate !== false ? at.toISOString() : null;
    this.markModified(ticket, at);
    return ticket;
  }

  /** Touches `n` conversations, alternating threads and tickets. */
  touch(n: number, at = new Date()): ConversationRef[] {
    return [...this.touchThreads(Math.ceil(n / 2), at), ...this.touchTickets(Math.floor(n / 2), at)];
  }

  /** Number of conversations (threads + live tickets) a full harvest should yield. */
  get conversationCount(): number {
    return this.threads.size + [...this.objects.tickets.values()].filter((ticket) => !ticket.archived).length;
  }

  /** Messages a harvest should store: thread MESSAGE/COMMENT/WELCOME items, ticket emails and notes. */
  get messageCount(): number {
    let count = 0;
    for (const thread of this.threads.values()) count += thread.messages.filter((m) => m.type === 'MESSAGE' || m.type === 'COMMENT' || m.type === 'WELCOME_MESSAGE').length;
    for (const ticket of this.objects.tickets.values()) {
      if (!ticket.archived) count += (ticket.associations.emails?.length ?? 0) + (ticket.associations.notes?.length ?? 0);
    }
    return count;
  }
}
