/**
 * Prompts for live tickets, built exactly like the training examples of src/datasets/steps/extract.ts
 * (same turns, same system prompt, same "Subject:" prefix, same context window) from the same
 * functions, so the model sees at serving time what it saw in training. Pass the model's dataset
 * config `context` (and a scrubbing `texts`, if its data was scrubbed) to match its training
 * exactly; without them the dataset defaults and the raw texts are used.
 *
 * Retrieved examples are the one addition: a short "Similar resolved conversations" block at the
 * end of the system message, capped in length so it never crowds out the ticket itself.
 */
import { DatasetConfigSchema, type DatasetConfig } from '../config.ts';
import { triageMessageIndex } from '../steps/extract.ts';
import { subjectPrefix, turnContent, turnsOf, windowStart, type TurnSource } from '../steps/turns.ts';
import type { ConversationTexts } from '../steps/scrub.ts';
import type { ChatMessage } from '../types.ts';
import type { RetrievedExample } from './retrieval.ts';

/** What a prompt reads of a conversation: integrations/types.ts Conversation and a harvested one both fit. */
export type PromptConversation = TurnSource & { subject: string | null };
type Context = DatasetConfig['context'];

export interface PromptInput {
  conversation: PromptConversation;
  systemPrompt: string;
  /** The model's dataset config context (turn window, subject, notes, bot messages). Default: the dataset defaults. */
  context?: Context;
  /** The texts as the model's training data had them (e.g. scrubbed). Default: raw. */
  texts?: Pick<ConversationTexts, 'subject' | 'body'>;
}

/** The conversation has nothing to answer or classify (no customer message in the window). */
export class NothingToPromptError extends Error {
  override name = 'NothingToPromptError';
}

const DEFAULT_CONTEXT: Context = DatasetConfigSchema.parse({}).context;
export const EXAMPLE_LIMITS = { examples: 3, questionChars: 400, answerChars: 600, totalChars: 2_400 } as const;

function rawTexts(conversation: PromptConversation): Pick<ConversationTexts, 'subject' | 'body'> {
  return { subject: () => conversation.subject ?? '', body: (index) => conversation.messages[index]?.body ?? '' };
}

const cut = (text: string, max: number) => {
  const clean = text.trim().replace(/\n{3,}/g, '\n\n');
  return clean.length <= max ? clean : `${clean.slice(0, max - 1).trimEnd()}…`;
};

/** The system prompt with the retrieved examples appended (none: the system prompt alone, as in training). */
export function withExamples(systemPrompt: string, examples: RetrievedExample[] = []): string {
  const blocks: string[] = [];
  let total = 0;
  for (const example of examples.slice(0, EXAMPLE_LIMITS.examples)) {
    const block = `Customer: ${cut(example.question, EXAMPLE_LIMITS.questionChars)}\nAgent: ${cut(example.answer, EXAMPLE_LIMITS.answerChars)}`;
    if (total + block.length > EXAMPLE_LIMITS.totalChars) break;
    blocks.push(block);
    total += block.length;
  }
  if (blocks.length === 0) return systemPrompt;
  return `${systemPrompt}\n\nSimilar resolved conversations (for reference; answer the current customer):\n\n${blocks.join('\n\n---\n\n')}`;
}

/** Whether the conversation waits for an agent: its last customer or agent turn is the customer's (training drafts only those). */
export function awaitsReply(conversation: PromptConversation, context: Context = DEFAULT_CONTEXT): boolean {
  return turnsOf(conversation, { context }).findLast((turn) => turn.role !== 'system')?.role === 'user';
}

/** The next agent reply's prompt: the system prompt, then the conversation's turns in the training window. */
export function replyPrompt(input: PromptInput & { examples?: RetrievedExample[] }): ChatMessage[] {
  const context = input.context ?? DEFAULT_CONTEXT;
  const texts = input.texts ?? rawTexts(input.conversation);
  const turns = turnsOf(input.conversation, { context });
  const end = turns.length;
  const start = windowStart(turns, end, context.maxTurns);
  if (start >= end) throw new NothingToPromptError('the conversation has no customer message to reply to');
  const firstUser = turns.findIndex((turn) => turn.role === 'user');
  const messages: ChatMessage[] = [{ role: 'system', content: withExamples(input.systemPrompt, input.examples) }];
  for (let i = start; i < end; i++) {
    const turn = turns[i];
    if (turn) messages.push({ role: turn.role, content: turnContent(turn, i, firstUser, input.conversation, { context }, texts) });
  }
  return messages;
}

/** The triage prompt: the system prompt and the subject with the first public customer message. */
export function triagePrompt(input: PromptInput): ChatMessage[] {
  const context = input.context ?? DEFAULT_CONTEXT;
  const texts = input.texts ?? rawTexts(input.conversation);
  const index = triageMessageIndex(input.conversation);
  if (index < 0) throw new NothingToPromptError('the conversation has no public customer message to classify');
  return [
    { role: 'system', content: input.systemPrompt },
    { role: 'user', content: `${subjectPrefix(input.conversation, { context }, texts)}${texts.body(index)}` },
  ];
}

/** The text to search similar conversations with: the subject and the last customer turn. */
export function retrievalText(conversation: PromptConversation, context: Context = DEFAULT_CONTEXT): string {
  const turns = turnsOf(conversation, { context });
  const last = turns.findLast((turn) => turn.role === 'user');
  const body = last ? last.indexes.map((i) => conversation.messages[i]?.body ?? '').join('\n\n') : '';
  return [conversation.subject ?? '', body].filter((part) => part.trim()).join('\n');
}
