import { sql } from 'drizzle-orm';
import { bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { models } from './training.ts';

/**
 * Tokens for the OpenAI-compatible inference door (`/v1/…`), kept apart from the admin API's
 * tokens: one only calls models, limited to the models and tasks it names. Only a SHA-256 is stored.
 */
export const inferenceTokens = pgTable(
  'inference_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull().unique(),
    /** Model ids or alias names it may call; empty with empty `tasks`: none. `*` in tasks: every task. */
    models: text('models').array().notNull().default(sql`'{}'::text[]`),
    tasks: text('tasks').array().notNull().default(sql`'{}'::text[]`),
    requestsPerMinute: integer('requests_per_minute'),
    tokensPerMinute: integer('tokens_per_minute'),
    /** Monthly budget in USD (usage × the price table); null: none. */
    monthlyBudgetUsd: doublePrecision('monthly_budget_usd'),
    /** At 100 %: `refuse` answers 429 insufficient_quota; `warn` only warns. */
    budgetAction: text('budget_action').$type<'warn' | 'refuse'>().notNull().default('warn'),
    /** The month (YYYY-MM) whose 80 % warning was sent, so it goes out once. */
    budgetWarnedMonth: text('budget_warned_month'),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [index('inference_tokens_name_idx').on(table.name)],
);

/** Names an operator gives a model (`support-bot` → a model id), usable wherever a model is named. */
export const modelAliases = pgTable('model_aliases', {
  name: text('name').primaryKey(),
  modelId: uuid('model_id')
    .notNull()
    .references(() => models.id, { onDelete: 'cascade' }),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** One row per inference request: counts only; the prompt and answer only scrubbed, and only when INFERENCE_KEEP_SCRUBBED_BODIES is on. */
export const inferenceUsage = pgTable(
  'inference_usage',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Inference token, or null for an admin API token (then `apiTokenId`). */
    tokenId: uuid('token_id'),
    apiTokenId: uuid('api_token_id'),
    modelId: uuid('model_id'),
    /** What the caller named: an id or an alias. */
    requested: text('requested').notNull(),
    endpoint: text('endpoint').notNull(),
    status: integer('status').notNull(),
    promptTokens: integer('prompt_tokens').notNull().default(0),
    completionTokens: integer('completion_tokens').notNull().default(0),
    latencyMs: doublePrecision('latency_ms').notNull(),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
    batchId: uuid('batch_id'),
    /** Only with INFERENCE_KEEP_SCRUBBED_BODIES: the prompt and the answer, PII-scrubbed as curation scrubs. */
    sample: jsonb('sample').$type<{ prompt: Array<{ role: string; content: string }>; answer: string }>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('inference_usage_created_idx').on(table.createdAt), index('inference_usage_token_idx').on(table.tokenId, table.createdAt), index('inference_usage_model_idx').on(table.modelId, table.createdAt)],
);

/** Files uploaded through `/v1/files` (purpose `batch`) and the batches' output and error files. */
export const inferenceFiles = pgTable('inference_files', {
  id: text('id').primaryKey(),
  purpose: text('purpose').notNull(),
  filename: text('filename').notNull(),
  bytes: integer('bytes').notNull(),
  /** Path in the artifact store. */
  path: text('path').notNull(),
  tokenId: uuid('token_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export type BatchStatus = 'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

/** OpenAI's Batch object, run as an `inference.batch` job. */
export const inferenceBatches = pgTable(
  'inference_batches',
  {
    id: text('id').primaryKey(),
    endpoint: text('endpoint').notNull(),
    inputFileId: text('input_file_id').notNull(),
    completionWindow: text('completion_window').notNull(),
    status: text('status').$type<BatchStatus>().notNull().default('validating'),
    outputFileId: text('output_file_id'),
    errorFileId: text('error_file_id'),
    total: integer('total').notNull().default(0),
    completed: integer('completed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    errors: jsonb('errors').$type<Array<{ code: string; message: string; line: number | null }>>(),
    metadata: jsonb('metadata').$type<Record<string, string>>(),
    tokenId: uuid('token_id'),
    apiTokenId: uuid('api_token_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    inProgressAt: timestamp('in_progress_at', { withTimezone: true }),
    finalizingAt: timestamp('finalizing_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    failedAt: timestamp('failed_at', { withTimezone: true }),
    cancellingAt: timestamp('cancelling_at', { withTimezone: true }),
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('inference_batches_created_idx').on(table.createdAt)],
);

/** Each finished line of a batch, so a restarted batch never repeats one. */
export const inferenceBatchLines = pgTable(
  'inference_batch_lines',
  {
    batchId: text('batch_id')
      .notNull()
      .references(() => inferenceBatches.id, { onDelete: 'cascade' }),
    line: integer('line').notNull(),
    customId: text('custom_id').notNull(),
    /** The line's output object (`{id, custom_id, response, error}`), as the output file holds it. */
    result: jsonb('result').$type<Record<string, unknown>>().notNull(),
    ok: boolean('ok').notNull(),
  },
  (table) => [uniqueIndex('inference_batch_lines_pk').on(table.batchId, table.line)],
);
