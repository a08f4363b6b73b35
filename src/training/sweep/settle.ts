/**
 * Ends a sweep once all its trials have: the trial with the lowest validation loss (its best
 * checkpoint's) becomes the sweep's result and its model the candidate, evaluated like any other;
 * the other trials' models stay archived. No trial succeeded: the sweep fails (or, when a person
 * cancelled it, is cancelled). Runs as the `finetune.sweep` job, queued whenever a trial ends
 * (status.ts), with the sweep row locked, so two trials ending at once settle it once.
 */
import { asc, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.ts';
import { fineTuningJobs, models } from '../../db/schema/index.ts';
import type { HubDeps } from '../../deps.ts';
import type { JobHandler, Queue } from '../../queue/queue.ts';
import { recordEvent } from '../events.ts';
import { ACTIVE, isTerminal, transition } from '../status.ts';

type Job = typeof fineTuningJobs.$inferSelect;

function validationLoss(model: typeof models.$inferSelect | undefined): number | null {
  const value = model?.metrics?.best_eval_loss;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export interface TrialSummary {
  trial: number | null;
  job: string;
  status: Job['status'];
  params: Record<string, unknown>;
  best_eval_loss: number | null;
}

/** The trials of a sweep with their status and validation loss, in trial order (also for the API). */
export async function sweepTrials(db: Tx, parentJobId: string): Promise<Array<TrialSummary & { modelId: string | null; fineTunedModel: string | null; trainedTokens: number | null }>> {
  const rows = await db.select({ job: fineTuningJobs, model: models }).from(fineTuningJobs).leftJoin(models, eq(models.fineTuningJobId, fineTuningJobs.id)).where(eq(fineTuningJobs.parentJobId, parentJobId)).orderBy(asc(fineTuningJobs.trial));
  return rows.map(({ job, model }) => ({
    trial: job.trial,
    job: job.id,
    status: job.status,
    params: job.hyperparameters,
    best_eval_loss: validationLoss(model ?? undefined),
    modelId: model?.id ?? null,
    fineTunedModel: job.fineTunedModel,
    trainedTokens: job.trainedTokens,
  }));
}

export async function settleSweep(db: Db, queue: Queue | null, parentJobId: string): Promise<Job | null> {
  return db.transaction(async (tx) => {
    const [parent] = await tx.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, parentJobId)).for('update');
    if (!parent || isTerminal(parent.status)) return null;
    const trials = await sweepTrials(tx, parentJobId);
    if (!trials.length || trials.some((trial) => ACTIVE.includes(trial.status))) return null;
    const summary: TrialSummary[] = trials.map(({ trial, job, status, params, best_eval_loss }) => ({ trial, job, status, params, best_eval_loss }));
    const succeeded = trials.filter((trial) => trial.status === 'succeeded' && trial.modelId);
    // Lowest validation loss wins; a trial without one only wins when no trial has one.
    const best = [...succeeded].sort((a, b) => (a.best_eval_loss ?? Infinity) - (b.best_eval_loss ?? Infinity))[0];
    const notifier = { queue };
    if (!best) {
      if (parent.cancelRequestedAt) return transition(tx, notifier, parentJobId, { from: ACTIVE, to: 'cancelled', message: 'Sweep cancelled', set: { result: { sweep: { trials: summary } } } });
      return transition(tx, notifier, parentJobId, {
        from: ACTIVE,
        to: 'failed',
        level: 'error',
        message: 'Sweep failed: no trial succeeded',
        set: { error: { code: 'sweep_failed', message: `none of the ${trials.length} trials succeeded`, param: null }, result: { sweep: { trials: summary } } },
      });
    }
    await tx.update(models).set({ status: 'candidate' }).where(eq(models.id, best.modelId!));
    const trainedTokens = trials.reduce((sum, trial) => sum + (trial.trainedTokens ?? 0), 0);
    const done = await transition(tx, notifier, parentJobId, {
      from: ACTIVE,
      to: 'succeeded',
      message: `Sweep completed: trial ${best.trial} has the lowest validation loss (${best.best_eval_loss ?? 'none'})`,
      set: { fineTunedModel: best.fineTunedModel, trainedTokens, error: null, result: { sweep: { best_trial: best.trial, best_job: best.job, trials: summary } } },
    });
    if (!done) return null;
    await recordEvent(tx, parentJobId, { level: 'info', type: 'model', message: `Candidate from the sweep: ${best.fineTunedModel} (model ${best.modelId})`, data: { modelId: best.modelId, trial: best.trial } });
    // Every new candidate is evaluated, as outcomes.ts does for single runs.
    if (queue) await queue.send('model.evaluate', { modelId: best.modelId! }, { tx });
    return done;
  });
}

export function sweepSettleHandler(deps: HubDeps): JobHandler<'finetune.sweep'> {
  return async (payload) => {
    await settleSweep(deps.database.db, deps.queue, payload.parentJobId);
  };
}
