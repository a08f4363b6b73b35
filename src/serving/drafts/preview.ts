/**
 * A draft that goes nowhere: the production reply model's answer to a stored conversation or to a
 * bare customer message, with the similar resolved conversations retrieval put in its prompt. For
 * `/tuneloop draft` in Slack, where a person wants to see what agents would get; nothing is posted
 * or recorded. Retrieval searches the stored conversation's own connection; a bare message has none,
 * so it searches the connections the model's dataset named (a dataset over all connections: none).
 * Retrieved texts are scrubbed (retrieved-examples.ts).
 */
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { conversations, datasets, datasetVersions, messages } from '../../db/schema/index.ts';
import { parseDatasetConfig } from '../../datasets/config.ts';
import { NothingToPromptError, replyPrompt, retrievalText, type PromptConversation } from '../../datasets/prompts/prompt.ts';
import type { RetrievedExample } from '../../datasets/prompts/retrieval.ts';
import { examplesForPrompt } from '../../datasets/prompts/retrieved-examples.ts';
import { knownPeopleOf } from '../../datasets/steps/scrub.ts';
import type { KnownPerson } from '../../datasets/pii/index.ts';
import type { InferenceClient } from '../../models/inference/client.ts';
import { productionModel } from '../../models/registry/registry.ts';
import { promptSettingsForModel } from '../writeback.ts';

const EXAMPLES = 3;
const MAX_TOKENS = 512;

export type DraftPreview =
  | { ok: true; text: string; modelId: string; sources: RetrievedExample[]; conversation: { id: number; sourceId: string; subject: string | null } | null }
  | { ok: false; reason: string };

export type PreviewInput = { conversationId: number } | { text: string };

type StoredConversation = PromptConversation & { id: number; connectionId: string; source: string; sourceId: string; knownPeople: KnownPerson[] };

async function storedConversation(db: Db, id: number): Promise<StoredConversation | null> {
  const [row] = await db.select().from(conversations).where(eq(conversations.id, id));
  if (!row) return null;
  const rows = await db.select({ authorRole: messages.authorRole, visibility: messages.visibility, body: messages.body, author: messages.author }).from(messages).where(eq(messages.conversationId, id)).orderBy(asc(messages.position));
  const knownPeople = knownPeopleOf({ requester: row.requester ?? null, assignee: row.assignee ?? null, messages: rows.map((m) => ({ author: m.author ?? null })) });
  return { id: row.id, connectionId: row.connectionId, source: row.source, sourceId: row.sourceId, subject: row.subject, messages: rows, knownPeople };
}

/** The connections the model's dataset was built from; empty when it named none (all of them). */
async function datasetConnections(db: Db, datasetVersionId: string | null): Promise<string[]> {
  if (!datasetVersionId) return [];
  const [row] = await db.select({ config: datasets.config }).from(datasetVersions).innerJoin(datasets, eq(datasets.id, datasetVersions.datasetId)).where(eq(datasetVersions.id, datasetVersionId));
  return row ? parseDatasetConfig(row.config).connections : [];
}

export async function previewDraft(deps: { db: Db; inference: InferenceClient; retrieval: boolean }, input: PreviewInput, signal?: AbortSignal): Promise<DraftPreview> {
  const model = await productionModel(deps.db, 'reply');
  if (!model) return { ok: false, reason: 'there is no production model for the reply task yet' };
  const stored = 'conversationId' in input ? await storedConversation(deps.db, input.conversationId) : null;
  if ('conversationId' in input && !stored) return { ok: false, reason: 'that conversation is gone' };
  const conversation: PromptConversation = stored ?? { subject: null, messages: [{ authorRole: 'customer', visibility: 'public', body: 'text' in input ? input.text : '' }] };
  const { systemPrompt, context } = await promptSettingsForModel(deps.db, model, 'reply');
  const connectionIds = stored ? [stored.connectionId] : await datasetConnections(deps.db, model.datasetVersionId);
  const sources = deps.retrieval
    ? await examplesForPrompt(deps.db, { connectionIds, text: retrievalText(conversation, context), limit: EXAMPLES, ...(stored ? { excludeSource: { source: stored.source, sourceId: stored.sourceId } } : {}) }, stored?.knownPeople ?? [])
    : [];
  let prompt;
  try {
    prompt = replyPrompt({ conversation, systemPrompt, context, examples: sources });
  } catch (error) {
    if (error instanceof NothingToPromptError) return { ok: false, reason: error.message };
    throw error;
  }
  const completion = await deps.inference.complete(model, prompt, { maxTokens: MAX_TOKENS, knownPeople: stored?.knownPeople ?? [], ...(signal ? { signal } : {}) });
  return { ok: true, text: completion.text.trim(), modelId: model.id, sources, conversation: stored ? { id: stored.id, sourceId: stored.sourceId, subject: stored.subject } : null };
}
