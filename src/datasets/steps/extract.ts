/**
 * Step 1: chat examples from one conversation, by task.
 * - reply: the system prompt, the conversation up to each PUBLIC agent reply, and that reply as the
 *   assistant target. Earlier agent replies are context (weight 0). Internal notes and bot/system
 *   messages are never targets; they are context only when the config asks for it.
 * - triage: the subject and first customer message → the labels as JSON.
 * - compliance: messages with alerts a person decided → a JSON verdict (extract-compliance.ts).
 * - preference: nothing yet (no drafts exist to learn from).
 * Texts come through `texts`, which scrubs them (scrub.ts); extract only decides which texts to use.
 */
import { labelsFor, systemPromptFor, type DatasetConfig, type Task } from '../config.ts';
import { extractCompliance } from './extract-compliance.ts';
import { labelExample } from './label-example.ts';
import { resolveLabel } from '../labels.ts';
import type { ConversationTexts } from './scrub.ts';
import { increment, type ChatMessage, type Counts, type Example, type SourceConversation, type SourceMessage } from '../types.ts';

export interface ExtractResult {
  examples: Example[];
  /** Conversations (or candidate targets) that gave no example, by reason. */
  skipped: Counts;
}

/** Why a task yields no examples at all, for the manifest. */
export const EMPTY_TASK_NOTES: Partial<Record<Task, string>> = {
  preference: 'preference pairs are made from drafts and what the agent finally sent; none exist yet, so this version is empty',
};

export interface Turn {
  role: 'user' | 'assistant' | 'system';
  kind: 'customer' | 'agent' | 'note' | 'bot';
  indexes: number[];
}

export const SYSTEM_PREFIX = { note: 'Internal note (not visible to the customer):\n', bot: 'Automated message:\n' } as const;

/** What turnsOf reads of a conversation: a harvested one, or one serving just fetched (src/datasets/prompts/prompt.ts). */
export type TurnSource = { messages: ReadonlyArray<Pick<SourceMessage, 'authorRole' | 'visibility' | 'body'>> };

/** Messages as turns: consecutive customer (or agent) messages merge into one turn. */
export function turnsOf(conversation: TurnSource, config: Pick<DatasetConfig, 'context'>): Turn[] {
  const turns: Turn[] = [];
  conversation.messages.forEach((message, index) => {
    let kind: Turn['kind'] | null;
    if (message.visibility === 'internal') kind = config.context.internalNotes ? 'note' : null;
    else if (message.authorRole === 'customer') kind = 'customer';
    else if (message.authorRole === 'agent') kind = 'agent';
    else kind = config.context.botMessages ? 'bot' : null;
    // An empty customer or context message adds nothing; an empty agent reply stays so filter can count it.
    if (kind === null || (kind !== 'agent' && message.body.trim() === '')) return;
    const role = kind === 'customer' ? 'user' : kind === 'agent' ? 'assistant' : 'system';
    const last = turns.at(-1);
    if (last && last.kind === kind && role !== 'system') last.indexes.push(index);
    else turns.push({ role, kind, indexes: [index] });
  });
  return turns;
}

export function subjectPrefix(conversation: { subject: string | null }, config: Pick<DatasetConfig, 'context'>, texts: Pick<ConversationTexts, 'subject'>): string {
  if (!config.context.subject || !conversation.subject?.trim()) return '';
  return `Subject: ${texts.subject()}\n\n`;
}

/** The first turn of the context window before turn `t`: at most maxTurns back, starting with a customer turn. */
export function windowStart(turns: Turn[], t: number, maxTurns: number): number {
  let start = Math.max(0, t - maxTurns);
  while (start < t && turns[start]?.role !== 'user') start++;
  return start;
}

/** A turn's text as the model sees it: notes and bot messages prefixed, the first customer turn after the subject. */
export function turnContent(turn: Turn, index: number, firstUser: number, conversation: { subject: string | null }, config: Pick<DatasetConfig, 'context'>, texts: Pick<ConversationTexts, 'subject' | 'body'>): string {
  const body = turn.indexes.map((i) => texts.body(i)).join('\n\n');
  if (turn.role === 'system') return `${SYSTEM_PREFIX[turn.kind as 'note' | 'bot']}${body}`;
  return index === firstUser ? `${subjectPrefix(conversation, config, texts)}${body}` : body;
}

function extractReplies(conversation: SourceConversation, config: DatasetConfig, texts: ConversationTexts, groupKey: string): ExtractResult {
  const skipped: Counts = {};
  const examples: Example[] = [];
  const turns = turnsOf(conversation, config);
  const firstUser = turns.findIndex((turn) => turn.role === 'user');
  const content = (turn: Turn, index: number): string => turnContent(turn, index, firstUser, conversation, config, texts);
  const prompt: ChatMessage = { role: 'system', content: systemPromptFor('reply', config) };

  turns.forEach((target, t) => {
    if (target.role !== 'assistant') return;
    const start = windowStart(turns, t, config.context.maxTurns);
    if (start >= t) return increment(skipped, 'no_customer_message');
    const previous = turns.slice(start, t).findLast((turn) => turn.role !== 'system');
    if (previous?.role !== 'user') return increment(skipped, 'agent_follow_up');

    const messages: ChatMessage[] = [prompt];
    const messageIds: number[] = [];
    let lastUser = '';
    for (let i = start; i < t; i++) {
      const turn = turns[i] as Turn;
      const text = content(turn, i);
      messages.push(turn.role === 'assistant' ? { role: 'assistant', content: text, weight: 0 } : { role: turn.role, content: text });
      if (turn.role === 'user') lastUser = text;
      for (const index of turn.indexes) messageIds.push((conversation.messages[index] as { id: number }).id);
    }
    const reply = content(target, t);
    messages.push({ role: 'assistant', content: reply, weight: 1 });
    for (const index of target.indexes) messageIds.push((conversation.messages[index] as { id: number }).id);
    examples.push({ messages, conversationId: conversation.id, messageIds, groupKey, dedupText: `${lastUser}\n${reply}`, target: reply, lastUser });
  });
  if (turns.every((turn) => turn.role !== 'assistant')) increment(skipped, 'no_agent_reply');
  return { examples, skipped };
}

/** The message triage classifies: the first public, non-empty customer message (-1: none). */
export function triageMessageIndex(conversation: TurnSource): number {
  return conversation.messages.findIndex((m) => m.authorRole === 'customer' && m.visibility === 'public' && m.body.trim() !== '');
}

function extractTriage(conversation: SourceConversation, config: DatasetConfig, texts: ConversationTexts, groupKey: string): ExtractResult {
  const index = triageMessageIndex(conversation);
  if (index < 0) return { examples: [], skipped: { no_customer_message: 1 } };
  const message = conversation.messages[index] as SourceConversation['messages'][number];
  const labels: Record<string, string> = {};
  for (const [name, source] of labelsFor(config)) {
    const label = resolveLabel(source, conversation, message.body);
    if (label === null) return { examples: [], skipped: { [`missing_label_${name}`]: 1 } };
    // Custom fields can hold free text: their values are scrubbed like any other text.
    labels[name] = source.source === 'custom_field' ? texts.other(label) : label;
  }
  const body = texts.body(index);
  const user = `${subjectPrefix(conversation, config, texts)}${body}`;
  return {
    examples: [labelExample({ task: 'triage', config, user, body, answer: labels, labels, conversationId: conversation.id, messageId: message.id, groupKey })],
    skipped: {},
  };
}

export function extract(task: Task, conversation: SourceConversation, config: DatasetConfig, texts: ConversationTexts, groupKey: string): ExtractResult {
  switch (task) {
    case 'reply':
      return extractReplies(conversation, config, texts, groupKey);
    case 'triage':
      return extractTriage(conversation, config, texts, groupKey);
    case 'compliance':
      return extractCompliance(conversation, config, texts, groupKey);
    case 'preference':
      return { examples: [], skipped: {} };
  }
}
