/**
 * Continuous retraining: one policy per task (`retraining_policies`) names the dataset to rebuild,
 * the fine-tuning request to run on the new version, and its triggers: a cron schedule, N new
 * training examples (new-examples.ts), a drift report, or draft acceptance below a rate. `evaluatePolicies` runs on
 * DRIFT_CHECK_CRON (and on each policy's own cron): a firing requests a dataset version build and
 * records a `retraining_runs` row in one transaction, with the policy row locked, so one firing
 * gives exactly one build; runs.ts then starts the fine-tuning job once it is built.
 */
import { and, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import { recordAudit } from '../../audit.ts';
import type { Db, Tx } from '../../db/client.ts';
import { conversations, datasets, datasetVersions, driftReports, retrainingPolicies, retrainingRuns, type RetrainingTriggers } from '../../db/schema/index.ts';
import { parseDatasetConfig } from '../../datasets/config.ts';
import { createVersion, findDataset } from '../../datasets/versions.ts';
import type { Logger } from '../../log.ts';
import type { Queue } from '../../queue/queue.ts';
import { NewFineTuningJob } from '../../training/jobs.ts';
import { productionModel } from '../registry/registry.ts';
import { newExamplesSince } from './new-examples.ts';

export type PolicyRow = typeof retrainingPolicies.$inferSelect;
export type RetrainingRun = typeof retrainingRuns.$inferSelect;
export type TriggerName = RetrainingRun['trigger'];

export class RetrainingInputError extends Error {
  override name = 'RetrainingInputError';
}

/** The fine-tuning request of a policy: everything but the data, which each firing's dataset version gives. */
export const TrainingRequest = NewFineTuningJob.omit({ training_file: true, validation_file: true, dataset_version: true, task: true });

export const Triggers = z
  .object({
    cron: z.string().trim().regex(/^(\S+\s+){4}\S+$/, 'must be a 5-field cron expression, e.g. "0 3 * * 1"').nullish(),
    minNewExamples: z.number().int().positive().max(10_000_000).nullish(),
    onDrift: z.boolean().optional(),
    acceptanceBelow: z.number().gt(0).max(1).nullish(),
  })
  .strict()
  .refine((t) => t.cron || t.minNewExamples || t.onDrift || t.acceptanceBelow, { message: 'set at least one trigger (cron, minNewExamples, onDrift, acceptanceBelow)' });

export const PolicyInput = z
  .object({
    task: z.string().regex(/^[a-z][a-z_]{0,39}$/, 'must be a task name such as reply or triage'),
    /** The dataset (id or name) whose config each firing builds a new version of. */
    dataset: z.string().min(1).max(200),
    training: TrainingRequest,
    triggers: Triggers,
    autoPromote: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .strict();
export type PolicyInput = z.input<typeof PolicyInput>;

/** Fewest drafts with feedback before an acceptance rate is trusted. */
export const MIN_FEEDBACK_FOR_ACCEPTANCE = 20;

/** Validates `raw` (API body, CLI flags) with PolicyInput, then upserts the task's policy. */
export async function setPolicy(db: Db, raw: unknown, actor: string): Promise<PolicyRow> {
  const parsed = PolicyInput.safeParse(raw);
  if (!parsed.success) throw new RetrainingInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`).join('; '));
  const input = parsed.data;
  const dataset = await findDataset(db, input.dataset);
  if (!dataset) throw new RetrainingInputError(`dataset: no dataset "${input.dataset}"`);
  if (dataset.task !== input.task) throw new RetrainingInputError(`dataset: ${dataset.name} is a ${dataset.task} dataset, not ${input.task}`);
  const values = { datasetId: dataset.id, training: { ...input.training }, triggers: input.triggers as RetrainingTriggers, autoPromote: input.autoPromote, enabled: input.enabled, updatedAt: new Date() };
  return db.transaction(async (tx) => {
    const [row] = await tx.insert(retrainingPolicies).values({ task: input.task, ...values }).onConflictDoUpdate({ target: retrainingPolicies.task, set: values }).returning();
    if (!row) throw new Error('policy upsert returned nothing');
    await recordAudit(tx, { actor, action: 'retraining_policy.set', subjectType: 'retraining_policy', subjectId: row.task, details: { dataset: dataset.name, triggers: row.triggers, autoPromote: row.autoPromote, enabled: row.enabled } });
    return row;
  });
}

export async function getPolicy(db: Tx, task: string): Promise<PolicyRow | null> {
  const [row] = await db.select().from(retrainingPolicies).where(eq(retrainingPolicies.task, task));
  return row ?? null;
}

export async function listPolicies(db: Tx): Promise<PolicyRow[]> {
  return db.select().from(retrainingPolicies).orderBy(retrainingPolicies.task);
}

export async function listRuns(db: Tx, task: string, limit = 20): Promise<RetrainingRun[]> {
  return db.select().from(retrainingRuns).where(eq(retrainingRuns.task, task)).orderBy(desc(retrainingRuns.createdAt)).limit(limit);
}

/** A policy's cron trigger is a pg-boss schedule keyed by the task (like harvest schedules). */
export async function syncPolicySchedule(queue: Queue, policy: Pick<PolicyRow, 'task' | 'triggers' | 'enabled'>): Promise<void> {
  const key = `retrain.${policy.task}`;
  if (policy.enabled && policy.triggers.cron) await queue.schedule('retrain.evaluate', policy.triggers.cron, { task: policy.task, trigger: 'cron' }, key);
  else await queue.unschedule('retrain.evaluate', key);
}

/** What the triggers look at: activity since the last firing (or since the policy exists). */
async function firedTrigger(db: Db, policy: PolicyRow, scheduled: boolean): Promise<{ trigger: TriggerName; reason: Record<string, unknown> } | null> {
  const since = policy.lastFiredAt ?? policy.createdAt;
  const { triggers } = policy;
  if (scheduled && triggers.cron) return { trigger: 'cron', reason: { cron: triggers.cron } };
  if (triggers.minNewExamples) {
    const [dataset] = await db.select({ config: datasets.config }).from(datasets).where(eq(datasets.id, policy.datasetId));
    const count = await newExamplesSince(db, policy.task, parseDatasetConfig(dataset?.config ?? {}), since);
    if (count >= triggers.minNewExamples) return { trigger: 'min_new_examples', reason: { newExamples: count, since: since.toISOString(), threshold: triggers.minNewExamples } };
  }
  if (triggers.onDrift) {
    const [report] = await db.select().from(driftReports).where(and(eq(driftReports.task, policy.task), gt(driftReports.createdAt, since))).orderBy(desc(driftReports.createdAt)).limit(1);
    if (report?.drifted) return { trigger: 'on_drift', reason: { driftReportId: report.id, score: report.score } };
  }
  if (triggers.acceptanceBelow) {
    const model = await productionModel(db, policy.task);
    // drafts (src/db/schema/serving.ts): accepted is set when the agent's final reply is compared with the draft.
    const rows = model
      ? await db.execute<{ rated: number; accepted: number }>(sql`SELECT count(accepted)::int AS rated, count(*) FILTER (WHERE accepted)::int AS accepted FROM drafts WHERE task = ${policy.task} AND model_id = ${model.id} AND feedback_at > ${since.toISOString()}`)
      : null;
    const stats = rows?.rows[0];
    if (stats && stats.rated >= MIN_FEEDBACK_FOR_ACCEPTANCE && stats.accepted / stats.rated < triggers.acceptanceBelow) {
      return { trigger: 'acceptance_below', reason: { acceptance: Math.round((stats.accepted / stats.rated) * 1000) / 1000, rated: stats.rated, threshold: triggers.acceptanceBelow, modelId: model?.id } };
    }
  }
  return null;
}

/**
 * Fires the policy when a trigger holds: the dataset build request, the run row and the new
 * lastFiredAt commit together. Nothing fires while an earlier run of the task is still going.
 */
export async function evaluatePolicy(db: Db, queue: Queue, task: string, options: { scheduled?: boolean } = {}): Promise<RetrainingRun | null> {
  const policy = await getPolicy(db, task);
  if (!policy?.enabled) return null;
  const fired = await firedTrigger(db, policy, options.scheduled ?? false);
  if (!fired) return null;
  return db.transaction(async (tx) => {
    const [locked] = await tx.select().from(retrainingPolicies).where(eq(retrainingPolicies.task, task)).for('update');
    // Another evaluator fired it while we looked: its firing stands, ours is dropped.
    if (!locked?.enabled || locked.lastFiredAt?.getTime() !== policy.lastFiredAt?.getTime()) return null;
    const [active] = await tx.select({ id: retrainingRuns.id }).from(retrainingRuns).where(and(eq(retrainingRuns.task, task), inArray(retrainingRuns.status, ['harvesting', 'building', 'training']))).limit(1);
    if (active) return null;
    const version = await createVersion(tx, policy.datasetId, 'build', { queue });
    const [run] = await tx.insert(retrainingRuns).values({ task, trigger: fired.trigger, reason: fired.reason, datasetVersionId: version.id }).returning();
    await tx.update(retrainingPolicies).set({ lastFiredAt: new Date() }).where(eq(retrainingPolicies.task, task));
    await recordAudit(tx, { actor: 'system', action: 'retraining.fired', subjectType: 'retraining_policy', subjectId: task, details: { trigger: fired.trigger, reason: fired.reason, datasetVersionId: version.id, runId: run?.id } });
    return run ?? null;
  });
}

export async function evaluateAllPolicies(deps: { db: Db; queue: Queue; log: Logger }, only?: { task: string; scheduled: boolean }): Promise<RetrainingRun[]> {
  const fired: RetrainingRun[] = [];
  const tasks = only ? [only.task] : (await listPolicies(deps.db)).filter((policy) => policy.enabled).map((policy) => policy.task);
  for (const task of tasks) {
    const run = await evaluatePolicy(deps.db, deps.queue, task, { scheduled: only?.scheduled ?? false });
    if (run) {
      deps.log.info({ task, trigger: run.trigger, runId: run.id, datasetVersionId: run.datasetVersionId }, 'retraining fired');
      fired.push(run);
    }
  }
  return fired;
}

/** The dataset versions runs are waiting on, for `retrain policy show`. */
export async function runVersions(db: Tx, runs: RetrainingRun[]) {
  const ids = runs.map((run) => run.datasetVersionId).filter((id): id is string => id !== null);
  return ids.length ? db.select({ id: datasetVersions.id, version: datasetVersions.version, status: datasetVersions.status }).from(datasetVersions).where(inArray(datasetVersions.id, ids)) : [];
}
