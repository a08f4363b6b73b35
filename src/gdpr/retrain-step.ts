/**
 * The retrain step: models trained on a dataset version that held the subject were flagged by the
 * database step and cannot be promoted, rolled back to or A/B tested any more (their version is
 * erased: src/models/registry/erasure-block.ts). Where the model's task has an enabled retraining
 * policy, a retraining on the successor version (the same data without the subject) starts now.
 */
import { eq } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { retrainingPolicies } from '../db/schema/index.ts';
import { RetrainInputError, startManualRetrain } from '../models/retraining/manual.ts';
import type { Queue } from '../queue/queue.ts';
import type { Found } from './erase.ts';
import type { LeftItem } from './outside-step.ts';

export interface RetrainReport {
  promotionBlocked: string[];
  retrainsStarted: Array<{ task: string; runId: string }>;
  left: LeftItem[];
}

export async function startRetrains(deps: { database: Database; queue: Queue | null }, found: Found, erasureId: string): Promise<RetrainReport> {
  const report: RetrainReport = { promotionBlocked: found.flaggedModels.map((m) => m.id), retrainsStarted: [], left: [] };
  const byTask = new Map<string, string | null>();
  for (const model of found.flaggedModels) if (!byTask.has(model.task) || model.successorVersionId) byTask.set(model.task, model.successorVersionId);
  for (const [task, successor] of byTask) {
    const [policy] = await deps.database.db.select().from(retrainingPolicies).where(eq(retrainingPolicies.task, task));
    if (!policy?.enabled) continue;
    if (!deps.queue) {
      report.left.push({ place: `retraining of ${task}`, why: 'no job queue where the erasure ran: start it with /tuneloop retrain' });
      continue;
    }
    try {
      const run = await startManualRetrain(deps.database.db, deps.queue, { task, ...(successor ? { datasetVersion: successor } : {}), requestedBy: `gdpr-erasure:${erasureId}` });
      report.retrainsStarted.push({ task, runId: run.id });
    } catch (error) {
      // One already running, or no dataset to rebuild: say so, the erasure itself is done.
      if (!(error instanceof RetrainInputError)) throw error;
      report.left.push({ place: `retraining of ${task}`, why: error.message });
    }
  }
  return report;
}
