/**
 * The `finetune.train` job: runs one fine-tuning job on its backend. pg-boss retries a thrown error
 * (a crash, a shutdown, a transient failure); the retry resumes: the local worker from its last
 * checkpoint, the OpenAI backend by following the provider's job it already created. A job whose
 * last attempt died with its process is failed by a periodic sweep (reconcile.ts).
 */
import { eq } from 'drizzle-orm';
import { fineTuningJobs } from '../db/schema/index.ts';
import type { HubDeps } from '../deps.ts';
import { QUEUE_OPTIONS, type JobHandler } from '../queue/queue.ts';
import { runLocalJob } from './worker/runner.ts';
import { openaiBackendFor, runOpenAIJob } from './openai/runner.ts';
import { failLostJobs } from './reconcile.ts';
import { runClassifierJob } from './classifier/runner.ts';

/** How often a process that runs fine-tuning looks for jobs whose runner died on its last attempt. */
const LOST_JOB_SWEEP_MS = 60_000;

export function fineTuneHandler(deps: HubDeps): JobHandler<'finetune.train'> {
  const retryLimit = QUEUE_OPTIONS['finetune.train']?.retryLimit ?? 0;
  const store = deps.artifacts;
  const sweep = () => failLostJobs(deps.database, deps.queue, deps.log).catch((error: unknown) => deps.log.warn({ err: error }, 'lost fine-tuning job sweep failed'));
  // unref: the sweep never holds the process open at shutdown.
  setInterval(sweep, LOST_JOB_SWEEP_MS).unref();
  return async (payload, job) => {
    const [row] = await deps.database.db.select({ backend: fineTuningJobs.backend, method: fineTuningJobs.method }).from(fineTuningJobs).where(eq(fineTuningJobs.id, payload.fineTuningJobId));
    if (!row) return; // deleted meanwhile
    const options = { signal: job.signal, lastAttempt: job.retryCount >= retryLimit };
    const runner = { ...deps, store };
    if (row.method === 'classifier') await runClassifierJob(runner, payload.fineTuningJobId);
    else if (row.backend === 'openai') await runOpenAIJob({ ...runner, backend: openaiBackendFor(deps.config) }, payload.fineTuningJobId, options);
    else await runLocalJob(runner, payload.fineTuningJobId, options);
  };
}
