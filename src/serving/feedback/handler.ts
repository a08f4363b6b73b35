/** `draft.feedback`: compares a solved ticket's final reply with its draft (record.ts). Idempotent. */
import type { HubDeps } from '../../deps.ts';
import type { JobHandler } from '../../queue/queue.ts';
import { recordFeedback } from './record.ts';

export function draftFeedbackHandler(deps: HubDeps): JobHandler<'draft.feedback'> {
  const log = deps.log.child({ module: 'feedback' });
  return async (payload) => {
    const result = await deps.database.db.transaction((tx) => recordFeedback(tx, payload.draftId, deps.config.DRAFT_ACCEPT_SIMILARITY));
    if (result) log.info({ draftId: result.draftId, similarity: result.similarity, accepted: result.accepted }, 'draft feedback recorded');
  };
}
