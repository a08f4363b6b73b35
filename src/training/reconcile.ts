/**
 * Jobs nobody will finish: the process running one died on its last attempt (pg-boss has no retry
 * left), so it would say `running` forever. A job counts as lost when its runner's heartbeat is
 * older than STALE_AFTER_MS and pg-boss holds no live `finetune.train` job for it (created, retry
 * or active; sent with the job id as singleton key). Lost jobs are failed with `worker_lost`.
 */
import { and, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { fineTuningJobs } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import type { Queue } from '../queue/queue.ts';
import { fail } from './outcomes.ts';
import type { Notifier } from './status.ts';

export const STALE_AFTER_MS = 2 * 60_000;

export async function failLostJobs(database: Database, queue: Queue, log: Logger, now = Date.now()): Promise<string[]> {
  const notifier: Notifier = { queue };
  const stale = await database.db
    .select()
    .from(fineTuningJobs)
    .where(and(inArray(fineTuningJobs.status, ['validating_files', 'queued', 'running']), isNotNull(fineTuningJobs.heartbeatAt), lt(fineTuningJobs.heartbeatAt, new Date(now - STALE_AFTER_MS))));
  const lost: string[] = [];
  for (const job of stale) {
    const failed = await database.db.transaction(async (tx) => {
      // Locked and checked again: a runner claiming it now refreshes the heartbeat (and waits for this lock).
      const still = await tx.execute<{ id: string }>(
        sql`SELECT id FROM fine_tuning_jobs WHERE id = ${job.id} AND status IN ('validating_files', 'queued', 'running') AND heartbeat_at < ${new Date(now - STALE_AFTER_MS)} FOR UPDATE`,
      );
      if (!still.rows.length) return null;
      const live = await tx.execute<{ live: boolean }>(sql`SELECT ${queue.openJobExists('finetune.train', { singletonKey: job.id })} AS live`);
      if (live.rows[0]?.live) return null;
      return fail(tx, notifier, job, { code: 'worker_lost', message: 'the process running this job stopped and no retry is left; start a new job', param: null }, job.attempts);
    });
    if (failed) {
      lost.push(job.id);
      log.warn({ fineTuningJobId: job.id }, 'failed a fine-tuning job whose runner is gone');
    }
  }
  return lost;
}
