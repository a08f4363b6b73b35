import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { connections } from './connections.ts';

/**
 * A backlog of open tickets sent to `draft.generate` / `triage.apply` at once (`tuneloop draft
 * batch`). The ticket ids are kept so progress is a count of their `drafts` rows: every ticket
 * ends with one (posted, skipped or failed), however often its job was retried.
 */
export const draftBatches = pgTable(
  'draft_batches',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** reply, triage, or both (one job of each per ticket). */
    tasks: text('tasks').array().notNull(),
    sourceIds: text('source_ids').array().notNull(),
    tickets: integer('tickets').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('draft_batches_created_idx').on(table.createdAt, table.id)],
);
