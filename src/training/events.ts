/**
 * A job's events, loss curves and checkpoints: written as the worker (or the provider) reports
 * them, read by the API, the CLI and the dashboard.
 */
import { and, asc, desc, eq, gt, lt, ne, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { fineTuningCheckpoints, fineTuningEvents, fineTuningJobs, fineTuningMetrics, type EventLevel } from '../db/schema/index.ts';
import { describeEvent, type WorkerEvent } from './worker/events.ts';

export type JobEvent = typeof fineTuningEvents.$inferSelect;
export type Checkpoint = typeof fineTuningCheckpoints.$inferSelect;
export type MetricRow = typeof fineTuningMetrics.$inferSelect;

export interface NewEvent {
  level: EventLevel;
  type: string;
  message: string;
  data?: Record<string, unknown>;
  attempt?: number;
  externalId?: string;
  createdAt?: Date;
}

/** Stores one event; an event with an externalId already stored is skipped (returns false). */
export async function recordEvent(tx: Tx, jobId: string, event: NewEvent): Promise<boolean> {
  const rows = await tx
    .insert(fineTuningEvents)
    .values({ jobId, level: event.level, type: event.type, message: event.message.slice(0, 4000), data: event.data ?? {}, attempt: event.attempt ?? 0, externalId: event.externalId, createdAt: event.createdAt })
    .onConflictDoNothing()
    .returning({ id: fineTuningEvents.id });
  return rows.length > 0;
}

type MetricValues = Partial<Pick<MetricRow, 'epoch' | 'trainLoss' | 'evalLoss' | 'learningRate' | 'gradNorm' | 'tokensPerSecond'>>;

/** One step's numbers; a step seen again (after a resume) takes the newest values. */
export async function upsertMetrics(tx: Tx, jobId: string, step: number, values: MetricValues): Promise<void> {
  const set = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  await tx
    .insert(fineTuningMetrics)
    .values({ jobId, step, ...set })
    .onConflictDoUpdate({ target: [fineTuningMetrics.jobId, fineTuningMetrics.step], set: { ...set, recordedAt: new Date() } });
}

export async function upsertCheckpoint(tx: Tx, jobId: string, checkpoint: { step: number; path: string; isBest: boolean; metrics: Record<string, number | null> }): Promise<void> {
  if (checkpoint.isBest) await tx.update(fineTuningCheckpoints).set({ isBest: false }).where(and(eq(fineTuningCheckpoints.jobId, jobId), ne(fineTuningCheckpoints.step, checkpoint.step)));
  await tx
    .insert(fineTuningCheckpoints)
    .values({ jobId, ...checkpoint })
    .onConflictDoUpdate({ target: [fineTuningCheckpoints.jobId, fineTuningCheckpoints.step], set: { path: checkpoint.path, isBest: checkpoint.isBest, metrics: checkpoint.metrics, createdAt: new Date() } });
}

/** Merges numbers into the job's progress (jsonb ||), so concurrent fields never erase each other. */
async function mergeProgress(tx: Tx, jobId: string, progress: Record<string, unknown>): Promise<void> {
  await tx
    .update(fineTuningJobs)
    .set({ progress: sql`${fineTuningJobs.progress} || ${JSON.stringify(progress)}::jsonb`, heartbeatAt: new Date() })
    .where(eq(fineTuningJobs.id, jobId));
}

/** Stores a worker event and what follows from it: metrics, progress, checkpoints. */
export async function applyWorkerEvent(tx: Tx, jobId: string, event: WorkerEvent, attempt: number): Promise<void> {
  const { level, message } = describeEvent(event);
  const { type, time, ...data } = event;
  const createdAt = time && !Number.isNaN(Date.parse(time)) ? new Date(time) : undefined;
  await recordEvent(tx, jobId, { level, type, message, data, attempt, createdAt });
  // A sweep's trials each count steps from 0; their curves live in the events, not the step table.
  if (event.trial !== undefined) return;
  switch (event.type) {
    case 'started':
      await mergeProgress(tx, jobId, { totalSteps: event.total_steps, resumedFromStep: event.resumed_from_step, step: event.resumed_from_step });
      break;
    case 'progress':
      await upsertMetrics(tx, jobId, event.step, { epoch: event.epoch, trainLoss: event.loss, learningRate: event.learning_rate, gradNorm: event.grad_norm, tokensPerSecond: event.tokens_per_second });
      await mergeProgress(tx, jobId, { step: event.step, totalSteps: event.total_steps, epoch: event.epoch, loss: event.loss, etaSeconds: event.eta_seconds, tokensSeen: event.tokens_seen });
      break;
    case 'eval':
      await upsertMetrics(tx, jobId, event.step, { epoch: event.epoch, evalLoss: event.eval_loss });
      await mergeProgress(tx, jobId, { evalLoss: event.eval_loss, bestEvalLoss: event.best_eval_loss });
      break;
    case 'checkpoint': {
      const [row] = await tx.select().from(fineTuningMetrics).where(and(eq(fineTuningMetrics.jobId, jobId), eq(fineTuningMetrics.step, event.step)));
      await upsertCheckpoint(tx, jobId, { step: event.step, path: event.path, isBest: event.is_best, metrics: { step: event.step, train_loss: row?.trainLoss ?? null, valid_loss: row?.evalLoss ?? null } });
      break;
    }
    default:
      break;
  }
}

/** Newest first, like OpenAI's list: `after` is the id of the last event of the previous page. */
export async function listEvents(db: Tx, jobId: string, options: { after?: number; limit: number }): Promise<{ rows: JobEvent[]; hasMore: boolean }> {
  const rows = await db
    .select()
    .from(fineTuningEvents)
    .where(and(eq(fineTuningEvents.jobId, jobId), options.after !== undefined ? lt(fineTuningEvents.id, options.after) : undefined))
    .orderBy(desc(fineTuningEvents.id))
    .limit(options.limit + 1);
  return { rows: rows.slice(0, options.limit), hasMore: rows.length > options.limit };
}

/** Oldest first, after `sinceId`: what a live stream sends next. */
export async function eventsSince(db: Tx, jobId: string, sinceId: number, limit = 500): Promise<JobEvent[]> {
  return db
    .select()
    .from(fineTuningEvents)
    .where(and(eq(fineTuningEvents.jobId, jobId), gt(fineTuningEvents.id, sinceId)))
    .orderBy(asc(fineTuningEvents.id))
    .limit(limit);
}

/** Highest step first, like OpenAI; `after` is a checkpoint id of the previous page. */
export async function listCheckpoints(db: Tx, jobId: string, options: { after?: string; limit: number }): Promise<{ rows: Checkpoint[]; hasMore: boolean }> {
  const all = await db.select().from(fineTuningCheckpoints).where(eq(fineTuningCheckpoints.jobId, jobId)).orderBy(desc(fineTuningCheckpoints.step));
  const start = options.after ? all.findIndex((row) => row.id === options.after) + 1 : 0;
  const rows = all.slice(start, start + options.limit);
  return { rows, hasMore: start + options.limit < all.length };
}

export async function listMetrics(db: Tx, jobId: string): Promise<MetricRow[]> {
  return db.select().from(fineTuningMetrics).where(eq(fineTuningMetrics.jobId, jobId)).orderBy(asc(fineTuningMetrics.step));
}
