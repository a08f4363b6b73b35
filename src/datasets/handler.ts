/**
 * The `dataset.build` job. Builds are idempotent (a retry starts the version over), so a transient
 * failure is thrown for pg-boss to retry; a permanent one, or the last attempt, fails the version
 * with a message for people.
 */
import type { HubDeps } from '../deps.ts';
import type { JobHandler } from '../queue/queue.ts';
import { QUEUE_OPTIONS } from '../queue/queue.ts';
import { buildVersion, failVersion, PermanentBuildError, requeueVersion } from './build.ts';

/** pg-boss's retry limit for this queue (queue.ts creates queues with 3 unless QUEUE_OPTIONS says otherwise). */
const RETRY_LIMIT = QUEUE_OPTIONS['dataset.build']?.retryLimit ?? 3;

export function datasetBuildHandler(deps: HubDeps): JobHandler<'dataset.build'> {
  const store = deps.artifacts;
  const log = deps.log.child({ module: 'datasets' });
  return async (payload, job) => {
    try {
      await buildVersion({ database: deps.database, store, log }, payload.datasetVersionId, { signal: job.signal });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof PermanentBuildError || job.retryCount >= RETRY_LIMIT) {
        await failVersion(deps.database, payload.datasetVersionId, message);
        log.warn({ versionId: payload.datasetVersionId, err: error }, 'dataset build failed');
        return;
      }
      await requeueVersion(deps.database, payload.datasetVersionId);
      throw error;
    }
  };
}
