/**
 * Model evaluations: rows of `model_evaluations`, the report they store, and how one is requested
 * (a queued row and its `model.evaluate` job, in one transaction). The job itself is
 * handler.ts; the numbers come from `python -m tuneloop_worker evaluate`.
 */
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { modelEvaluations, type BaselineLabel, type EvaluationStatus } from '../../db/schema/index.ts';
import type { Task } from '../../datasets/config.ts';
import type { Queue } from '../../queue/queue.ts';
import { afterRow } from '../../db/keyset.ts';

/** One model's numbers on the test split (gpu-worker/tuneloop_worker/evaluation/metrics.py). chrF is 0..100, ROUGE-L 0..1. */
export interface ModelMetrics {
  examples: number;
  eval_loss?: number;
  chrf?: number;
  rouge_l?: number;
  accuracy?: number;
  macro_f1?: number;
  per_label?: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  precision?: number;
  recall?: number;
  no_prediction_rate?: number;
  latency_p50_ms?: number;
  latency_p95_ms?: number;
  tokens_per_second?: number;
  /** Policy classifiers (classifier.ts): the counts behind precision and recall, and the threshold. */
  true_positives?: number;
  false_positives?: number;
  false_negatives?: number;
  threshold?: number;
}

export interface EvaluationReport {
  task: Task;
  testFile: string;
  candidate: { modelId: string } & ModelMetrics;
  baseline: ({ modelId: string | null; label: BaselineLabel } & ModelMetrics) | null;
  retrieval?: { with: ModelMetrics; without: ModelMetrics };
  /** A policy classifier's report: its policy, and what the baseline was (the rules alone, or the production classifier). */
  policy?: string;
  stage?: 'rules alone' | 'production classifier';
}

export type EvaluationRow = typeof modelEvaluations.$inferSelect;

export interface Evaluation {
  id: string;
  modelId: string;
  status: EvaluationStatus;
  baselineModelId: string | null;
  baselineLabel: BaselineLabel | null;
  report: EvaluationReport | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The report column is written only by the handler, in the EvaluationReport shape. */
function toEvaluation(row: EvaluationRow): Evaluation {
  return { ...row, report: (row.report as unknown as EvaluationReport | null) ?? null };
}

export async function getEvaluation(db: Tx, id: string): Promise<Evaluation | null> {
  const [row] = await db.select().from(modelEvaluations).where(eq(modelEvaluations.id, id));
  return row ? toEvaluation(row) : null;
}

/** Newest first. */
/** Newest first; `afterId` pages after that evaluation. */
export async function listEvaluations(db: Tx, modelId: string, limit = 20, afterId?: string): Promise<Evaluation[]> {
  const after = afterId ? afterRow(modelEvaluations, modelEvaluations.createdAt, modelEvaluations.id, afterId) : undefined;
  const rows = await db.select().from(modelEvaluations).where(and(eq(modelEvaluations.modelId, modelId), after)).orderBy(desc(modelEvaluations.createdAt), desc(modelEvaluations.id)).limit(limit);
  return rows.map(toEvaluation);
}

/** What the gate and `models show` read (the contract); the object returned is a whole Evaluation. */
export interface EvaluationSummary {
  id: string;
  status: EvaluationStatus;
  report: EvaluationReport | null;
  finishedAt: Date | null;
}

export async function latestEvaluation(db: Tx, modelId: string): Promise<EvaluationSummary | null> {
  return (await listEvaluations(db, modelId, 1))[0] ?? null;
}

/**
 * Queues an evaluation of `modelId`. One that is already queued or running is returned instead
 * of a second one; a finished one is never rerun (a new request makes a new row, e.g. after
 * production changed). The job is sent in the same transaction as the row.
 */
/** The model's pending evaluation, else a new queued one; `created` says which. */
export async function pendingOrNewEvaluation(db: Tx, modelId: string): Promise<{ evaluation: Evaluation; created: boolean }> {
  return db.transaction(async (tx) => {
    // Two requests at once must not both find nothing pending and queue two evaluations.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`model-evaluation:${modelId}`}))`);
    const [pending] = await tx
      .select()
      .from(modelEvaluations)
      .where(and(eq(modelEvaluations.modelId, modelId), inArray(modelEvaluations.status, ['queued', 'running'])))
      .orderBy(desc(modelEvaluations.createdAt))
      .limit(1);
    if (pending) return { evaluation: toEvaluation(pending), created: false };
    const [row] = await tx.insert(modelEvaluations).values({ modelId }).returning();
    if (!row) throw new Error('model_evaluations insert returned nothing');
    return { evaluation: toEvaluation(row), created: true };
  });
}

export async function requestEvaluation(db: Tx, queue: Queue, modelId: string): Promise<{ evaluation: Evaluation; created: boolean }> {
  return db.transaction(async (tx) => {
    const result = await pendingOrNewEvaluation(tx, modelId);
    if (result.created) await queue.send('model.evaluate', { modelId, evaluationId: result.evaluation.id }, { tx });
    return result;
  });
}
