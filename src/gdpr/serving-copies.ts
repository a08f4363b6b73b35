/**
 * What serving kept of an erased subject, removed in the erasure's transaction: the write-back rows
 * of their tickets (the draft and the agent's final reply are their conversation's text) and of any
 * ticket whose draft or final reply names their email, and the human-review pairs built from test
 * examples the erasure removes (their prompts are copies of those examples).
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

export interface ServingErasure {
  drafts: number;
  reviewPairs: number;
}

export async function eraseServingCopies(
  tx: Tx,
  subject: { conversationIds: number[]; email: string | null },
  removedTests: Array<{ testKey: string; positions: number[] }>,
): Promise<ServingErasure> {
  const conversationIds = `{${subject.conversationIds.join(',')}}`;
  const ofTheirTickets = await tx.execute(sql`
    DELETE FROM drafts d USING conversations c
    WHERE c.id = ANY(${conversationIds}::bigint[]) AND d.connection_id = c.connection_id AND d.source_id = c.source_id`);
  const namingThem = subject.email
    ? await tx.execute(sql`
        DELETE FROM drafts d
        WHERE strpos(lower(coalesce(d.text, '')), ${subject.email}) > 0 OR strpos(lower(coalesce(d.final_reply, '')), ${subject.email}) > 0`)
    : { rowCount: 0 };
  let reviewPairs = 0;
  for (const removed of removedTests) {
    if (!removed.positions.length) continue;
    const deleted = await tx.execute(sql`
      DELETE FROM review_pairs p USING model_evaluations e
      WHERE e.id = p.evaluation_id AND e.report->>'testFile' = ${removed.testKey} AND p.position = ANY(${`{${removed.positions.join(',')}}`}::int[])`);
    reviewPairs += deleted.rowCount ?? 0;
  }
  return { drafts: (ofTheirTickets.rowCount ?? 0) + (namingThem.rowCount ?? 0), reviewPairs };
}
