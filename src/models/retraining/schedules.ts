/**
 * The schedules of model monitoring, registered at start-up (pg-boss fires each tick once however
 * many hubs run): drift checks and retraining-trigger evaluation on DRIFT_CHECK_CRON, started
 * retrainings advanced every minute (a built dataset version gets its fine-tuning job promptly),
 * and each policy's own cron trigger.
 */
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import type { Queue } from '../../queue/queue.ts';
import { listPolicies, syncPolicySchedule } from './policies.ts';

export async function scheduleModelMonitoring(db: Db, queue: Queue, config: Pick<Config, 'DRIFT_CHECK_CRON'>): Promise<void> {
  await queue.schedule('drift.check', config.DRIFT_CHECK_CRON, {}, 'all');
  await queue.schedule('retrain.evaluate', config.DRIFT_CHECK_CRON, {}, 'policies');
  await queue.schedule('retrain.evaluate', '* * * * *', { advanceOnly: true }, 'advance');
  for (const policy of await listPolicies(db)) await syncPolicySchedule(queue, policy);
}
