import { boolean, doublePrecision, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { datasets, datasetVersions } from './datasets.ts';
import { fineTuningJobs, models } from './training.ts';

/** One drift check of a task's live inputs against its production model's training set. */
export const driftReports = pgTable(
  'drift_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    task: text('task').notNull(),
    modelId: uuid('model_id').references(() => models.id, { onDelete: 'set null' }),
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull(),
    drifted: boolean('drifted').notNull(),
    /** The largest metric relative to its threshold (≥ 1: drifted), for sorting and charts. */
    score: doublePrecision('score').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('drift_reports_task_idx').on(table.task, table.createdAt)],
);

export interface RetrainingTriggers {
  /** 5-field cron: retrain on this schedule. */
  cron?: string | null;
  /** Retrain once this many new training examples (src/models/retraining/new-examples.ts) arrived since the last retraining. */
  minNewExamples?: number | null;
  /** Retrain when a drift report since the last retraining says drifted. */
  onDrift?: boolean;
  /** Retrain when the production model's draft acceptance rate drops below this (0..1). */
  acceptanceBelow?: number | null;
}

/** Continuous retraining: one policy per task (src/models/retraining/policies.ts). */
export const retrainingPolicies = pgTable('retraining_policies', {
  task: text('task').primaryKey(),
  datasetId: uuid('dataset_id')
    .notNull()
    .references(() => datasets.id, { onDelete: 'cascade' }),
  /** A fine-tuning request without its data (src/training/jobs.ts NewFineTuningJob). */
  training: jsonb('training').$type<Record<string, unknown>>().notNull(),
  triggers: jsonb('triggers').$type<RetrainingTriggers>().notNull(),
  autoPromote: boolean('auto_promote').notNull().default(false),
  enabled: boolean('enabled').notNull().default(true),
  lastFiredAt: timestamp('last_fired_at', { withTimezone: true }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * harvesting: a manual run harvests its dataset's connections first; building: dataset version
 * requested; training: fine-tuning job created; trained: job succeeded (and evaluated, with
 * auto-promote); failed.
 */
export type RetrainingRunStatus = 'harvesting' | 'building' | 'training' | 'trained' | 'failed';

/** Each firing of a policy: why, and the dataset version and fine-tuning job it started. */
export const retrainingRuns = pgTable(
  'retraining_runs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    task: text('task').notNull(),
    trigger: text('trigger').$type<'cron' | 'min_new_examples' | 'on_drift' | 'acceptance_below' | 'manual'>().notNull(),
    reason: jsonb('reason').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status').$type<RetrainingRunStatus>().notNull().default('building'),
    datasetVersionId: uuid('dataset_version_id').references(() => datasetVersions.id, { onDelete: 'set null' }),
    fineTuningJobId: uuid('fine_tuning_job_id').references(() => fineTuningJobs.id, { onDelete: 'set null' }),
    /** A manual run (Slack `retrain`, API): the dataset it builds, when no policy names one. */
    datasetId: uuid('dataset_id').references(() => datasets.id, { onDelete: 'set null' }),
    /** A manual run's fine-tuning request (a policy's `training` otherwise). */
    training: jsonb('training').$type<Record<string, unknown>>(),
    /** The harvests a manual run waits for before it builds. */
    harvestRunIds: jsonb('harvest_run_ids').$type<string[]>().notNull().default([]),
    requestedBy: text('requested_by'),
    error: text('error'),
    /** What happened after training: the candidate model, and with auto-promote whether the gate let it through. */
    outcome: jsonb('outcome').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('retraining_runs_task_idx').on(table.task, table.createdAt)],
);
