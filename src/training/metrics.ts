/**
 * Training runs in Prometheus: runs per status, and the progress and latest losses of each run
 * that is not finished. Read from the database at scrape time, so every replica reports the same
 * numbers whichever worker trains.
 */
import { count, inArray } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { Tx } from '../db/client.ts';
import { fineTuningJobs } from '../db/schema/index.ts';
import { registry } from '../metrics.ts';

const runLabels = ['run', 'task', 'model'] as const;

const runsByStatus = new Gauge({ name: 'tuneloop_runs', help: 'Fine-tuning runs by status.', labelNames: ['status'] as const, registers: [registry] });
const runProgress = new Gauge({ name: 'tuneloop_run_progress_ratio', help: 'Optimizer steps done / total steps, per unfinished run.', labelNames: runLabels, registers: [registry] });
const runStep = new Gauge({ name: 'tuneloop_run_step', help: 'Last optimizer step reported, per unfinished run.', labelNames: runLabels, registers: [registry] });
const runLoss = new Gauge({ name: 'tuneloop_run_train_loss', help: 'Latest training loss, per unfinished run.', labelNames: runLabels, registers: [registry] });
const runEvalLoss = new Gauge({ name: 'tuneloop_run_eval_loss', help: 'Latest validation loss, per unfinished run.', labelNames: runLabels, registers: [registry] });

const UNFINISHED = ['validating_files', 'queued', 'running'] as const;
const STATUSES = [...UNFINISHED, 'succeeded', 'failed', 'cancelled'] as const;

export async function refreshRunMetrics(db: Tx): Promise<void> {
  const statuses = await db.select({ status: fineTuningJobs.status, runs: count() }).from(fineTuningJobs).groupBy(fineTuningJobs.status);
  const unfinished = await db
    .select({ id: fineTuningJobs.id, task: fineTuningJobs.task, model: fineTuningJobs.model, progress: fineTuningJobs.progress })
    .from(fineTuningJobs)
    .where(inArray(fineTuningJobs.status, [...UNFINISHED]));
  // Finished runs drop out of the per-run gauges instead of repeating their last values.
  for (const gauge of [runProgress, runStep, runLoss, runEvalLoss]) gauge.reset();
  for (const status of STATUSES) runsByStatus.set({ status }, statuses.find((row) => row.status === status)?.runs ?? 0);
  for (const run of unfinished) {
    const labels = { run: run.id, task: run.task, model: run.model };
    const { step, totalSteps, loss, evalLoss } = run.progress;
    runStep.set(labels, step ?? 0);
    runProgress.set(labels, step !== undefined && totalSteps ? Math.min(1, step / totalSteps) : 0);
    if (typeof loss === 'number') runLoss.set(labels, loss);
    if (typeof evalLoss === 'number') runEvalLoss.set(labels, evalLoss);
  }
}
