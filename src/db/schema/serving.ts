import { boolean, index, pgTable, real, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { connections } from './connections.ts';
import { models } from './training.ts';

export type DraftTask = 'reply' | 'triage';
export type DraftStatus = 'posted' | 'skipped' | 'failed';
export type DraftArm = 'production' | 'candidate';

/**
 * What tuneloop wrote back into a vendor ticket: a draft reply (internal note) or a triage, one per
 * (connection, ticket, task), so a retried job or a replayed webhook never posts twice. Skipped and
 * failed attempts are kept with their reason. When the ticket is solved, feedback compares the
 * agent's final public reply with the draft (similarity 0..1, accepted above a threshold); the
 * model registry's A/B statistics read these rows. `text` and `final_reply` are ticket content:
 * never log them.
 */
export const drafts = pgTable(
  'drafts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    source: text('source').notNull(),
    /** The vendor's ticket/case id (HubSpot: `ticket:<id>`). */
    sourceId: text('source_id').notNull(),
    task: text('task').$type<DraftTask>().notNull(),
    modelId: uuid('model_id').references(() => models.id, { onDelete: 'set null' }),
    arm: text('arm').$type<DraftArm>(),
    abTestId: uuid('ab_test_id'),
    status: text('status').$type<DraftStatus>().notNull(),
    /** Why it was skipped or failed, in words (no ticket content). */
    reason: text('reason'),
    /** The draft reply, or the triage as JSON. */
    text: text('text'),
    /** The vendor's id of what was posted (comment, CaseComment, note). */
    noteId: text('note_id'),
    confidence: real('confidence'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    postedAt: timestamp('posted_at', { withTimezone: true }),
    finalReply: text('final_reply'),
    similarity: real('similarity'),
    accepted: boolean('accepted'),
    feedbackAt: timestamp('feedback_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('drafts_ticket_task_idx').on(table.connectionId, table.sourceId, table.task),
    index('drafts_model_idx').on(table.modelId, table.task),
    // The feedback pass looks for posted drafts still waiting for the agent's final reply.
    index('drafts_pending_feedback_idx').on(table.connectionId, table.status, table.feedbackAt),
  ],
);
