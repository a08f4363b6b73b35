/**
 * What every runner does before and around its work: hold the job's advisory lock for the whole
 * run (two hubs never run one job, and a killed hub's lock goes with its connection), claim the
 * job, and watch it for a cancel request while it runs (heartbeat included).
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { openLockSession } from '../db/lock-session.ts';
import { fineTuningJobs } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import { cancel } from './outcomes.ts';
import { ACTIVE, type FineTuningJob, type Notifier } from './status.ts';

export class JobBusyError extends Error {
  override name = 'JobBusyError';
}

export async function withJobLock<T>(database: Database, jobId: string, log: Logger, run: () => Promise<T>): Promise<T> {
  // Its own connection, not one of the pool's, for the whole run (src/db/lock-session.ts).
  const lock = await openLockSession(database, (error) => log.warn({ err: error }, 'fine-tuning lock connection lost'));
  try {
    if (!(await lock.tryLock(`finetune:${jobId}`))) throw new JobBusyError(`fine-tuning job ${jobId} is being run by another process; this attempt will retry`);
    return await run();
  } finally {
    await lock.close();
  }
}

/**
 * Marks the job as taken by this attempt (attempts + 1, heartbeat). Null when there is nothing to
 * run: the job is finished, gone, or was cancelled (then it is moved to `cancelled` here).
 */
export async function claimJob(database: Database, notifier: Notifier, jobId: string): Promise<FineTuningJob | null> {
  const [claimed] = await database.db
    .update(fineTuningJobs)
    .set({ attempts: sql`${fineTuningJobs.attempts} + 1`, heartbeatAt: new Date() })
    .where(and(eq(fineTuningJobs.id, jobId), inArray(fineTuningJobs.status, ACTIVE), isNull(fineTuningJobs.cancelRequestedAt)))
    .returning();
  if (claimed) return claimed;
  const [job] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, jobId));
  if (job && ACTIVE.includes(job.status) && job.cancelRequestedAt) await database.db.transaction((tx) => cancel(tx, notifier, job, job.attempts));
  return null;
}

/** Calls `onCancel` once when a cancel is requested; updates the heartbeat each tick. */
export function watchForCancel(database: Database, jobId: string, everyMs: number, onCancel: () => void): () => void {
  let fired = false;
  const timer = setInterval(() => {
    database.db
      .update(fineTuningJobs)
      .set({ heartbeatAt: new Date() })
      .where(eq(fineTuningJobs.id, jobId))
      .returning({ cancelRequestedAt: fineTuningJobs.cancelRequestedAt })
      .then(([row]) => {
        if (row?.cancelRequestedAt && !fired) {
          fired = true;
          onCancel();
        }
      })
      .catch(() => undefined); // a lost connection fails the run's own writes; the watch just tries again
  }, everyMs);
  return () => clearInterval(timer);
}

export async function cancelRequested(database: Database, jobId: string): Promise<boolean> {
  const [row] = await database.db.select({ at: fineTuningJobs.cancelRequestedAt }).from(fineTuningJobs).where(eq(fineTuningJobs.id, jobId));
  return Boolean(row?.at);
}
