/**
 * Delivery records grow with every webhook, in and out: inbound ones (webhook_deliveries, the replay
 * dedup) and finished outgoing ones (event_deliveries). Both are deleted after
 * WEBHOOK_DELIVERY_RETENTION_DAYS by a daily job; pending outgoing deliveries are never touched.
 */
import { and, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { eventDeliveries, webhookDeliveries } from '../db/schema/index.ts';
import type { HubDeps } from '../deps.ts';
import type { JobHandler, Queue } from '../queue/queue.ts';

export async function pruneDeliveries(db: Db, days: number): Promise<{ inbound: number; outgoing: number }> {
  const cutoff = sql`now() - make_interval(days => ${days})`;
  const inbound = await db.delete(webhookDeliveries).where(lt(webhookDeliveries.receivedAt, cutoff));
  const outgoing = await db.delete(eventDeliveries).where(and(inArray(eventDeliveries.status, ['delivered', 'failed']), lt(eventDeliveries.createdAt, cutoff)));
  return { inbound: inbound.rowCount ?? 0, outgoing: outgoing.rowCount ?? 0 };
}

/** Daily at 03:17, one key: every hub process may call this at start. */
export async function scheduleDeliveryPruning(queue: Queue): Promise<void> {
  await queue.schedule('deliveries.prune', '17 3 * * *', {}, 'deliveries.prune');
}

export function deliveriesPruneHandler(deps: HubDeps): JobHandler<'deliveries.prune'> {
  const log = deps.log.child({ module: 'webhooks' });
  return async () => {
    const pruned = await pruneDeliveries(deps.database.db, deps.config.WEBHOOK_DELIVERY_RETENTION_DAYS);
    log.info(pruned, 'old delivery records pruned');
  };
}
