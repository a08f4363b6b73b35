/**
 * Turns vendor-neutral sandbox threads into Zendesk records: one ticket per thread, end users for
 * customers (one per email), agents, an organization per company name, and one comment per turn.
 * Everything is derived from the threads alone, so a seed always gives the same ids and content.
 */
import type { SandboxPerson, SandboxThread, SandboxTurn } from '../../sandbox-kit/data.ts';
import {
  CATEGORY_FIELD_ID,
  INTENT_FIELD_ID,
  type StoredComment,
  type StoredOrganization,
  type StoredTicket,
  type StoredUser,
  type StoredVia,
  type ZendeskRole,
} from './records.ts';

/** What seeding fills in: the store (store.ts) has these members. */
export interface SeedTarget {
  readonly users: Map<number, StoredUser>;
  readonly organizations: Map<number, StoredOrganization>;
  readonly tickets: Map<number, StoredTicket>;
  apiUserId: number;
  botUserId: number;
  nextVersion(): number;
  allocateCommentId(): number;
  reserveTicketIds(upTo: number): void;
}

const ACCOUNT_CREATED = new Date('2024-12-02T09:00:00Z');
const API_USER_ID = 361_000_000_001;
const BOT_USER_ID = 361_000_000_002;
const FIRST_AGENT_ID = 361_000_000_100;
const FIRST_CUSTOMER_ID = 362_000_000_001;
const FIRST_ORGANIZATION_ID = 360_000_100_001;
const SUPPORT_GROUP_ID = 360_000_200_001;
/** The trigger that posts the automatic acknowledgement (Admin Center > Triggers). */
const AUTO_REPLY_TRIGGER = { id: 360_009_000_001, title: 'Auto-reply: request received' };

function via(channel: string, rel: string | null = null, from: Record<string, unknown> = {}): StoredVia {
  return { channel, source: { from, to: {}, rel } };
}

export function seedStore(store: SeedTarget, threads: SandboxThread[], apiUser: { name: string; email: string; role: ZendeskRole }): void {
  const addUser = (user: StoredUser) => store.users.set(user.id, user);
  addUser({ id: API_USER_ID, name: apiUser.name, email: apiUser.email, phone: null, role: apiUser.role, organizationId: null, createdAt: ACCOUNT_CREATED, updatedAt: ACCOUNT_CREATED });
  // Zendesk has no bot role: automated comments come from a dedicated agent seat and carry via "rule".
  addUser({ id: BOT_USER_ID, name: 'Support Bot', email: 'bot@support.example-shop.com', phone: null, role: 'agent', organizationId: null, createdAt: ACCOUNT_CREATED, updatedAt: ACCOUNT_CREATED });
  store.apiUserId = API_USER_ID;
  store.botUserId = BOT_USER_ID;

  const organizations = new Map<string, number>();
  const organizationFor = (name: string): number => {
    let id = organizations.get(name);
    if (id === undefined) {
      id = FIRST_ORGANIZATION_ID + organizations.size;
      organizations.set(name, id);
      store.organizations.set(id, { id, name, createdAt: ACCOUNT_CREATED });
    }
    return id;
  };

  const usersByEmail = new Map<string, StoredUser>();
  let agents = 0;
  let customers = 0;
  const userFor = (person: SandboxPerson, role: ZendeskRole, organizationId: number | null, at: Date): StoredUser => {
    const existing = usersByEmail.get(person.email);
    if (existing) return existing;
    const id = role === 'end-user' ? FIRST_CUSTOMER_ID + customers++ : FIRST_AGENT_ID + agents++;
    const createdAt = role === 'end-user' ? at : ACCOUNT_CREATED;
    const user: StoredUser = { id, name: person.name, email: person.email, phone: person.phone, role, organizationId, createdAt, updatedAt: createdAt };
    usersByEmail.set(person.email, user);
    addUser(user);
    return user;
  };

  const tickets: StoredTicket[] = [];
  for (const thread of threads) {
    const organizationId = organizationFor(thread.organization);
    const customer = userFor(thread.customer, 'end-user', organizationId, thread.createdAt);
    const agent = userFor(thread.agent, 'agent', null, thread.createdAt);
    const channel = thread.number % 3 === 0 ? 'web' : 'email';
    const ticketVia =
      channel === 'email'
        ? via('email', null, { address: customer.email, name: customer.name })
        : via('web');
    const comments = thread.turns.map((turn, index) => commentFor(store, thread, turn, index, { customer, agent, channel }));
    tickets.push({
      id: thread.number,
      subject: thread.subject,
      status: thread.status,
      priority: thread.priority,
      type: 'question',
      tags: [thread.category.toLowerCase(), thread.intent],
      customFields: [
        { id: INTENT_FIELD_ID, value: thread.intent },
        { id: CATEGORY_FIELD_ID, value: thread.category.toLowerCase() },
      ],
      requesterId: customer.id,
      submitterId: customer.id,
      assigneeId: thread.status === 'new' ? null : agent.id,
      organizationId,
      groupId: SUPPORT_GROUP_ID,
      via: ticketVia,
      createdAt: thread.createdAt,
      updatedAt: thread.updatedAt,
      version: 0,
      comments,
    });
  }
  // The export lists tickets by when they last changed, so the initial sequence follows updated_at.
  tickets.sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || a.id - b.id);
  for (const ticket of tickets) {
    ticket.version = store.nextVersion();
    store.tickets.set(ticket.id, ticket);
  }
  store.reserveTicketIds(threads.length);
}

function commentFor(
  store: SeedTarget,
  thread: SandboxThread,
  turn: SandboxTurn,
  index: number,
  people: { customer: StoredUser; agent: StoredUser; channel: string },
): StoredComment {
  const base = { id: store.allocateCommentId(), body: turn.body, html: null, createdAt: turn.at, attachments: [] };
  switch (turn.kind) {
    case 'customer': {
      // Every seventh request comes with a screenshot, so attachment names are exercised.
      const attachments =
        index === 0 && thread.number % 7 === 0
          ? [{ id: 20_000_000_000 + thread.number, fileName: `screenshot-${thread.number}.png`, contentType: 'image/png', size: 48_213 }]
          : [];
      const commentVia = index === 0 && people.channel === 'web' ? via('web') : via('email', null, { address: people.customer.email, name: people.customer.name });
      return { ...base, authorId: people.customer.id, public: true, via: commentVia, attachments };
    }
    case 'agent':
      return { ...base, authorId: people.agent.id, public: true, via: via('web') };
    case 'internal':
      return { ...base, authorId: people.agent.id, public: false, via: via('web') };
    case 'bot':
      return { ...base, authorId: store.botUserId, public: true, via: via('rule', 'trigger', { id: AUTO_REPLY_TRIGGER.id, title: AUTO_REPLY_TRIGGER.title }) };
  }
}
