import { index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { Source } from '../../../integrations/types.ts';
import { connections } from './connections.ts';

/**
 * Every inbound webhook delivery (or, for HubSpot's batched bodies, every event) we accepted, keyed
 * by the vendor's own delivery id. The primary key is the dedup guarantee: the insert and the jobs
 * it causes share one transaction, so a replay inserts nothing and enqueues nothing.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    /** Zendesk X-Zendesk-Webhook-Invocation-Id, HubSpot eventId, Salesforce `${id}:${timestamp}`. */
    deliveryId: text('delivery_id').notNull(),
    vendor: text('vendor').$type<Source>().notNull(),
    /** What happened, e.g. "ticket.created", "ticket.propertyChange". */
    event: text('event').notNull(),
    /** The vendor's ticket/case/thread id, when the event names one. */
    sourceId: text('source_id'),
    /**
     * Zendesk only: the request's signature. Its invocation id is a header outside what Zendesk
     * signs, so a captured delivery re-sent within the 5-minute window under a new invocation id
     * would otherwise count as new; unique per connection, it is a second dedup key.
     */
    signature: text('signature'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.connectionId, table.deliveryId] }),
    index('webhook_deliveries_received_idx').on(table.receivedAt),
    uniqueIndex('webhook_deliveries_signature_idx').on(table.connectionId, table.signature),
  ],
);

/**
 * The secret that signs a connection's inbound webhooks, sealed like credentials
 * (src/security/encryption.ts). A table of its own, not a field in the connection's credentials:
 * credentials are re-parsed with the vendor's zod schema (which strips unknown keys) and rewritten
 * whole on every OAuth refresh, which would silently drop it; and HubSpot's app client secret is
 * not an API credential at all. Also remembers what `tuneloop zendesk install` created there.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  connectionId: uuid('connection_id')
    .primaryKey()
    .references(() => connections.id, { onDelete: 'cascade' }),
  secretEncrypted: text('secret_encrypted').notNull(),
  /** The vendor's id of the webhook we registered (Zendesk webhook id), if we registered one. */
  vendorWebhookId: text('vendor_webhook_id'),
  /** The vendor's id of the trigger that notifies it (Zendesk trigger id). */
  vendorTriggerId: text('vendor_trigger_id'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
