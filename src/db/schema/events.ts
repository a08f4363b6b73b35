import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export type EventDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** Receivers of outgoing signed webhooks (src/events/). The signing secret is sealed with the keyring. */
export const eventSubscriptions = pgTable('event_subscriptions', {
  id: uuid('id').primaryKey().defaultRandom(),
  url: text('url').notNull(),
  eventTypes: text('event_types').array().notNull(),
  /** `whsec_…` sealed by src/security/encryption.ts; shown once, at creation. */
  secretEncrypted: text('secret_encrypted').notNull(),
  active: boolean('active').notNull().default(true),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The outbox: one row per event and subscription, written in the emitter's transaction. Its id is
 * the `webhook-id` of every attempt, so receivers can drop duplicates.
 */
export const eventDeliveries = pgTable(
  'event_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    subscriptionId: uuid('subscription_id')
      .notNull()
      .references(() => eventSubscriptions.id, { onDelete: 'cascade' }),
    eventType: text('event_type').notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    status: text('status').$type<EventDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }),
    lastError: text('last_error'),
    lastStatus: integer('last_status'),
    /** When an `events.deliver` job was sent for it; null: the sweep sends one (emitted without a queue). */
    enqueuedAt: timestamp('enqueued_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (table) => [index('event_deliveries_subscription_idx').on(table.subscriptionId, table.createdAt), index('event_deliveries_pending_idx').on(table.status, table.enqueuedAt)],
);
