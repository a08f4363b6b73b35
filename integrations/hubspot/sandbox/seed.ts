/**
 * Fills a HubSpotSandboxStore from generateSupportThreads: odd-numbered threads become inbox
 * threads (chat and email channels alternating), even-numbered ones CRM tickets whose turns are
 * associated emails (customer, agent, auto-reply) and notes (internal). Every customer is a contact
 * of a company, every agent an owner and an A- actor. Deterministic for a seed.
 */
import { textToHtml } from '../../common/html-to-text.ts';
import type { SandboxPerson, SandboxThread, SandboxTurn } from '../../sandbox-kit/data.ts';
import { CHANNELS, INBOX, SUPPORT_EMAIL, type ConversationRef, type HubSpotSandboxStore, type StoredObject, type StoredThread } from './store.ts';

export const BOT_ACTOR = { id: 'B-1507', type: 'BOT', name: 'Example Shop Assistant', email: null } as const;
export const SYSTEM_ACTOR = { id: 'S-hubspot', type: 'SYSTEM', name: null, email: null } as const;
/** Auto-replies on tickets come from a workflow, not a user: no owner, no creating user. */
export const AUTO_REPLY_SENDER = { email: 'no-reply@example-shop.com', firstname: 'Example Shop', lastname: 'Support' } as const;

const THREAD_ID_BASE = 7_400_000_000;
const TICKET_ID_BASE = 2_100_000_000;
/** File ids of the screenshots attached to every 7th conversation's first message. */
export const FILE_ID_BASE = 190_000_000_000;

/** The connector's id for generated thread `number`: odd numbers are inbox threads, even ones tickets. */
export function conversationRefFor(number: number): ConversationRef {
  return number % 2 === 1 ? `thread:${THREAD_ID_BASE + number}` : `ticket:${TICKET_ID_BASE + number}`;
}

/** Default ticket pipeline stages: 1 New, 2 Waiting on contact, 3 Waiting on us, 4 Closed. */
const STAGE: Record<SandboxThread['status'], string> = { new: '1', pending: '2', open: '3', solved: '4', closed: '4' };
const PRIORITY: Record<SandboxThread['priority'], string> = { low: 'LOW', normal: 'MEDIUM', high: 'HIGH', urgent: 'URGENT' };

function splitName(name: string): { firstname: string; lastname: string } {
  const [first = '', ...rest] = name.split(' ');
  return { firstname: first, lastname: rest.join(' ') };
}

function iso(date: Date): string {
  return date.toISOString();
}

class Seeder {
  private readonly companies = new Map<string, StoredObject>();
  private readonly contacts = new Map<string, StoredObject>();
  private readonly agents = new Map<string, { ownerId: string; userId: number }>();

  constructor(private readonly store: HubSpotSandboxStore) {
    store.actors.set(BOT_ACTOR.id, { ...BOT_ACTOR });
    store.actors.set(SYSTEM_ACTOR.id, { ...SYSTEM_ACTOR });
  }

  company(name: string, at: Date): StoredObject {
    const known = this.companies.get(name);
    if (known) return known;
    const id = this.store.allocateObjectId();
    const company = this.store.putObject({ id, type: 'companies', properties: { name, hs_object_id: id, createdate: iso(at) }, createdAt: at, updatedAt: at, archived: false, associations: {} });
    this.companies.set(name, company);
    return company;
  }

  contact(person: SandboxPerson, organization: string, at: Date): StoredObject {
    const known = this.contacts.get(person.email);
    if (known) return known;
    const company = this.company(organization, at);
    const id = this.store.allocateObjectId();
    const contact = this.store.putObject({
      id,
      type: 'contacts',
      properties: { ...splitName(person.name), email: person.email, phone: person.phone, hs_language: 'en', associatedcompanyid: company.id, hs_object_id: id, createdate: iso(at), lastmodifieddate: iso(at) },
      createdAt: at,
      updatedAt: at,
      archived: false,
      associations: {},
    });
    this.store.associate(contact, company);
    this.contacts.set(person.email, contact);
    return contact;
  }

  agent(person: SandboxPerson): { ownerId: string; userId: number; actorId: string } {
    let agent = this.agents.get(person.email);
    if (!agent) {
      agent = { ownerId: String(81_000_001 + this.agents.size), userId: 52_000_001 + this.agents.size };
      this.agents.set(person.email, agent);
      const { firstname, lastname } = splitName(person.name);
      this.store.owners.set(agent.ownerId, { id: agent.ownerId, userId: agent.userId, email: person.email, firstName: firstname, lastName: lastname, createdAt: new Date('2024-06-03T09:00:00Z') });
      this.store.actors.set(`A-${agent.userId}`, { id: `A-${agent.userId}`, type: 'AGENT', name: person.name, email: person.email });
    }
    return { ...agent, actorId: `A-${agent.userId}` };
  }

  inboxThread(thread: SandboxThread): void {
    const contact = this.contact(thread.customer, thread.organization, thread.createdAt);
    const agent = this.agent(thread.agent);
    const channel = thread.number % 4 === 1 ? CHANNELS.chat : CHANNELS.email;
    const isEmail = channel === CHANNELS.email;
    const customerActor = isEmail ? `E-${thread.customer.email}` : `V-${contact.id}`;
    this.store.actors.set(customerActor, { id: customerActor, type: isEmail ? 'EMAIL' : 'VISITOR', name: isEmail ? null : thread.customer.name, email: thread.customer.email });
    const closed = thread.status === 'solved' || thread.status === 'closed';
    const stored: StoredThread = {
      id: String(THREAD_ID_BASE + thread.number),
      inboxId: INBOX.id,
      ...channel,
      status: closed ? 'CLOSED' : 'OPEN',
      createdAt: thread.createdAt,
      closedAt: closed ? new Date(thread.updatedAt.getTime() + 60_000) : null,
      associatedContactId: contact.id,
      assignedTo: agent.actorId,
      archived: false,
      associatedTicketId: null,
      latestMessageTimestamp: thread.createdAt,
      messages: [],
    };
    this.store.threads.set(stored.id, stored);
    thread.turns.forEach((turn, index) => {
      const subject = isEmail && turn.kind !== 'internal' ? (index === 0 ? thread.subject : `Re: ${thread.subject}`) : null;
      const attachments = index === 0 && thread.number % 7 === 0 ? [{ fileId: String(FILE_ID_BASE + thread.number), name: `screenshot-${thread.number}.png`, fileUsageType: 'IMAGE' as const }] : [];
      const common = { createdAt: turn.at, text: turn.body, richText: textToHtml(turn.body), subject, attachments };
      if (turn.kind === 'internal') {
        this.store.addMessage(stored, { ...common, type: 'COMMENT', createdBy: agent.actorId, direction: null, recipientActorId: null });
      } else if (turn.kind === 'customer') {
        this.store.addMessage(stored, { ...common, type: 'MESSAGE', createdBy: customerActor, direction: 'INCOMING', recipientActorId: agent.actorId });
      } else {
        this.store.addMessage(stored, { ...common, type: 'MESSAGE', createdBy: turn.kind === 'bot' ? BOT_ACTOR.id : agent.actorId, direction: 'OUTGOING', recipientActorId: customerActor });
      }
      if (index === 0) {
        // Routing assigns the thread a second after it arrives: a system item with no text.
        const assignedAt = new Date(turn.at.getTime() + 1000);
        this.store.addMessage(stored, { type: 'ASSIGNMENT', createdAt: assignedAt, createdBy: SYSTEM_ACTOR.id, text: '', richText: null, subject: null, direction: null, recipientActorId: null, attachments: [], assignedTo: agent.actorId });
      }
    });
    if (stored.closedAt) {
      this.store.addMessage(stored, { type: 'THREAD_STATUS_CHANGE', createdAt: stored.closedAt, createdBy: agent.actorId, text: '', richText: null, subject: null, direction: null, recipientActorId: null, attachments: [], newStatus: 'CLOSED' });
    }
  }

  ticket(thread: SandboxThread): void {
    const contact = this.contact(thread.customer, thread.organization, thread.createdAt);
    const agent = this.agent(thread.agent);
    const id = String(TICKET_ID_BASE + thread.number);
    const closed = thread.status === 'solved' || thread.status === 'closed';
    const ticket = this.store.putObject({
      id,
      type: 'tickets',
      properties: {
        subject: thread.subject,
        content: thread.turns[0]?.body ?? '',
        hs_pipeline: '0',
        hs_pipeline_stage: STAGE[thread.status],
        hs_ticket_priority: PRIORITY[thread.priority],
        hs_ticket_category: thread.category,
        support_intent: thread.intent,
        source_type: 'EMAIL',
        hubspot_owner_id: agent.ownerId,
        closed_date: closed ? iso(thread.updatedAt) : null,
        hs_object_id: id,
        createdate: iso(thread.createdAt),
        hs_lastmodifieddate: iso(thread.updatedAt),
      },
      createdAt: thread.createdAt,
      updatedAt: thread.updatedAt,
      archived: false,
      associations: {},
    });
    this.store.associate(ticket, contact);
    const company = this.companies.get(thread.organization);
    if (company) this.store.associate(ticket, company);
    thread.turns.forEach((turn, index) => this.store.associate(ticket, this.engagement(thread, turn, index, agent)));
  }

  private engagement(thread: SandboxThread, turn: SandboxTurn, index: number, agent: { ownerId: string; userId: number }): StoredObject {
    const at = turn.at;
    const base = { id: this.store.allocateEngagementId(), createdAt: at, updatedAt: at, archived: false, associations: {} };
    const attachmentIds = index === 0 && thread.number % 7 === 0 ? String(FILE_ID_BASE + thread.number) : null;
    if (turn.kind === 'internal') {
      const properties = { hs_note_body: textToHtml(turn.body), hs_timestamp: iso(at), hubspot_owner_id: agent.ownerId, hs_created_by_user_id: String(agent.userId), hs_attachment_ids: null, createdate: iso(at), hs_lastmodifieddate: iso(at) };
      return this.store.putObject({ ...base, type: 'notes', properties });
    }
    const sender =
      turn.kind === 'customer'
        ? { email: thread.customer.email, ...splitName(thread.customer.name) }
        : turn.kind === 'bot'
          ? AUTO_REPLY_SENDER
          : { email: thread.agent.email, ...splitName(thread.agent.name) };
    const fromAgent = turn.kind === 'agent';
    // Every third agent email was written in HubSpot's rich editor and carries only HTML.
    const htmlOnly = fromAgent && thread.number % 3 === 0;
    const properties = {
      hs_timestamp: iso(at),
      hs_email_direction: turn.kind === 'customer' ? 'INCOMING_EMAIL' : 'EMAIL',
      hs_email_subject: index === 0 ? thread.subject : `Re: ${thread.subject}`,
      hs_email_text: htmlOnly ? null : turn.body,
      hs_email_html: textToHtml(turn.body),
      hs_email_sender_email: sender.email,
      hs_email_sender_firstname: sender.firstname,
      hs_email_sender_lastname: sender.lastname,
      hs_email_to_email: turn.kind === 'customer' ? SUPPORT_EMAIL : thread.customer.email,
      hs_email_status: 'SENT',
      hs_attachment_ids: attachmentIds,
      hubspot_owner_id: fromAgent ? agent.ownerId : null,
      hs_created_by_user_id: fromAgent ? String(agent.userId) : null,
      createdate: iso(at),
      hs_lastmodifieddate: iso(at),
    };
    return this.store.putObject({ ...base, type: 'emails', properties });
  }
}

/** `inboxThreads: false` makes every generated thread a ticket (the API minimum's table counts tickets alone). */
export function seedStore(store: HubSpotSandboxStore, threads: SandboxThread[], options: { inboxThreads?: boolean } = {}): void {
  const seeder = new Seeder(store);
  for (const thread of threads) {
    if (thread.number % 2 === 1 && options.inboxThreads !== false) seeder.inboxThread(thread);
    else seeder.ticket(thread);
  }
}
