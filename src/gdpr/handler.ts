/**
 * The `gdpr.erase` job: one erasure by id (the API queues it), or, without an id, every pending
 * erasure and every running one whose process stopped beating (the schedule, and once at hub
 * start). A step that throws fails the job; pg-boss retries it and the erasure resumes at that step.
 */
import type { HubDeps } from '../deps.ts';
import type { JobHandler, Queue } from '../queue/queue.ts';
import { resumeErasures, runErasure, type ErasureRunDeps } from './run.ts';

export function erasureRunDeps(deps: Omit<HubDeps, 'queue'> & { queue: Queue | null }): ErasureRunDeps {
  return { database: deps.database, store: deps.artifacts, log: deps.log.child({ module: 'gdpr' }), keyring: deps.keyring, queue: deps.queue, config: deps.config };
}

export function gdprEraseHandler(deps: HubDeps): JobHandler<'gdpr.erase'> {
  const runDeps = erasureRunDeps(deps);
  return async (payload) => {
    if (payload.erasureId) await runErasure(runDeps, payload.erasureId);
    else await resumeErasures(runDeps);
  };
}

export async function scheduleErasureResume(queue: Queue): Promise<void> {
  await queue.schedule('gdpr.erase', '*/5 * * * *', {}, 'resume');
  await queue.send('gdpr.erase', {});
}
