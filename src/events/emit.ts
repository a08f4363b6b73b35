/**
 * Outgoing events, written to the outbox (`event_deliveries`) in the emitter's own transaction: a
 * rollback drops the event with the change it describes. With a queue, the `events.deliver` jobs
 * are sent in that transaction too; without one (a CLI command), the sweep sends them within a minute.
 */
import { and, arrayContains, eq } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { eventDeliveries, eventSubscriptions } from '../db/schema/index.ts';
import type { Queue } from '../queue/queue.ts';

export const EVENT_TYPES = ['run.finished', 'model.promoted', 'model.rolled_back', 'alert.raised', 'drift.detected', 'evaluation.finished', 'batch.completed', 'inference.budget_warning'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type HubEvent = { type: EventType; subjectId: string; data: Record<string, unknown> };

/** The JSON body receivers get, shaped like the Standard Webhooks examples: type, timestamp, data. */
export interface EventPayload {
  type: EventType;
  timestamp: string;
  data: { subjectId: string } & Record<string, unknown>;
}

export async function emitEvent(tx: Tx, event: HubEvent, options: { queue?: Queue | null } = {}): Promise<void> {
  const subscribers = await tx
    .select({ id: eventSubscriptions.id })
    .from(eventSubscriptions)
    .where(and(eq(eventSubscriptions.active, true), arrayContains(eventSubscriptions.eventTypes, [event.type])));
  if (!subscribers.length) return;
  const payload: EventPayload = { type: event.type, timestamp: new Date().toISOString(), data: { ...event.data, subjectId: event.subjectId } };
  const queue = options.queue ?? null;
  const rows = await tx
    .insert(eventDeliveries)
    .values(subscribers.map((subscription) => ({ subscriptionId: subscription.id, eventType: event.type, payload: { ...payload }, nextAttemptAt: new Date(), enqueuedAt: queue ? new Date() : null })))
    .returning({ id: eventDeliveries.id });
  if (!queue) return;
  for (const row of rows) await queue.send('events.deliver', { deliveryId: row.id }, { tx });
}
