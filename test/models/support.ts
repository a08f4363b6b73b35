/** Registry test set-up: models and evaluation reports written straight into the tables. */
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.ts';
import { models, modelEvaluations, type ModelStatus } from '../../src/db/schema/index.ts';
import type { EvaluationReport, ModelMetrics } from '../../src/models/evaluation/evaluations.ts';

export async function insertModel(db: Db, task = 'reply', status: ModelStatus = 'candidate', baseModel = 'tiny-random-qwen2') {
  const [row] = await db.insert(models).values({ task, backend: 'local', baseModel, adapterPath: `/tmp/adapters/${Math.random().toString(36).slice(2)}`, status }).returning();
  if (!row) throw new Error('no model inserted');
  return row;
}

/** A finished evaluation of `modelId` against production (`baselineId`) or, with null, the base model. */
export async function insertEvaluation(
  db: Db,
  modelId: string,
  input: { task?: string; candidate: Partial<ModelMetrics>; baseline: Partial<ModelMetrics> | null; baselineId?: string | null; status?: 'succeeded' | 'failed' | 'running' },
) {
  const baselineId = input.baselineId ?? null;
  const report: EvaluationReport = {
    task: (input.task ?? 'reply') as EvaluationReport['task'],
    testFile: 'test.jsonl',
    candidate: { modelId, examples: 20, ...input.candidate },
    baseline: input.baseline ? { modelId: baselineId, label: baselineId ? 'production' : 'base', examples: 20, ...input.baseline } : null,
  };
  const status = input.status ?? 'succeeded';
  const [row] = await db
    .insert(modelEvaluations)
    .values({
      modelId,
      baselineModelId: baselineId,
      baselineLabel: input.baseline ? (baselineId ? 'production' : 'base') : null,
      status,
      report: status === 'succeeded' ? { ...report } : null,
      finishedAt: status === 'running' ? null : new Date(),
    })
    .returning();
  return row;
}

export async function productionCount(db: Db, task: string): Promise<number> {
  const { rows } = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM models WHERE task = ${task} AND status = 'production'`);
  return Number(rows[0]?.n);
}
