import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export type ErasureStatus = 'pending' | 'running' | 'done' | 'failed';

/**
 * One GDPR erasure (src/gdpr/): requested, then run step by step; each finished step is recorded,
 * so an erasure interrupted by a crash resumes at the next step (at hub start and on a schedule).
 * The subject is kept only as a hash, except while it runs: `work` holds what the later steps need
 * (the subject's identifiers, the Slack messages and vendor notes to redact), encrypted with the
 * hub's keyring, and is cleared when the erasure is done.
 */
export const gdprErasures = pgTable(
  'gdpr_erasures',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    status: text('status').$type<ErasureStatus>().notNull().default('pending'),
    /** email | source_id | name_email */
    subjectBy: text('subject_by').notNull(),
    subjectHash: text('subject_hash').notNull(),
    /** Sealed JSON (keyring) of the subject and what the steps found; null once done. */
    work: text('work'),
    stepsDone: text('steps_done').array().notNull().default([]),
    report: jsonb('report').$type<Record<string, unknown>>().notNull().default({}),
    error: text('error'),
    requestedBy: text('requested_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [index('gdpr_erasures_status_idx').on(table.status, table.heartbeatAt)],
);

/**
 * Subjects that were erased, as hashes of their normalised email or `<source>:<vendor person id>`:
 * a later harvest, draft or triage skips their conversations, so an erasure stays done.
 */
export const gdprSuppressions = pgTable('gdpr_suppressions', {
  hash: text('hash').primaryKey(),
  erasureId: uuid('erasure_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
