/**
 * What the run's Slack message shows, read in the notification's transaction: the run, its
 * candidate model, that model's latest evaluation and what the gate says about it now.
 */
import { eq } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import type { Db, Tx } from '../../db/client.ts';
import { fineTuningJobs, models } from '../../db/schema/index.ts';
import { getEvaluation, latestEvaluation } from '../../models/evaluation/evaluations.ts';
import { gateVerdict } from '../../models/registry/gate.ts';
import { productionModel } from '../../models/registry/registry.ts';
import { runMessage } from './run-view.ts';

export async function runMessageFor(tx: Tx, db: Db, config: Config, runId: string): Promise<ReturnType<typeof runMessage> | null> {
  const [run] = await tx.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, runId));
  if (!run) return null;
  const [model] = await tx.select({ id: models.id, task: models.task }).from(models).where(eq(models.fineTuningJobId, run.id));
  if (!model) return runMessage(run, null);
  const latest = await latestEvaluation(tx, model.id);
  if (!latest) return runMessage(run, model.id);
  const evaluation = (await getEvaluation(tx, latest.id)) ?? { ...latest, error: null };
  // The registry's cached view, as promotion sees it.
  const production = await productionModel(db, model.task);
  const inProduction = production?.id === model.id;
  const verdict = evaluation.status === 'succeeded' && !inProduction ? gateVerdict({ task: model.task, modelId: model.id, evaluation, productionModelId: production?.id ?? null, tolerances: config }) : null;
  return runMessage(run, model.id, { status: evaluation.status, error: evaluation.error, verdict, inProduction });
}
