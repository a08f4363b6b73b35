/**
 * Preference pairs from drafts: a reply draft tuneloop posted, which the agent rewrote before
 * sending (similarity below `preference.maxSimilarity`), gives one DPO pair: the conversation up to
 * the reply the agent sent (the same context a reply example has), chosen = the reply sent,
 * rejected = the draft. A draft sent as it was teaches no preference (skipped as
 * `draft_kept`); its reply is already a `reply` example like any harvested one. The sent reply is
 * the last public agent message after the draft was posted, as feedback found it
 * (src/serving/feedback/record.ts).
 */
import { preferenceSettings, type DatasetConfig } from '../config.ts';
import type { ConversationTexts } from './scrub.ts';
import { replyContext, turnContent, turnsOf, type Turn } from './turns.ts';
import { increment, type Counts, type Example, type SourceConversation } from '../types.ts';

/** The index of the message the agent sent after the draft: the last public agent message since it was posted (-1: none). */
export function sentReplyIndex(conversation: SourceConversation, postedAt: Date): number {
  // Vendors give message times in whole seconds: a reply within the draft's second counts as after it.
  const after = Math.floor(postedAt.getTime() / 1000) * 1000;
  let found = -1;
  conversation.messages.forEach((message, index) => {
    if (message.authorRole === 'agent' && message.visibility === 'public' && message.createdAt.getTime() >= after) found = index;
  });
  return found;
}

export function extractPreference(conversation: SourceConversation, config: DatasetConfig, texts: ConversationTexts, groupKey: string): { examples: Example[]; skipped: Counts } {
  const { maxSimilarity } = preferenceSettings(config);
  const skipped: Counts = {};
  const examples: Example[] = [];
  const turns = turnsOf(conversation, config);
  const firstUser = turns.findIndex((turn) => turn.role === 'user');
  const content = (turn: Turn, index: number): string => turnContent(turn, index, firstUser, conversation, config, texts);

  for (const draft of conversation.drafts ?? []) {
    if (draft.similarity >= maxSimilarity) {
      increment(skipped, 'draft_kept');
      continue;
    }
    const sent = sentReplyIndex(conversation, draft.postedAt);
    const t = turns.findIndex((turn) => turn.indexes.includes(sent));
    if (sent < 0 || t < 0) {
      increment(skipped, 'no_sent_reply');
      continue;
    }
    const context = replyContext(conversation, config, turns, t, content);
    if ('skip' in context) {
      increment(skipped, context.skip);
      continue;
    }
    const chosen = texts.body(sent);
    const rejected = texts.other(draft.text);
    const sentId = (conversation.messages[sent] as { id: number }).id;
    examples.push({
      messages: [...context.messages, { role: 'assistant', content: chosen }],
      conversationId: conversation.id,
      messageIds: [...context.messageIds, sentId],
      groupKey,
      dedupText: `${context.lastUser}\n${chosen}`,
      target: chosen,
      lastUser: context.lastUser,
      rejected,
      draftId: draft.id,
    });
  }
  if (!conversation.drafts?.length) increment(skipped, 'no_draft');
  return { examples, skipped };
}
