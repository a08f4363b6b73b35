import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { datasetVersions } from './datasets.ts';

/** OpenAI's fine-tuning job statuses, in the order a job moves through them. */
export type FineTuningStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type TrainingBackend = 'local' | 'openai';
/**
 * lora, qlora, full, dpo: the gpu-worker's methods; supervised: OpenAI's managed supervised
 * fine-tuning; classifier: a compliance policy's classifier, trained by the hub (src/training/classifier/).
 */
export type TrainingMethod = 'lora' | 'qlora' | 'full' | 'dpo' | 'supervised' | 'classifier';
export type TrainingFileFormat = 'chat' | 'preference';
export type ModelStatus = 'candidate' | 'production' | 'archived';
export type EventLevel = 'info' | 'warn' | 'error';

export interface JobError {
  code: string;
  message: string;
  param: string | null;
}

/** The latest numbers of a running job, so a list shows progress without reading its events. */
export interface JobProgress {
  step?: number;
  totalSteps?: number;
  epoch?: number | null;
  loss?: number | null;
  evalLoss?: number | null;
  bestEvalLoss?: number | null;
  etaSeconds?: number | null;
  resumedFromStep?: number;
}

/** JSONL files uploaded through POST /api/v1/files (purpose fine-tune), validated line by line. */
export const trainingFiles = pgTable('training_files', {
  id: uuid('id').primaryKey().defaultRandom(),
  filename: text('filename').notNull(),
  purpose: text('purpose').$type<'fine-tune'>().notNull(),
  /** chat: OpenAI chat format (`messages`); preference: prompt/chosen/rejected (DPO). */
  format: text('format').$type<TrainingFileFormat>().notNull(),
  bytes: bigint('bytes', { mode: 'number' }).notNull(),
  examples: integer('examples').notNull(),
  sha256: text('sha256').notNull(),
  /** Key in the artifact store. */
  storageKey: text('storage_key').notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One fine-tuning job, local (gpu-worker) or managed (OpenAI). Mirrors OpenAI's job object. */
export const fineTuningJobs = pgTable(
  'fine_tuning_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    backend: text('backend').$type<TrainingBackend>().notNull(),
    status: text('status').$type<FineTuningStatus>().notNull().default('validating_files'),
    /** The base model: a Hugging Face id or local directory (local), a model name (openai). */
    model: text('model').notNull(),
    method: text('method').$type<TrainingMethod>().notNull(),
    /** Validated hyperparameters as the caller gave them (src/training/hyperparameters.ts). */
    hyperparameters: jsonb('hyperparameters').$type<Record<string, unknown>>().notNull(),
    suffix: text('suffix'),
    seed: integer('seed').notNull(),
    metadata: jsonb('metadata').$type<Record<string, string>>(),
    /** What the model is for (the dataset's task); the registry compares models per task. */
    task: text('task').notNull(),
    datasetVersionId: uuid('dataset_version_id').references(() => datasetVersions.id, { onDelete: 'set null' }),
    trainingFileId: uuid('training_file_id').references(() => trainingFiles.id, { onDelete: 'set null' }),
    validationFileId: uuid('validation_file_id').references(() => trainingFiles.id, { onDelete: 'set null' }),
    error: jsonb('error').$type<JobError>(),
    fineTunedModel: text('fine_tuned_model'),
    /** The worker's `done` event (local) or the provider's final job object (openai). */
    result: jsonb('result').$type<Record<string, unknown>>(),
    cost: jsonb('cost').$type<Record<string, unknown>>(),
    trainedTokens: bigint('trained_tokens', { mode: 'number' }),
    progress: jsonb('progress').$type<JobProgress>().notNull().default({}),
    attempts: integer('attempts').notNull().default(0),
    /** The provider's job id (openai backend). */
    providerJobId: text('provider_job_id'),
    /** Provider file ids once uploaded, so a retry does not upload again. */
    providerFiles: jsonb('provider_files').$type<{ training?: string; validation?: string }>().notNull().default({}),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    /**
     * A hyperparameter sweep's trial: the sweep (a job that trains nothing itself; its
     * hyperparameters hold the `sweep`) and the trial's 1-based number (src/training/sweep/).
     */
    parentJobId: uuid('parent_job_id').references((): AnyPgColumn => fineTuningJobs.id, { onDelete: 'cascade' }),
    trial: integer('trial'),
  },
  (table) => [
    index('fine_tuning_jobs_created_idx').on(table.createdAt, table.id),
    index('fine_tuning_jobs_status_idx').on(table.status),
    index('fine_tuning_jobs_parent_idx').on(table.parentJobId),
  ],
);

/**
 * Every event of a job, in order: the worker's JSON lines (type = the worker's event type), the
 * provider's events (openai), and the hub's own status messages (type `status`).
 */
export const fineTuningEvents = pgTable(
  'fine_tuning_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => fineTuningJobs.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    level: text('level').$type<EventLevel>().notNull(),
    type: text('type').notNull(),
    message: text('message').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    /** Which attempt wrote it (a resumed run repeats steps). */
    attempt: integer('attempt').notNull().default(0),
    /** The provider's event id, so polling twice stores an event once. */
    externalId: text('external_id'),
  },
  (table) => [index('fine_tuning_events_job_idx').on(table.jobId, table.id), uniqueIndex('fine_tuning_events_external_idx').on(table.jobId, table.externalId)],
);

/** One row per optimizer step with whatever was measured there: the loss curves. A resumed step overwrites. */
export const fineTuningMetrics = pgTable(
  'fine_tuning_metrics',
  {
    jobId: uuid('job_id')
      .notNull()
      .references(() => fineTuningJobs.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    epoch: doublePrecision('epoch'),
    trainLoss: doublePrecision('train_loss'),
    evalLoss: doublePrecision('eval_loss'),
    learningRate: doublePrecision('learning_rate'),
    gradNorm: doublePrecision('grad_norm'),
    tokensPerSecond: doublePrecision('tokens_per_second'),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.jobId, table.step] })],
);

export const fineTuningCheckpoints = pgTable(
  'fine_tuning_checkpoints',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => fineTuningJobs.id, { onDelete: 'cascade' }),
    step: integer('step').notNull(),
    /** A directory of the worker's (local) or the provider's checkpoint model name (openai). */
    path: text('path').notNull(),
    metrics: jsonb('metrics').$type<Record<string, number | null>>().notNull().default({}),
    isBest: boolean('is_best').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('fine_tuning_checkpoints_step_idx').on(table.jobId, table.step)],
);

/**
 * Trained models. A finished job registers its result here as a `candidate`; the model registry
 * (evaluation, promotion) grows this table.
 */
export const models = pgTable(
  'models',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    task: text('task').notNull(),
    backend: text('backend').$type<TrainingBackend>().notNull(),
    baseModel: text('base_model').notNull(),
    /** LoRA adapter directory (local lora/qlora/dpo). */
    adapterPath: text('adapter_path'),
    /** Full model directory (local full fine-tuning). */
    modelPath: text('model_path'),
    /** The provider's model name (openai: `ft:gpt-4o-mini:…`). */
    providerModel: text('provider_model'),
    fineTuningJobId: uuid('fine_tuning_job_id').references((): AnyPgColumn => fineTuningJobs.id, { onDelete: 'set null' }),
    datasetVersionId: uuid('dataset_version_id').references(() => datasetVersions.id, { onDelete: 'set null' }),
    trainingFileId: uuid('training_file_id').references(() => trainingFiles.id, { onDelete: 'set null' }),
    validationFileId: uuid('validation_file_id').references(() => trainingFiles.id, { onDelete: 'set null' }),
    metrics: jsonb('metrics').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status').$type<ModelStatus>().notNull().default('candidate'),
    /** Set when data it was trained on was erased (GDPR): the model should be retrained without it. */
    retrainRequiredAt: timestamp('retrain_required_at', { withTimezone: true }),
    retrainReason: text('retrain_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** Set by the registry (src/models/registry/registry.ts) when the model last became production / stopped serving. */
    promotedAt: timestamp('promoted_at', { withTimezone: true }),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('models_job_idx').on(table.fineTuningJobId),
    index('models_task_status_idx').on(table.task, table.status),
    // One production model per task, whatever races the application code loses.
    uniqueIndex('models_one_production_idx').on(table.task).where(sql`status = 'production'`),
  ],
);
