/** Retrieval of similar resolved conversations, on conversations stored as a harvest stores them. */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, Message } from '../../integrations/types.ts';
import { storeBatch } from '../../src/harvest/store-batch.ts';
import { similarResolved } from '../../src/datasets/prompts/retrieval.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection } from '../support/harvest.ts';

const at = (n: number) => new Date(Date.UTC(2025, 0, 1, 10, n));
const message = (n: number, authorRole: Message['authorRole'], body: string, visibility: Message['visibility'] = 'public'): Message => ({
  sourceId: String(n),
  authorRole,
  author: null,
  visibility,
  body,
  createdAt: at(n),
  attachments: [],
});

function conversation(sourceId: string, status: string | null, messages: Message[], extra: Partial<Conversation> = {}): Conversation {
  return {
    source: 'zendesk',
    sourceId,
    subject: `Ticket ${sourceId}`,
    status,
    priority: null,
    channel: null,
    language: 'en',
    tags: [],
    customFields: {},
    requester: null,
    assignee: null,
    organizationId: null,
    createdAt: at(0),
    updatedAt: at(10),
    deleted: false,
    messages,
    ...extra,
  };
}

describe('similarResolved (PostgreSQL full-text search)', () => {
  let database: TestDatabase;
  let connection: { id: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-retrieval', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { type: 'api_token', email: 'a@example.com', token: 't' } });
    const conversations = [
      conversation('refund', 'solved', [
        message(1, 'customer', 'My blender arrived broken, I want a refund please'),
        message(2, 'agent', 'Noted internally', 'internal'),
        message(3, 'agent', 'We have refunded your blender; the money is back within five days.'),
      ]),
      conversation('password', 'closed', [message(1, 'customer', 'I cannot reset my password, the reset email never arrives'), message(2, 'agent', 'Check your spam folder; I sent a new reset link.')]),
      // Salesforce stores "Closed" capitalised.
      conversation('shipping', 'Closed', [message(1, 'customer', 'Where is my parcel? The shipping tracking shows nothing'), message(2, 'agent', 'Your parcel left the warehouse today.')], { source: 'salesforce' }),
      conversation('open-refund', 'open', [message(1, 'customer', 'Broken blender, refund wanted'), message(2, 'agent', 'Looking into it.')]),
      conversation('deleted-refund', 'solved', [message(1, 'customer', 'Broken blender refund'), message(2, 'agent', 'Refunded.')], { deleted: true }),
      conversation('no-reply', 'solved', [message(1, 'customer', 'Broken blender refund again')]),
      // Refund words only in a later customer message: the document is the first customer message.
      conversation('later', 'solved', [message(1, 'customer', 'Hello there'), message(2, 'agent', 'Hi! How can I help?'), message(3, 'customer', 'Broken blender refund refund')]),
      // The ticket being answered: resolved and similar, but never its own example.
      conversation('current', 'solved', [message(1, 'customer', 'The blender I bought is broken, refund?'), message(2, 'agent', 'Sure.')]),
    ];
    await database.db.transaction((tx) => storeBatch(tx, connection.id, null, { conversations, cursor: {} }));
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('finds the resolved conversation about the same problem, with its first public agent reply, and never the ticket itself', async () => {
    const found = await similarResolved(database.db, { connectionIds: [connection.id], text: 'Hi, the blender I bought is broken. Can I get a refund?', excludeSource: { source: 'zendesk', sourceId: 'current' }, limit: 5 });
    expect(found.map((e) => e.question)).toEqual(['My blender arrived broken, I want a refund please']);
    expect(found[0]).toMatchObject({ answer: 'We have refunded your blender; the money is back within five days.', conversationId: expect.stringMatching(/^\d+$/) });
    expect(found[0]?.rank).toBeGreaterThan(0);

    const withCurrent = await similarResolved(database.db, { connectionIds: [connection.id], text: 'Hi, the blender I bought is broken. Can I get a refund?', limit: 5 });
    expect(withCurrent.map((e) => e.question)).toEqual(['The blender I bought is broken, refund?', 'My blender arrived broken, I want a refund please']);
  });

  it('ranks by the query words, across statuses written in any case; empty or word-less queries find nothing', async () => {
    const [first] = await similarResolved(database.db, { connectionIds: [connection.id], text: 'shipping tracking for my parcel', limit: 1 });
    expect(first?.answer).toBe('Your parcel left the warehouse today.');
    const [password] = await similarResolved(database.db, { connectionIds: [connection.id], text: 'password reset email', limit: 3 });
    expect(password?.answer).toBe('Check your spam folder; I sent a new reset link.');
    expect(await similarResolved(database.db, { connectionIds: [connection.id], text: '   ' })).toEqual([]);
    expect(await similarResolved(database.db, { connectionIds: [connection.id], text: 'a b ! ?' })).toEqual([]);
    expect(await similarResolved(database.db, { connectionIds: [connection.id], text: "it's -- \"quoted\" or (odd) & | ! syntax <-> 'blender'" })).toHaveLength(2);
  });

  it('the search can use the GIN index', async () => {
    await database.db.execute(sql`SET enable_seqscan = off`);
    const plan = await database.db.execute<{ 'QUERY PLAN': string }>(
      sql`EXPLAIN SELECT id FROM messages WHERE to_tsvector('simple', body) @@ websearch_to_tsquery('simple', 'blender or refund') AND author_role = 'customer' AND visibility = 'public'`,
    );
    await database.db.execute(sql`RESET enable_seqscan`);
    expect(plan.rows.map((row) => row['QUERY PLAN']).join('\n')).toContain('messages_customer_search_idx');
  });
});

describe('similarResolved on a larger corpus: rare words first, common ones only within the match budget', () => {
  let database: TestDatabase;
  let connection: { id: string };

  beforeAll(async () => {
    database = await createTestDatabase();
    connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-common', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { type: 'api_token', email: 'a@example.com', token: 't' } });
    // 1,200 resolved tickets that all mention "order"; one is about a duplicated invoice.
    const conversations = Array.from({ length: 1_200 }, (_, i) =>
      conversation(`c${i}`, 'solved', [message(1, 'customer', i === 600 ? 'My order shows a duplicated invoice' : `Question ${i} about my order number ${1000 + i}`), message(2, 'agent', `Answer ${i}`)]),
    );
    await database.db.transaction((tx) => storeBatch(tx, connection.id, null, { conversations, cursor: {} }));
    await database.db.execute(sql`ANALYZE messages`);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('a word in every document is searched only when nothing rarer is there', async () => {
    // "order" is in all 1,200 documents, over MATCH_BUDGET_DOCUMENTS: with a rarer word it is left out.
    const found = await similarResolved(database.db, { connectionIds: [connection.id], text: 'Where is my order? The invoice is duplicated', limit: 5 });
    expect(found).toEqual([expect.objectContaining({ question: 'My order shows a duplicated invoice', answer: 'Answer 600' })]);
    expect(await similarResolved(database.db, { connectionIds: [connection.id], text: 'order', limit: 5 })).toHaveLength(5);
  });
});

