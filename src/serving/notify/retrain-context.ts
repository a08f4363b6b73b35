/**
 * What a retraining's Slack message shows (retrain-view.ts), read in the notification's
 * transaction: the run, its harvests, its dataset version, its fine-tuning job, the candidate, the
 * candidate's evaluation and the gate's verdict now, and the decision someone made about it.
 */
import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import type { Db, Tx } from '../../db/client.ts';
import { connections, datasets, datasetVersions, fineTuningJobs, harvestRuns, models, modelSwitches, retrainingRuns, slackMessages } from '../../db/schema/index.ts';
import { getEvaluation, latestEvaluation } from '../../models/evaluation/evaluations.ts';
import { gateVerdict } from '../../models/registry/gate.ts';
import { productionModel } from '../../models/registry/registry.ts';
import { retrainMessage, type RetrainState } from './retrain-view.ts';

function counts(value: unknown): Record<string, number> | null {
  if (!value || typeof value !== 'object') return null;
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(value)) if (typeof n === 'number') out[key] = n;
  return out;
}

function datasetState(name: string, version: typeof datasetVersions.$inferSelect | undefined): RetrainState['dataset'] {
  if (!version) return { name, version: null, status: 'queued', examples: null, replacements: null, dropped: null };
  const manifest = (version.manifest ?? {}) as { splits?: Record<string, { examples?: number }>; steps?: { scrub?: { replacements?: unknown }; filter?: { in?: number; out?: number }; dedup?: { in?: number; out?: number } } };
  const examples = manifest.splits ? Object.fromEntries(Object.entries(manifest.splits).map(([split, file]) => [split, file.examples ?? 0])) : null;
  const filter = manifest.steps?.filter;
  const dedup = manifest.steps?.dedup;
  const dropped = (filter?.in ?? 0) - (filter?.out ?? 0) + (dedup?.in ?? 0) - (dedup?.out ?? 0);
  return { name, version: version.version, status: version.status, examples, replacements: counts(manifest.steps?.scrub?.replacements), dropped: dropped || null };
}

export async function retrainStateFor(tx: Tx, db: Db, config: Config, runId: string): Promise<RetrainState | null> {
  const [run] = await tx.select().from(retrainingRuns).where(eq(retrainingRuns.id, runId));
  if (!run) return null;
  const harvests = run.harvestRunIds.length
    ? await tx
        .select({ connection: connections.name, status: harvestRuns.status, seen: harvestRuns.conversationsSeen, created: harvestRuns.conversationsCreated, updated: harvestRuns.conversationsUpdated, error: harvestRuns.error })
        .from(harvestRuns)
        .innerJoin(connections, eq(connections.id, harvestRuns.connectionId))
        .where(inArray(harvestRuns.id, run.harvestRunIds))
    : [];
  const [version] = run.datasetVersionId ? await tx.select().from(datasetVersions).where(eq(datasetVersions.id, run.datasetVersionId)) : [];
  const datasetId = version?.datasetId ?? run.datasetId;
  const [dataset] = datasetId ? await tx.select({ name: datasets.name }).from(datasets).where(eq(datasets.id, datasetId)) : [];
  const [job] = run.fineTuningJobId ? await tx.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, run.fineTuningJobId)) : [];
  const [model] = job ? await tx.select({ id: models.id, task: models.task, status: models.status }).from(models).where(eq(models.fineTuningJobId, job.id)) : [];

  let evaluation: RetrainState['evaluation'] = null;
  let verdict: RetrainState['verdict'] = null;
  let decision: RetrainState['decision'] = null;
  if (model) {
    const latest = await latestEvaluation(tx, model.id);
    const full = latest ? await getEvaluation(tx, latest.id) : null;
    if (full) {
      const report = full.report;
      evaluation = { status: full.status, error: full.error, candidate: counts(report?.candidate) ?? {}, baseline: counts(report?.baseline), baselineLabel: report?.baseline?.label ?? full.baselineLabel };
      if (full.status === 'succeeded' && model.status === 'candidate') {
        const production = await productionModel(db, model.task);
        verdict = gateVerdict({ task: model.task, modelId: model.id, evaluation: full, productionModelId: production?.id ?? null, tolerances: config });
      }
    }
    const [decided] = await tx
      .select()
      .from(modelSwitches)
      // A promotion names the model as `to`, a rejection as `from`.
      .where(or(and(eq(modelSwitches.toModelId, model.id), eq(modelSwitches.kind, 'promote')), and(eq(modelSwitches.fromModelId, model.id), eq(modelSwitches.kind, 'reject'))))
      .orderBy(desc(modelSwitches.id))
      .limit(1);
    if (decided && (decided.kind === 'promote' || decided.kind === 'reject')) decision = { kind: decided.kind, actor: decided.actor, at: decided.createdAt, forced: decided.forced, reason: decided.reason };
  }
  return {
    run: { id: run.id, task: run.task, status: run.status, error: run.error, requestedBy: run.requestedBy, createdAt: run.createdAt },
    harvests,
    dataset: dataset ? datasetState(dataset.name, version) : null,
    job: job ?? null,
    model: model ? { id: model.id, status: model.status } : null,
    evaluation,
    verdict,
    decision,
  };
}

export async function retrainMessageFor(tx: Tx, db: Db, config: Config, runId: string): Promise<ReturnType<typeof retrainMessage> | null> {
  const state = await retrainStateFor(tx, db, config, runId);
  return state ? retrainMessage(state) : null;
}

/** The retraining whose Slack message shows this fine-tuning job, if there is one. */
export async function retrainMessageOfJob(db: Tx, jobId: string): Promise<{ runId: string; channel: string } | null> {
  const [row] = await db
    .select({ runId: retrainingRuns.id, channel: slackMessages.channel })
    .from(retrainingRuns)
    .innerJoin(slackMessages, and(eq(slackMessages.kind, 'retrain.status'), sql`${slackMessages.subjectId} = ${retrainingRuns.id}::text`))
    .where(eq(retrainingRuns.fineTuningJobId, jobId))
    .limit(1);
  return row ?? null;
}
