/**
 * One draft reply for one ticket, posted as an internal note, at most once:
 * connection → ticket (skip solved/closed, or a ticket that already has our note) → model for the
 * ticket (production, or the A/B arm) → prompt with similar resolved conversations → completion →
 * note with a marker → drafts row.
 *
 * The whole attempt holds a per-ticket advisory lock (attempt.ts), so two jobs for one ticket (a
 * webhook and a batch, or a replay) run one after the other and the second finds the first one's note.
 * Failures: an unknown ticket or refused credentials are recorded as failed and the job ends (a
 * retry cannot help); a vendor 429/5xx that outlasts the shared retry, and a model server that does
 * not answer, throw so pg-boss retries the job later — the drafts row says why meanwhile.
 */
import type { Conversation } from '../../../integrations/types.ts';
import { storeFetchedConversation } from '../../harvest/store-batch.ts';
import { reactToHarvest } from '../on-harvest.ts';
import { ModelRequestError, ModelUnavailableError, type ChatMessage } from '../../models/inference/client.ts';
import { modelForTicket } from '../../models/registry/registry.ts';
import { awaitsReply, NothingToPromptError, replyPrompt, retrievalText } from '../../datasets/prompts/prompt.ts';
import { examplesForPrompt } from '../../datasets/prompts/retrieved-examples.ts';
import { knownPeopleOf } from '../../datasets/steps/scrub.ts';
import { ERASED_REQUESTER, requesterSuppressed } from '../../gdpr/suppression.ts';
import { isClosed, markerFor, noteWithMarker, promptSettingsForModel, signedDraft } from '../writeback.ts';
import { isFinalVendorError, writeBackAttempt, type TicketJob, type WriteBackDeps } from './attempt.ts';
import { draftModelUnavailable } from './metrics.ts';
import type { DraftRow } from './record.ts';

/** Similar resolved conversations shown to the model as examples. */
const EXAMPLES = 3;
const MAX_TOKENS = 512;

export async function generateDraft(deps: WriteBackDeps, job: TicketJob, signal?: AbortSignal): Promise<DraftRow | null> {
  const { database } = deps;
  return writeBackAttempt(deps, job, 'reply', async ({ tx, connection, writeBack, ticketKey: key, existing, record }) => {
    const marker = markerFor(connection.id, job.sourceId, 'reply');
    let conversation: Conversation;
    try {
      conversation = await writeBack.fetchTicket(job.sourceId, signal);
    } catch (error) {
      if (isFinalVendorError(error)) return record({ status: 'failed', reason: error.message });
      throw error;
    }
    // An erased subject (GDPR) stays erased: their ticket is neither stored again nor drafted for.
    if (await requesterSuppressed(tx, connection.id, conversation)) return record({ status: 'skipped', reason: ERASED_REQUESTER });
    // Stored like a harvest would: a webhook's new messages get their compliance scan now.
    await storeFetchedConversation(tx, connection.id, conversation, deps.queue ? reactToHarvest(deps.queue, deps.config) : null);
    // A note from an earlier attempt whose row was lost (crash after posting): adopt it.
    const posted = noteWithMarker(conversation, marker);
    if (posted) return record({ status: 'posted', noteId: posted, reason: 'found on the ticket from an earlier attempt', modelId: existing?.modelId ?? null, arm: existing?.arm ?? null, abTestId: existing?.abTestId ?? null });
    if (isClosed(conversation)) return record({ status: 'skipped', reason: `ticket is ${conversation.status ?? 'closed'}` });

    const choice = await modelForTicket(database.db, 'reply', key);
    if (!choice) return record({ status: 'skipped', reason: 'no production model for the reply task' });
    const chosen = { modelId: choice.model.id, arm: choice.arm, abTestId: choice.abTestId };

    // The same turns, system prompt and window as the model's training examples (src/datasets/prompts/prompt.ts).
    const { systemPrompt, context } = await promptSettingsForModel(database.db, choice.model, 'reply');
    if (!awaitsReply(conversation, context)) return record({ ...chosen, status: 'skipped', reason: 'the last message is not the customer\'s: nothing to answer' });
    const knownPeople = knownPeopleOf(conversation);
    // Same connection only, scrubbed: another customer's tickets never reach this prompt as they were written.
    const examples = deps.config.RETRIEVAL_TASKS.includes('reply')
      ? await examplesForPrompt(database.db, { connectionIds: [connection.id], text: retrievalText(conversation, context), excludeSource: { source: conversation.source, sourceId: conversation.sourceId }, limit: EXAMPLES }, knownPeople)
      : [];
    let prompt: ChatMessage[];
    try {
      prompt = replyPrompt({ conversation, systemPrompt, context, examples });
    } catch (error) {
      if (error instanceof NothingToPromptError) return record({ ...chosen, status: 'skipped', reason: error.message });
      throw error;
    }
    let text: string;
    try {
      const completion = await deps.inference.complete(choice.model, prompt, { maxTokens: MAX_TOKENS, knownPeople, ...(signal ? { signal } : {}) });
      text = completion.text.trim();
    } catch (error) {
      // The server refused the request itself (unknown model, bad adapter): the same request cannot succeed later.
      if (error instanceof ModelRequestError) return record({ ...chosen, status: 'failed', reason: `model refused the request: ${error.message}` });
      if (!(error instanceof ModelUnavailableError)) throw error;
      draftModelUnavailable.inc({ task: 'reply' });
      return record({ ...chosen, status: 'failed', reason: `model unavailable, will retry: ${error.message}` }, error);
    }
    if (!text) return record({ ...chosen, status: 'skipped', reason: 'the model answered with an empty draft' });

    let noteId: string;
    try {
      ({ noteId } = await writeBack.postInternalNote(job.sourceId, signedDraft(text, choice.model.id, marker), marker, signal));
    } catch (error) {
      if (isFinalVendorError(error)) return record({ ...chosen, status: 'failed', text, reason: error.message });
      throw error;
    }
    return record({ ...chosen, status: 'posted', text, noteId });
  });
}
