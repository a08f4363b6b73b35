import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { connections } from './connections.ts';

export type HarvestStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One harvest of one connection: its progress counters move with each committed batch. */
export const harvestRuns = pgTable(
  'harvest_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    status: text('status').$type<HarvestStatus>().notNull().default('queued'),
    trigger: text('trigger').$type<'manual' | 'api' | 'schedule' | 'live'>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    batches: integer('batches').notNull().default(0),
    conversationsSeen: integer('conversations_seen').notNull().default(0),
    conversationsCreated: integer('conversations_created').notNull().default(0),
    conversationsUpdated: integer('conversations_updated').notNull().default(0),
    messagesWritten: integer('messages_written').notNull().default(0),
    /** HTTP requests the run sent to the vendor (retries included): its share of the customer's API quota. */
    vendorRequests: integer('vendor_requests').notNull().default(0),
    cursorStart: jsonb('cursor_start').$type<Record<string, unknown>>(),
    cursorEnd: jsonb('cursor_end').$type<Record<string, unknown>>(),
    error: text('error'),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [index('harvest_runs_connection_idx').on(table.connectionId, table.createdAt)],
);
