import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { models } from './training.ts';

export type EvaluationStatus = 'queued' | 'running' | 'succeeded' | 'failed';
/** What the candidate was compared with: the task's production model, or (none yet) its own base model. */
export type BaselineLabel = 'production' | 'base';

/**
 * One evaluation of a model on its dataset version's held-out test split, side by side with a
 * baseline (src/models/evaluation/handler.ts). The report's shape is EvaluationReport in
 * src/models/evaluation/evaluations.ts.
 */
export const modelEvaluations = pgTable(
  'model_evaluations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    modelId: uuid('model_id')
      .notNull()
      .references(() => models.id, { onDelete: 'cascade' }),
    /** Null when the baseline is the base model (it has no row) or once that model is deleted. */
    baselineModelId: uuid('baseline_model_id').references(() => models.id, { onDelete: 'set null' }),
    /** Set when the evaluation runs (the production model of that moment). */
    baselineLabel: text('baseline_label').$type<BaselineLabel>(),
    status: text('status').$type<EvaluationStatus>().notNull().default('queued'),
    report: jsonb('report').$type<Record<string, unknown>>(),
    error: text('error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (table) => [index('model_evaluations_model_idx').on(table.modelId, table.createdAt)],
);
