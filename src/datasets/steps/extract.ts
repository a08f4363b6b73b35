/**
 * Step 1: chat examples from one conversation, by task.
 * - reply: the system prompt, the conversation up to each PUBLIC agent reply, and that reply as the
 *   assistant target. Earlier agent replies are context (weight 0). Internal notes and bot/system
 *   messages are never targets; they are context only when the config asks for it.
 * - triage: the subject and first customer message → the labels as JSON.
 * - compliance: messages with alerts a person decided → a JSON verdict (extract-compliance.ts).
 * - preference: a posted draft the agent rewrote → (context, chosen = the reply sent, rejected = the
 *   draft) (extract-preference.ts).
 * Texts come through `texts`, which scrubs them (scrub.ts); extract only decides which texts to use.
 */
import { labelsFor, type DatasetConfig, type Task } from '../config.ts';
import { extractCompliance } from './extract-compliance.ts';
import { extractPreference } from './extract-preference.ts';
import { labelExample } from './label-example.ts';
import { resolveLabel } from '../labels.ts';
import type { ConversationTexts } from './scrub.ts';
import { increment, type Counts, type Example, type SourceConversation } from '../types.ts';
import { replyContext, subjectPrefix, turnContent, turnsOf, type Turn, type TurnSource } from './turns.ts';

export interface ExtractResult {
  examples: Example[];
  /** Conversations (or candidate targets) that gave no example, by reason. */
  skipped: Counts;
}

/** Why a task yields no examples at all, for the manifest (every task has a source today). */
export const EMPTY_TASK_NOTES: Partial<Record<Task, string>> = {};

function extractReplies(conversation: SourceConversation, config: DatasetConfig, texts: ConversationTexts, groupKey: string): ExtractResult {
  const skipped: Counts = {};
  const examples: Example[] = [];
  const turns = turnsOf(conversation, config);
  const firstUser = turns.findIndex((turn) => turn.role === 'user');
  const content = (turn: Turn, index: number): string => turnContent(turn, index, firstUser, conversation, config, texts);

  turns.forEach((target, t) => {
    if (target.role !== 'assistant') return;
    const context = replyContext(conversation, config, turns, t, content);
    if ('skip' in context) return increment(skipped, context.skip);
    const { messages, messageIds, lastUser } = context;
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

/**
 * Custom fields can hold free text, which is scrubbed like any other text. A value the label map
 * names, or a lower-case code such as `contact_human_agent` (a drop-down's option), is a label, not
 * text: the name tagger must not turn its words into [NAME_1].
 */
function isFreeText(label: string, values: Record<string, string> | undefined): boolean {
  if (values) return false;
  return !/^[a-z]+(?:[_-][a-z]+)+$/.test(label);
}

function extractTriage(conversation: SourceConversation, config: DatasetConfig, texts: ConversationTexts, groupKey: string): ExtractResult {
  const index = triageMessageIndex(conversation);
  if (index < 0) return { examples: [], skipped: { no_customer_message: 1 } };
  const message = conversation.messages[index] as SourceConversation['messages'][number];
  const labels: Record<string, string> = {};
  for (const [name, source] of labelsFor(config)) {
    const label = resolveLabel(source, conversation, message.body);
    if (label === null) return { examples: [], skipped: { [`missing_label_${name}`]: 1 } };
    labels[name] = source.source === 'custom_field' && isFreeText(label, source.values) ? texts.other(label) : label;
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
      return extractPreference(conversation, config, texts, groupKey);
  }
}
