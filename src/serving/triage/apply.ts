/**
 * One triage per ticket: the model's labels become tags (intent, language), the priority and Case
 * fields, written only when the answer's confidence reaches TRIAGE_MIN_CONFIDENCE and only where an
 * agent has set nothing (the vendor actions decide what is "set"). The drafts row (task 'triage')
 * holds the labels, the confidence and what was applied or left alone.
 * Same locking and failure rules as drafts/generate.ts.
 */
import type { Conversation, TriageChange } from '../../../integrations/types.ts';
import { ModelRequestError, ModelUnavailableError, type ChatMessage } from '../../models/inference/client.ts';
import { modelForTicket } from '../../models/registry/registry.ts';
import { parseTriageAnswer } from '../answers.ts';
import { isFinalVendorError, writeBackAttempt, type TicketJob, type WriteBackDeps } from '../drafts/attempt.ts';
import { draftModelUnavailable } from '../drafts/metrics.ts';
import type { DraftRow } from '../drafts/record.ts';
import { NothingToPromptError, triagePrompt } from '../../datasets/prompts/prompt.ts';
import { knownPeopleOf } from '../../datasets/steps/scrub.ts';
import { ERASED_REQUESTER, requesterSuppressed } from '../../gdpr/suppression.ts';
import { isClosed, promptSettingsForModel } from '../writeback.ts';
import { vocabularyOf, withinVocabulary } from './vocabulary.ts';

const MAX_TOKENS = 256;

/** Tag text: lowercase words joined by "_" (Zendesk splits tags on spaces). */
const slug = (value: string) => value.trim().toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '_').replace(/^_+|_+$/g, '').slice(0, 60);

export function triageChange(labels: Record<string, string>, confidence: number): TriageChange {
  const tags: string[] = [];
  if (labels.intent) tags.push(`intent_${slug(labels.intent)}`);
  if (labels.language) tags.push(`lang_${slug(labels.language)}`);
  const fields: Record<string, string> = { confidence: confidence.toFixed(2) };
  if (labels.intent) fields.intent = labels.intent;
  if (labels.category) fields.category = labels.category;
  return { tags, ...(labels.priority ? { priority: labels.priority } : {}), fields };
}

export async function applyTriage(deps: WriteBackDeps, job: TicketJob, signal?: AbortSignal): Promise<DraftRow | null> {
  const { database } = deps;
  return writeBackAttempt(deps, job, 'triage', async ({ tx, connection, writeBack, ticketKey: key, record }) => {
    let conversation: Conversation;
    try {
      conversation = await writeBack.fetchTicket(job.sourceId, signal);
    } catch (error) {
      if (isFinalVendorError(error)) return record({ status: 'failed', reason: error.message });
      throw error;
    }
    if (await requesterSuppressed(tx, connection.id, conversation)) return record({ status: 'skipped', reason: ERASED_REQUESTER });
    if (isClosed(conversation)) return record({ status: 'skipped', reason: `ticket is ${conversation.status ?? 'closed'}` });

    const choice = await modelForTicket(database.db, 'triage', key);
    if (!choice) return record({ status: 'skipped', reason: 'no production model for the triage task' });
    const chosen = { modelId: choice.model.id, arm: choice.arm, abTestId: choice.abTestId };

    const { systemPrompt, context } = await promptSettingsForModel(database.db, choice.model, 'triage');
    let prompt: ChatMessage[];
    try {
      prompt = triagePrompt({ conversation, systemPrompt, context });
    } catch (error) {
      if (error instanceof NothingToPromptError) return record({ ...chosen, status: 'skipped', reason: error.message });
      throw error;
    }
    let answer: string;
    try {
      answer = (await deps.inference.complete(choice.model, prompt, { maxTokens: MAX_TOKENS, json: true, knownPeople: knownPeopleOf(conversation), ...(signal ? { signal } : {}) })).text;
    } catch (error) {
      // The server refused the request itself (unknown model, bad adapter): the same request cannot succeed later.
      if (error instanceof ModelRequestError) return record({ ...chosen, status: 'failed', reason: `model refused the request: ${error.message}` });
      if (!(error instanceof ModelUnavailableError)) throw error;
      draftModelUnavailable.inc({ task: 'triage' });
      return record({ ...chosen, status: 'failed', reason: `model unavailable, will retry: ${error.message}` }, error);
    }
    const answered = parseTriageAnswer(answer);
    if (!answered) return record({ ...chosen, status: 'skipped', reason: 'the model gave no valid triage answer' });
    const { kept, dropped } = withinVocabulary(answered.labels, await vocabularyOf(database.db, choice.model.datasetVersionId));
    const parsed = { ...answered, labels: kept };
    const confidence = parsed.confidence;
    const summary = { labels: parsed.labels, confidence, ...(dropped.length ? { dropped } : {}) };
    if (!Object.keys(kept).length) return record({ ...chosen, status: 'skipped', confidence, text: JSON.stringify(summary), reason: `no label from the model's vocabulary (dropped: ${dropped.join(', ')})` });
    if (confidence === null || confidence < deps.config.TRIAGE_MIN_CONFIDENCE) {
      return record({ ...chosen, status: 'skipped', confidence, text: JSON.stringify(summary), reason: `confidence ${confidence ?? 'unknown'} below TRIAGE_MIN_CONFIDENCE ${deps.config.TRIAGE_MIN_CONFIDENCE}` });
    }

    let outcome: { applied: string[]; skipped: string[] };
    try {
      outcome = await writeBack.applyTriage(job.sourceId, triageChange(parsed.labels, confidence), signal);
    } catch (error) {
      if (isFinalVendorError(error)) return record({ ...chosen, status: 'failed', confidence, text: JSON.stringify(summary), reason: error.message });
      throw error;
    }
    const text = JSON.stringify({ ...summary, ...outcome });
    if (!outcome.applied.length) return record({ ...chosen, status: 'skipped', confidence, text, reason: 'nothing to change: every field was already set' });
    return record({ ...chosen, status: 'posted', confidence, text });
  });
}
