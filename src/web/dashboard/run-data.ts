/** Reads behind the run pages: ready dataset versions to train on, and metric rows changed since a cursor. */
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { datasets, datasetVersions, fineTuningMetrics } from '../../db/schema/index.ts';

export async function readyVersions(db: Db) {
  return db
    .select({ id: datasetVersions.id, name: datasets.name, version: datasetVersions.version, task: datasets.task })
    .from(datasetVersions)
    .innerJoin(datasets, eq(datasets.id, datasetVersions.datasetId))
    .where(eq(datasetVersions.status, 'ready'))
    .orderBy(desc(datasetVersions.createdAt))
    .limit(50);
}

export interface ChartPoint {
  step: number;
  train_loss: number | null;
  eval_loss: number | null;
  learning_rate: number | null;
}

/**
 * Metric rows written (or overwritten by a resume) after `cursor`. The cursor is PostgreSQL's own
 * text of the newest recorded_at: a JavaScript Date drops microseconds and would resend rows forever.
 */
export async function metricsSince(db: Db, jobId: string, cursor: string | null): Promise<{ points: ChartPoint[]; cursor: string | null }> {
  const rows = await db
    .select({ step: fineTuningMetrics.step, trainLoss: fineTuningMetrics.trainLoss, evalLoss: fineTuningMetrics.evalLoss, learningRate: fineTuningMetrics.learningRate, at: sql<string>`${fineTuningMetrics.recordedAt}::text` })
    .from(fineTuningMetrics)
    .where(and(eq(fineTuningMetrics.jobId, jobId), cursor ? gt(fineTuningMetrics.recordedAt, sql`${cursor}::timestamptz`) : undefined))
    .orderBy(asc(fineTuningMetrics.step));
  let next = cursor;
  for (const row of rows) if (!next || row.at > next) next = row.at;
  return { points: rows.map((row) => ({ step: row.step, train_loss: row.trainLoss, eval_loss: row.evalLoss, learning_rate: row.learningRate })), cursor: next };
}
