/**
 * The polling fallback for write-back (DRAFTS_FROM_HARVEST): where webhooks or a Salesforce Flow
 * cannot reach the hub, a scheduled harvest is how new tickets arrive, so a stored batch queues
 * `draft.generate` and `triage.apply` for its tickets that wait for an answer — open, the last
 * message a customer's public one — and have no posted draft yet. Never before a connection's first
 * harvest has completed (that is the backfill of history: nobody waits for drafts on old tickets).
 * Jobs are sent in the batch's transaction; the handlers' idempotency (one write-back per ticket
 * and task) absorbs a webhook that queued the same ticket.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import type { Queue } from '../../queue/queue.ts';
import { CLOSED_STATUSES } from '../batch/batches.ts';

const WORK = [
  ['draft.generate', 'reply'],
  ['triage.apply', 'triage'],
] as const;

export async function enqueueDraftsFromHarvest(tx: Tx, queue: Queue, connectionId: string, conversationIds: number[]): Promise<number> {
  if (!conversationIds.length) return 0;
  const closed = sql.join(CLOSED_STATUSES.map((status) => sql`${status}`), sql`, `);
  const rows = await tx.execute<{ source_id: string; task: string }>(sql`
    SELECT c.source_id, t.task
    FROM conversations c
    CROSS JOIN (VALUES ('reply'), ('triage')) AS t(task)
    JOIN connections k ON k.id = c.connection_id
    WHERE c.id = ANY(${`{${conversationIds.join(',')}}`}::bigint[])
      AND NOT c.deleted AND length(c.source_id) <= 200
      AND coalesce(lower(c.status), '') NOT IN (${closed})
      AND k.vendor IN ('zendesk', 'salesforce', 'hubspot', 'intercom')
      AND (SELECT m.author_role = 'customer' AND m.visibility = 'public' FROM messages m WHERE m.conversation_id = c.id ORDER BY m.position DESC LIMIT 1)
      AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.connection_id = c.connection_id AND d.source_id = c.source_id AND d.task = t.task AND d.status = 'posted')`);
  if (!rows.rows.length) return 0;
  for (const [name, task] of WORK) {
    const jobs = rows.rows
      .filter((row) => row.task === task)
      .map((row) => ({ payload: { connectionId, sourceId: row.source_id } }));
    await queue.sendMany(name, jobs, { tx });
  }
  return rows.rows.length;
}
