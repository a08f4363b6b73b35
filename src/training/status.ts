/**
 * Every status change of a fine-tuning job goes through `transition`: one guarded UPDATE (the job
 * must still be in one of the `from` statuses, so a cancel and a finish cannot both win), one
 * `status` event, and a `slack.notify` job in the same transaction.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { fineTuningJobs, type FineTuningStatus } from '../db/schema/index.ts';
import type { Queue } from '../queue/queue.ts';
import { emitEvent } from '../events/emit.ts';
import { recordEvent } from './events.ts';

export type FineTuningJob = typeof fineTuningJobs.$inferSelect;

export const TERMINAL: FineTuningStatus[] = ['succeeded', 'failed', 'cancelled'];
export const ACTIVE: FineTuningStatus[] = ['validating_files', 'queued', 'running'];

export function isTerminal(status: FineTuningStatus): boolean {
  return TERMINAL.includes(status);
}

/** Sends only where there is a queue: the CLI may change a job without one. */
export interface Notifier {
  queue: Queue | null;
}

export async function notifyStatus(tx: Tx, notifier: Notifier, jobId: string): Promise<void> {
  await notifier.queue?.send('slack.notify', { kind: 'run.status', subjectId: jobId }, { tx });
}

export async function transition(
  tx: Tx,
  notifier: Notifier,
  jobId: string,
  change: {
    from: FineTuningStatus[];
    to: FineTuningStatus;
    message: string;
    level?: 'info' | 'warn' | 'error';
    set?: Partial<typeof fineTuningJobs.$inferInsert>;
    attempt?: number;
  },
): Promise<FineTuningJob | null> {
  const finished = isTerminal(change.to) ? { finishedAt: new Date() } : {};
  const [row] = await tx
    .update(fineTuningJobs)
    .set({ ...change.set, ...finished, status: change.to, heartbeatAt: new Date() })
    .where(and(eq(fineTuningJobs.id, jobId), inArray(fineTuningJobs.status, change.from)))
    .returning();
  if (!row) return null;
  await recordEvent(tx, jobId, { level: change.level ?? 'info', type: 'status', message: change.message, data: { status: change.to }, attempt: change.attempt });
  await notifyStatus(tx, notifier, jobId);
  if (isTerminal(change.to)) {
    const data = { status: row.status, task: row.task, backend: row.backend, model: row.model, fineTunedModel: row.fineTunedModel, datasetVersionId: row.datasetVersionId, error: row.error };
    await emitEvent(tx, { type: 'run.finished', subjectId: jobId, data }, { queue: notifier.queue });
    // A sweep's trial: the sweep may be over now (src/training/sweep/settle.ts).
    if (row.parentJobId) await notifier.queue?.send('finetune.sweep', { parentJobId: row.parentJobId }, { tx });
  }
  return row;
}
