/** `triage.apply`: one triage per ticket (apply.ts); a thrown error makes pg-boss retry. */
import type { HubDeps } from '../../deps.ts';
import { createInferenceClient } from '../../models/inference/client.ts';
import type { JobHandler } from '../../queue/queue.ts';
import { applyTriage } from './apply.ts';

export function triageApplyHandler(deps: HubDeps): JobHandler<'triage.apply'> {
  const log = deps.log.child({ module: 'triage' });
  const inference = createInferenceClient({ config: deps.config, log });
  return async (payload, job) => {
    await applyTriage({ ...deps, log, inference }, payload, job.signal);
  };
}
