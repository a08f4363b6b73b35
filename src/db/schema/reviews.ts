import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { modelEvaluations } from './evaluations.ts';

export type ReviewSide = 'a' | 'b';
export type ReviewVerdict = 'a' | 'b' | 'tie';

/**
 * Human evaluation: blind side-by-side pairs of a candidate's and its baseline's answers to the
 * same held-out test prompt, taken from an evaluation's predictions. Which side is the candidate is
 * drawn per pair and never shown to the reviewer. Prompts come from the dataset version, so they
 * are already PII-scrubbed.
 */
export const reviewPairs = pgTable(
  'review_pairs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    evaluationId: uuid('evaluation_id')
      .notNull()
      .references(() => modelEvaluations.id, { onDelete: 'cascade' }),
    /** Line of the test split the prompt came from. */
    position: integer('position').notNull(),
    /** The chat messages before the answer (system, user, …). */
    prompt: jsonb('prompt').$type<Array<{ role: string; content: string }>>().notNull(),
    answerA: text('answer_a').notNull(),
    answerB: text('answer_b').notNull(),
    candidateSide: text('candidate_side').$type<ReviewSide>().notNull(),
    verdict: text('verdict').$type<ReviewVerdict>(),
    reviewer: text('reviewer'),
    /** A pair handed to a reviewer is theirs for a while, so two reviewers do not get the same one. */
    claimedBy: text('claimed_by'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('review_pairs_position_idx').on(table.evaluationId, table.position), index('review_pairs_open_idx').on(table.evaluationId, table.reviewedAt)],
);
