import { sql } from 'drizzle-orm';
import { bigserial, bigint, boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { connections } from './connections.ts';

export interface PersonRecord {
  id: string;
  name: string | null;
  email: string | null;
}

/** A harvested ticket / case / thread, normalized (integrations/types.ts Conversation). */
export const conversations = pgTable(
  'conversations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    sourceId: text('source_id').notNull(),
    subject: text('subject'),
    status: text('status'),
    priority: text('priority'),
    channel: text('channel'),
    language: text('language'),
    tags: text('tags').array().notNull().default([]),
    customFields: jsonb('custom_fields').$type<Record<string, unknown>>().notNull().default({}),
    requester: jsonb('requester').$type<PersonRecord | null>(),
    assignee: jsonb('assignee').$type<PersonRecord | null>(),
    organizationId: text('organization_id'),
    deleted: boolean('deleted').notNull().default(false),
    sourceCreatedAt: timestamp('source_created_at', { withTimezone: true }).notNull(),
    sourceUpdatedAt: timestamp('source_updated_at', { withTimezone: true }).notNull(),
    /** Hash of the normalized conversation with its messages: an unchanged replay writes nothing. */
    contentHash: text('content_hash').notNull(),
    messageCount: integer('message_count').notNull().default(0),
    harvestedAt: timestamp('harvested_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('conversations_source_idx').on(table.connectionId, table.sourceId),
    index('conversations_updated_idx').on(table.sourceUpdatedAt),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    conversationId: bigint('conversation_id', { mode: 'number' })
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    sourceId: text('source_id').notNull(),
    position: integer('position').notNull(),
    authorRole: text('author_role').$type<'customer' | 'agent' | 'bot' | 'system'>().notNull(),
    author: jsonb('author').$type<PersonRecord | null>(),
    visibility: text('visibility').$type<'public' | 'internal'>().notNull(),
    body: text('body').notNull(),
    attachments: text('attachments').array().notNull().default([]),
    sourceCreatedAt: timestamp('source_created_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    uniqueIndex('messages_source_idx').on(table.conversationId, table.sourceId),
    // Retrieval (src/datasets/prompts/retrieval.ts): full-text search over customers' public messages. Queries
    // must repeat this expression and predicate for the planner to use it.
    index('messages_customer_search_idx')
      .using('gin', sql`to_tsvector('simple', ${table.body})`)
      .where(sql`author_role = 'customer' AND visibility = 'public'`),
  ],
);
