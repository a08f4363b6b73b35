/**
 * Compliance examples: each message with an alert a person decided becomes one example — the
 * message (with who wrote it, since policies are scoped inbound/outbound) → a JSON verdict:
 * `{"violation": true, "policy": "<id>"}` when any of its alerts was confirmed (the first one
 * confirmed names the policy), `{"violation": false, "policy": "<id>"}` when every alert on it was a
 * false positive (the policy it was wrongly flagged under: a per-policy classifier learns "does this
 * message break policy P?" from both kinds, src/training/classifier/). Messages nobody reviewed are
 * left out: no judgement, no label.
 * Serving asks the compliance model with the same user text (complianceUserText).
 */
import type { DatasetConfig } from '../config.ts';
import { labelExample } from './label-example.ts';
import type { ConversationTexts } from './scrub.ts';
import type { Example, SourceConversation, SourceMessage } from '../types.ts';

const AUTHOR: Record<SourceMessage['authorRole'], string> = { customer: 'Customer', agent: 'Agent', bot: 'Bot', system: 'System' };

/** The user turn of a compliance example: who wrote it, where it went, and the text. */
export function complianceUserText(message: Pick<SourceMessage, 'authorRole' | 'visibility'>, body: string): string {
  const where = message.visibility === 'internal' ? 'internal note' : 'public message';
  return `${AUTHOR[message.authorRole]} ${where}:\n${body}`;
}

export function complianceVerdict(alerts: NonNullable<SourceMessage['reviewedAlerts']>): { violation: boolean; policy: string | null } | null {
  if (!alerts.length) return null;
  const confirmed = alerts.find((alert) => alert.label === 'violation');
  return confirmed ? { violation: true, policy: confirmed.policy } : { violation: false, policy: alerts[0]?.policy ?? null };
}

export function extractCompliance(conversation: SourceConversation, config: DatasetConfig, texts: ConversationTexts, groupKey: string): { examples: Example[]; skipped: Record<string, number> } {
  const examples: Example[] = [];
  conversation.messages.forEach((message, index) => {
    const verdict = complianceVerdict(message.reviewedAlerts ?? []);
    if (!verdict || !message.body.trim()) return;
    const body = texts.body(index);
    const labels = { violation: String(verdict.violation), policy: verdict.policy ?? 'none' };
    examples.push(labelExample({ task: 'compliance', config, user: complianceUserText(message, body), body, answer: verdict, labels, conversationId: conversation.id, messageId: message.id, groupKey }));
  });
  return { examples, skipped: examples.length ? {} : { no_reviewed_alert: 1 } };
}
