/**
 * The harvest's hook: when a batch stores conversations, posted drafts whose ticket is now solved
 * get a `draft.feedback` job, in the batch's transaction (a rolled-back batch enqueues nothing).
 * Why at harvest time rather than a periodic pass: the final reply is only known to the hub once
 * the harvest has stored it, and this is exactly that moment; no poll has to guess how often to run.
 * One query per batch on an index; nothing is enqueued for tickets without a posted draft.
 */
import type { Tx } from '../../db/client.ts';
import type { Queue } from '../../queue/queue.ts';
import { draftsDueForFeedback } from './record.ts';

export async function enqueueDraftFeedback(tx: Tx, queue: Queue, conversationIds: number[]): Promise<number> {
  const due = await draftsDueForFeedback(tx, conversationIds);
  for (const draftId of due) await queue.send('draft.feedback', { draftId }, { tx });
  return due.length;
}
