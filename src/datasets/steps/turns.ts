/**
 * Conversations as turns, and the context window before a reply: shared by the reply and
 * preference extractors (extract.ts, extract-preference.ts) and by serving's prompts
 * (src/datasets/prompts/prompt.ts), so a model is asked exactly the way it was trained.
 */
import { systemPromptFor, type DatasetConfig } from '../config.ts';
import type { ConversationTexts } from './scrub.ts';
import type { ChatMessage, SourceConversation, SourceMessage } from '../types.ts';

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

/** The context of the reply in turn `t`: the system prompt and the turns before it (earlier agent replies weight 0). */
export function replyContext(
  conversation: SourceConversation,
  config: DatasetConfig,
  turns: Turn[],
  t: number,
  content: (turn: Turn, index: number) => string,
): { messages: ChatMessage[]; messageIds: number[]; lastUser: string } | { skip: string } {
  const start = windowStart(turns, t, config.context.maxTurns);
  if (start >= t) return { skip: 'no_customer_message' };
  const previous = turns.slice(start, t).findLast((turn) => turn.role !== 'system');
  if (previous?.role !== 'user') return { skip: 'agent_follow_up' };
  const messages: ChatMessage[] = [{ role: 'system', content: systemPromptFor('reply', config) }];
  const messageIds: number[] = [];
  let lastUser = '';
  for (let i = start; i < t; i++) {
    const turn = turns[i] as Turn;
    const text = content(turn, i);
    messages.push(turn.role === 'assistant' ? { role: 'assistant', content: text, weight: 0 } : { role: turn.role, content: text });
    if (turn.role === 'user') lastUser = text;
    for (const index of turn.indexes) messageIds.push((conversation.messages[index] as { id: number }).id);
  }
  return { messages, messageIds, lastUser };
}

