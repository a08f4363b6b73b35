/**
 * Fills an IntercomSandboxStore from generateSupportThreads: one conversation per thread (chat for
 * most, email for every third), contacts for customers (one per email, every fifth a lead),
 * admins for agents, Fin as the bot, tags for the category and intent. The first turn is the
 * conversation's source; agent turns are comments, internal turns notes, bot turns the bot's
 * comments. Deterministic for a seed.
 */
import { createHash } from 'node:crypto';
import type { SandboxPerson, SandboxThread, SandboxTurn } from '../../sandbox-kit/data.ts';
import type { AuthorRef, IntercomSandboxStore, StoredAttachment, StoredConversation, StoredPart } from './store.ts';

export const API_ADMIN = { id: '5100001', name: 'Tuneloop Integration', email: 'integration@support.example-shop.com' } as const;
export const BOT = { id: '5100002', name: 'Fin', email: 'operator+fin@intercom.io' } as const;
const FIRST_AGENT_ID = 5_100_100;

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function contactId(email: string): string {
  return createHash('sha1').update(email).digest('hex').slice(0, 24);
}

export function seedStore(store: IntercomSandboxStore, threads: SandboxThread[]): void {
  store.admins.set(API_ADMIN.id, { ...API_ADMIN });
  store.admins.set(BOT.id, { ...BOT });
  store.apiAdminId = API_ADMIN.id;
  store.botId = BOT.id;
  const agents = new Map<string, string>();
  const agentFor = (person: SandboxPerson): string => {
    let id = agents.get(person.email);
    if (!id) {
      id = String(FIRST_AGENT_ID + agents.size);
      agents.set(person.email, id);
      store.admins.set(id, { id, name: person.name, email: person.email });
    }
    return id;
  };
  const contactFor = (person: SandboxPerson, at: number, number: number): AuthorRef => {
    const id = contactId(person.email);
    let contact = store.contacts.get(id);
    if (!contact) {
      contact = { id, role: number % 5 === 0 ? 'lead' : 'user', name: person.name, email: person.email, phone: person.phone, createdAt: at };
      store.contacts.set(id, contact);
    }
    return { type: contact.role, id };
  };

  for (const thread of threads) {
    const createdAt = seconds(thread.createdAt);
    const customer = contactFor(thread.customer, createdAt, thread.number);
    const agent: AuthorRef = { type: 'admin', id: agentFor(thread.agent) };
    const [first, ...rest] = thread.turns;
    if (!first) continue;
    const attachments: StoredAttachment[] = thread.number % 7 === 0 ? [{ name: `screenshot-${thread.number}.png`, contentType: 'image/png', size: 48_213 }] : [];
    const parts: StoredPart[] = rest.map((turn) => partFor(store, turn, customer, agent));
    const closed = thread.status === 'solved' || thread.status === 'closed';
    if (closed) parts.push({ id: store.allocatePartId(), partType: 'close', body: null, createdAt: seconds(thread.updatedAt), author: agent, attachments: [] });
    const conversation: StoredConversation = {
      id: String(thread.number),
      createdAt,
      updatedAt: Math.max(createdAt, ...parts.map((part) => part.createdAt)),
      state: closed ? 'closed' : thread.status === 'pending' ? 'snoozed' : 'open',
      priority: thread.priority === 'high' || thread.priority === 'urgent' ? 'priority' : 'not_priority',
      adminAssigneeId: thread.status === 'new' ? null : agent.id,
      tagIds: [store.tagNamed(thread.category.toLowerCase()).id, store.tagNamed(thread.intent).id],
      contactId: customer.id,
      customAttributes: { organization: thread.organization },
      source: { id: String(400_000_000 + thread.number), type: thread.number % 3 === 0 ? 'email' : 'conversation', subject: thread.number % 3 === 0 ? thread.subject : '', body: first.body, author: customer, attachments },
      parts,
    };
    store.conversations.set(conversation.id, conversation);
  }
  store.reserveConversationIds(threads.length);
}

function partFor(store: IntercomSandboxStore, turn: SandboxTurn, customer: AuthorRef, agent: AuthorRef): StoredPart {
  const base = { id: store.allocatePartId(), body: turn.body, createdAt: seconds(turn.at), attachments: [] };
  switch (turn.kind) {
    case 'customer':
      return { ...base, partType: 'comment', author: customer };
    case 'agent':
      return { ...base, partType: 'comment', author: agent };
    case 'internal':
      return { ...base, partType: 'note', author: agent };
    case 'bot':
      return { ...base, partType: 'comment', author: { type: 'bot', id: store.botId } };
  }
}
