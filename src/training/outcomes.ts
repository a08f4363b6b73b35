/**
 * How a job ends: succeeded (its result registered as a candidate model), failed (with an
 * OpenAI-style error), or cancelled. Each is one transaction with its status event and notification.
 */
import { basename } from 'node:path';
import { and, eq, or, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { fineTuningCheckpoints, models, type JobError } from '../db/schema/index.ts';
import { recordEvent } from './events.ts';
import { transition, type FineTuningJob, type Notifier } from './status.ts';

export type Model = typeof models.$inferSelect;

export interface SuccessInput {
  fineTunedModel: string;
  result: Record<string, unknown>;
  cost: Record<string, unknown> | null;
  trainedTokens: number | null;
  bestStep: number | null;
  metrics: Record<string, unknown>;
  adapterPath?: string | null;
  modelPath?: string | null;
  providerModel?: string | null;
  attempt?: number;
}

/** The name a local run's model goes by, shaped like OpenAI's `ft:<base>:<org>:<suffix>:<id>`. */
export function localModelName(job: FineTuningJob): string {
  const base = basename(job.model.replace(/\/+$/, '')) || job.model;
  return `ft:${base}:tuneloop:${job.suffix ?? ''}:${job.id.slice(0, 8)}`;
}

export async function succeed(tx: Tx, notifier: Notifier, job: FineTuningJob, input: SuccessInput): Promise<FineTuningJob | null> {
  const done = await transition(tx, notifier, job.id, {
    from: ['running', 'queued', 'validating_files'],
    to: 'succeeded',
    message: 'The job has successfully completed',
    attempt: input.attempt,
    set: { result: input.result, cost: input.cost, trainedTokens: input.trainedTokens, fineTunedModel: input.fineTunedModel, error: null },
  });
  if (!done) return null;
  if (input.bestStep !== null) {
    await tx.update(fineTuningCheckpoints).set({ isBest: false }).where(eq(fineTuningCheckpoints.jobId, job.id));
    await tx.update(fineTuningCheckpoints).set({ isBest: true }).where(and(eq(fineTuningCheckpoints.jobId, job.id), eq(fineTuningCheckpoints.step, input.bestStep)));
  }
  const [model] = await tx
    .insert(models)
    .values({
      task: job.task,
      backend: job.backend,
      baseModel: job.model,
      adapterPath: input.adapterPath ?? null,
      modelPath: input.modelPath ?? null,
      providerModel: input.providerModel ?? null,
      fineTuningJobId: job.id,
      datasetVersionId: job.datasetVersionId,
      trainingFileId: job.trainingFileId,
      validationFileId: job.validationFileId,
      metrics: input.metrics,
      // A sweep's trial is no candidate until the sweep picks it (src/training/sweep/settle.ts).
      ...(job.parentJobId ? { status: 'archived' as const } : {}),
    })
    .onConflictDoNothing()
    .returning();
  // Every new candidate is evaluated against production (or its base) on the held-out test split:
  // the models stage takes it from this job (src/models/evaluation/handler.ts).
  if (model && notifier.queue && !job.parentJobId) await notifier.queue.send('model.evaluate', { modelId: model.id }, { tx });
  await recordEvent(tx, job.id, { level: 'info', type: 'model', message: `New fine-tuned model created: ${input.fineTunedModel} (candidate ${model?.id ?? 'already registered'})`, data: { modelId: model?.id ?? null, fineTunedModel: input.fineTunedModel }, attempt: input.attempt });
  return done;
}

export async function fail(tx: Tx, notifier: Notifier, job: FineTuningJob, error: JobError, attempt?: number): Promise<FineTuningJob | null> {
  return transition(tx, notifier, job.id, {
    from: ['validating_files', 'queued', 'running'],
    to: 'failed',
    level: 'error',
    message: `Fine-tuning job failed: ${error.message}`,
    set: { error },
    attempt,
  });
}

export async function cancel(tx: Tx, notifier: Notifier, job: FineTuningJob, attempt?: number): Promise<FineTuningJob | null> {
  return transition(tx, notifier, job.id, { from: ['validating_files', 'queued', 'running'], to: 'cancelled', message: 'Fine-tuning job cancelled', attempt });
}

/** The job's model; a sweep's is its best trial's. */
export async function modelForJob(db: Tx, jobId: string): Promise<Model | null> {
  const [row] = await db
    .select()
    .from(models)
    .where(or(eq(models.fineTuningJobId, jobId), sql`${models.fineTuningJobId} = (SELECT (result->'sweep'->>'best_job')::uuid FROM fine_tuning_jobs WHERE id = ${jobId})`))
    .limit(1);
  return row ?? null;
}
