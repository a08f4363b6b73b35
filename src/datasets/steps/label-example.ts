/**
 * A one-turn classification example, as triage and compliance both make them: the task's system
 * prompt, one user text, and the labels as the JSON answer the model should give.
 */
import { systemPromptFor, type DatasetConfig, type Task } from '../config.ts';
import type { Example } from '../types.ts';

export function labelExample(input: {
  task: Task;
  config: DatasetConfig;
  /** The user turn (scrubbed). */
  user: string;
  /** The scrubbed message body the labels were given for. */
  body: string;
  /** The assistant's answer: the labels as JSON. */
  answer: unknown;
  labels: Record<string, string>;
  conversationId: number;
  messageId: number;
  groupKey: string;
}): Example {
  const target = JSON.stringify(input.answer);
  return {
    messages: [
      { role: 'system', content: systemPromptFor(input.task, input.config) },
      { role: 'user', content: input.user },
      { role: 'assistant', content: target },
    ],
    conversationId: input.conversationId,
    messageIds: [input.messageId],
    groupKey: input.groupKey,
    dedupText: input.user,
    target,
    lastUser: input.body,
    labels: input.labels,
  };
}
