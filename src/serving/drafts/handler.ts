/** `draft.generate`: one draft reply per ticket (generate.ts); a thrown error makes pg-boss retry. */
import type { HubDeps } from '../../deps.ts';
import { createInferenceClient } from '../../models/inference/client.ts';
import type { JobHandler } from '../../queue/queue.ts';
import { generateDraft } from './generate.ts';

export function draftGenerateHandler(deps: HubDeps): JobHandler<'draft.generate'> {
  const log = deps.log.child({ module: 'drafts' });
  const inference = createInferenceClient({ config: deps.config, log });
  return async (payload, job) => {
    await generateDraft({ ...deps, log, inference }, payload, job.signal);
  };
}
