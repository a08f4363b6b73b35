/**
 * The `harvest.run` job: executes a run, or (from a connection's cron schedule) creates one.
 * pg-boss retries a thrown error; the retry resumes from the last committed cursor.
 */
import type { HubDeps } from '../deps.ts';
import type { JobHandler } from '../queue/queue.ts';
import { QUEUE_OPTIONS } from '../queue/queue.ts';
import { executeRun } from './execute.ts';
import { createRun } from './runs.ts';
import type { OnBatchStored } from './stored.ts';

export function harvestRunHandler(deps: HubDeps & { batchSize: number; onStored: OnBatchStored }): JobHandler<'harvest.run'> {
  const retryLimit = QUEUE_OPTIONS['harvest.run']?.retryLimit ?? 0;
  return async (payload, job) => {
    if ('connectionId' in payload) {
      const { run, existing } = await createRun(deps.database.db, payload.connectionId, 'schedule', deps.queue);
      deps.log.info({ harvestId: run.id, existing }, existing ? 'scheduled harvest skipped: one is already active' : 'scheduled harvest queued');
      return;
    }
    await executeRun(deps, payload.harvestId, { signal: job.signal, lastAttempt: job.retryCount >= retryLimit });
  };
}
