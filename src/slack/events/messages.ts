/**
 * A message posted or edited in a channel the app is in (Events API): its thread is read again and
 * stored like a harvested one, so its compliance scan runs within seconds and the Slack harvest is
 * current without polling. The event id is recorded with the job in one transaction (per connection
 * that harvests the channel), so Slack's retries of the same event do nothing twice.
 */
import { sql } from 'drizzle-orm';
import type { SlackMessageEvent } from '../../../integrations/types.ts';
import { connections, webhookDeliveries } from '../../db/schema/index.ts';
import type { SlackContext } from '../context.ts';

export async function receiveMessage(ctx: SlackContext, event: SlackMessageEvent): Promise<number> {
  const { db } = ctx.deps.database;
  // Slack connections list their channels in settings.channels (integrations/slack/settings.ts).
  const harvesting = await db
    .select({ id: connections.id })
    .from(connections)
    .where(sql`${connections.vendor} = 'slack' AND ${connections.settings}->'channels' ? ${event.channelId}`);
  if (!harvesting.length) {
    ctx.deps.log.debug({ channel: event.channelId }, 'Slack message in a channel no connection harvests: not stored');
    return 0;
  }
  const sourceId = `${event.channelId}:${event.threadTs ?? event.ts}`;
  let queued = 0;
  await db.transaction(async (tx) => {
    for (const connection of harvesting) {
      const fresh = await tx
        .insert(webhookDeliveries)
        .values({ connectionId: connection.id, deliveryId: `slack:${event.eventId}`, vendor: 'slack', event: event.edited ? 'message_changed' : 'message', sourceId })
        .onConflictDoNothing()
        .returning({ id: webhookDeliveries.deliveryId });
      if (!fresh.length) continue;
      await ctx.deps.queue.send('conversation.refresh', { connectionId: connection.id, sourceId, deliveryId: `slack:${event.eventId}` }, { tx });
      queued++;
    }
  });
  return queued;
}
