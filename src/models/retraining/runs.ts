/**
 * What happens after a retraining fired: once its dataset version is ready, the policy's
 * fine-tuning job is created on it (once: the run row is locked and moves to `training` in the job's
 * transaction); once the job is done, the run records the candidate model. With auto-promote, the
 * candidate is promoted through the registry's gate after its evaluation (the `model.evaluate` job
 * that follows every successful run); a blocked gate is recorded, never forced.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { retrainingRuns, type TrainingBackend } from '../../db/schema/index.ts';
import { getVersion } from '../../datasets/versions.ts';
import type { HubDeps } from '../../deps.ts';
import type { Logger } from '../../log.ts';
import type { JobHandler, Queue } from '../../queue/queue.ts';
import { createJob, getJob, JobInputError, modelTaskFor } from '../../training/jobs.ts';
import { modelForJob } from '../../training/outcomes.ts';
import { latestEvaluation } from '../evaluation/evaluations.ts';
import { RegistryError } from '../registry/registry.ts';
import { promote } from '../registry/promotion.ts';
import { evaluateAllPolicies, getPolicy, TrainingRequest, type RetrainingRun } from './policies.ts';

export interface RunDeps {
  db: Db;
  queue: Queue;
  config: Config;
  log: Logger;
}

async function settle(db: Db, id: string, from: RetrainingRun['status'], set: Partial<typeof retrainingRuns.$inferInsert>): Promise<boolean> {
  const rows = await db.update(retrainingRuns).set({ ...set, updatedAt: new Date() }).where(and(eq(retrainingRuns.id, id), eq(retrainingRuns.status, from))).returning({ id: retrainingRuns.id });
  return rows.length > 0;
}

/** building → training: the fine-tuning job on the built version, created in the run's locked transaction. */
async function startTraining(deps: RunDeps, run: RetrainingRun): Promise<void> {
  const version = run.datasetVersionId ? await getVersion(deps.db, run.datasetVersionId) : null;
  if (!version || version.status === 'failed' || version.status === 'erased') {
    await settle(deps.db, run.id, 'building', { status: 'failed', error: version ? `dataset version ${version.version} ${version.status}${version.error ? `: ${version.error}` : ''}` : 'the dataset version was deleted' });
    return;
  }
  if (version.status !== 'ready') return;
  // A manual run carries its own request; a policy's firing uses the policy's.
  const training = run.training ?? (await getPolicy(deps.db, run.task))?.training;
  if (!training) {
    await settle(deps.db, run.id, 'building', { status: 'failed', error: 'the retraining policy was removed' });
    return;
  }
  const backends: TrainingBackend[] = deps.config.OPENAI_API_KEY ? ['local', 'openai'] : ['local'];
  try {
    await deps.db.transaction(async (tx) => {
      const [locked] = await tx.select().from(retrainingRuns).where(eq(retrainingRuns.id, run.id)).for('update');
      if (locked?.status !== 'building') return;
      const request = TrainingRequest.parse(training);
      const job = await createJob(tx, { ...request, dataset_version: version.id, task: modelTaskFor(run.task), metadata: { ...request.metadata, retraining_run: run.id } }, { queue: deps.queue, actor: 'retraining', backends, baseModels: deps.config.TRAINING_BASE_MODELS, home: deps.config.TUNELOOP_HOME });
      await tx.update(retrainingRuns).set({ status: 'training', fineTuningJobId: job.id, updatedAt: new Date() }).where(eq(retrainingRuns.id, run.id));
    });
  } catch (error) {
    if (!(error instanceof JobInputError)) throw error;
    await settle(deps.db, run.id, 'building', { status: 'failed', error: `fine-tuning request refused: ${error.message}` });
  }
}

/** training → trained | failed, promoting when the policy says so and the gate agrees. */
async function finishTraining(deps: RunDeps, run: RetrainingRun): Promise<void> {
  const job = run.fineTuningJobId ? await getJob(deps.db, run.fineTuningJobId) : null;
  if (!job) {
    await settle(deps.db, run.id, 'training', { status: 'failed', error: 'the fine-tuning job was deleted' });
    return;
  }
  if (job.status === 'failed' || job.status === 'cancelled') {
    await settle(deps.db, run.id, 'training', { status: 'failed', error: `fine-tuning job ${job.status}${job.error ? `: ${job.error.message}` : ''}` });
    return;
  }
  if (job.status !== 'succeeded') return;
  const model = await modelForJob(deps.db, job.id);
  // A manual run is promoted by a person (the Promote button), never automatically.
  const policy = run.trigger === 'manual' ? null : await getPolicy(deps.db, run.task);
  if (!model || !policy?.autoPromote) {
    await settle(deps.db, run.id, 'training', { status: 'trained', outcome: { modelId: model?.id ?? null, promoted: false, note: 'auto-promote is off: review the evaluation, then `tuneloop models promote`' } });
    return;
  }
  const evaluation = await latestEvaluation(deps.db, model.id);
  if (!evaluation || evaluation.status === 'queued' || evaluation.status === 'running') return;
  // Claim first, so two evaluators never both try to promote.
  if (!(await settle(deps.db, run.id, 'training', { status: 'trained', outcome: { modelId: model.id, promoted: false, note: 'promoting' } }))) return;
  let outcome: Record<string, unknown>;
  if (evaluation.status !== 'succeeded') outcome = { modelId: model.id, promoted: false, note: 'the evaluation failed; not promoted' };
  else {
    try {
      await promote(deps.db, model.id, { actor: 'retraining', reason: `retraining (${run.trigger})`, tolerances: deps.config, queue: deps.queue });
      outcome = { modelId: model.id, promoted: true };
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      outcome = { modelId: model.id, promoted: false, note: error.message };
    }
  }
  await deps.db.update(retrainingRuns).set({ outcome, updatedAt: new Date() }).where(eq(retrainingRuns.id, run.id));
}

export async function advanceRuns(deps: RunDeps): Promise<void> {
  const runs = await deps.db.select().from(retrainingRuns).where(inArray(retrainingRuns.status, ['building', 'training']));
  for (const run of runs) {
    if (run.status === 'building') await startTraining(deps, run);
    else await finishTraining(deps, run);
  }
}

export function retrainEvaluateHandler(deps: HubDeps): JobHandler<'retrain.evaluate'> {
  const log = deps.log.child({ module: 'retraining' });
  return async (payload) => {
    const runDeps = { db: deps.database.db, queue: deps.queue, config: deps.config, log };
    await advanceRuns(runDeps);
    if (payload.advanceOnly) return;
    await evaluateAllPolicies(runDeps, payload.task ? { task: payload.task, scheduled: payload.trigger === 'cron' } : undefined);
  };
}
