import { sql } from 'drizzle-orm';
import { bigserial, boolean, doublePrecision, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { models } from './training.ts';

export type ModelSwitchKind = 'promote' | 'rollback' | 'reject' | 'ab_start' | 'ab_end';
/** cancelled: production changed under a running test (another promotion, a rollback). */
export type AbTestStatus = 'running' | 'promoted' | 'rejected' | 'cancelled';

/**
 * Every change of what serves a task, in order. Rollback reads it to find the model that was in
 * production before the current one; the audit log holds the same facts for people.
 */
export const modelSwitches = pgTable(
  'model_switches',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    task: text('task').notNull(),
    fromModelId: uuid('from_model_id').references(() => models.id, { onDelete: 'set null' }),
    toModelId: uuid('to_model_id').references(() => models.id, { onDelete: 'set null' }),
    kind: text('kind').$type<ModelSwitchKind>().notNull(),
    actor: text('actor').notNull(),
    reason: text('reason'),
    /** A promotion the gate blocked, done anyway with a reason. */
    forced: boolean('forced').notNull().default(false),
    /** The gate's verdict at the time (promotions). */
    gate: jsonb('gate').$type<Record<string, unknown>>(),
    abTestId: uuid('ab_test_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('model_switches_task_idx').on(table.task, table.id)],
);

/** A candidate served to `share` of a task's tickets (stable per ticket) beside production. */
export const abTests = pgTable(
  'ab_tests',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    task: text('task').notNull(),
    candidateModelId: uuid('candidate_model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    productionModelId: uuid('production_model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    /** Fraction of tickets (0..1) that get the candidate. */
    share: doublePrecision('share').notNull(),
    status: text('status').$type<AbTestStatus>().notNull().default('running'),
    actor: text('actor').notNull(),
    endedBy: text('ended_by'),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (table) => [
    // At most one running test per task: a ticket's arm must have one answer.
    uniqueIndex('ab_tests_one_running_idx').on(table.task).where(sql`status = 'running'`),
    index('ab_tests_started_idx').on(table.startedAt, table.id),
  ],
);
