import { jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import type { Source } from '../../../integrations/types.ts';

/**
 * A configured vendor account. Credentials are AES-256-GCM encrypted (src/security/encryption.ts)
 * and never leave the hub decrypted except toward the vendor itself.
 */
export const connections = pgTable(
  'connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    vendor: text('vendor').$type<Source>().notNull(),
    name: text('name').notNull(),
    settings: jsonb('settings').$type<Record<string, unknown>>().notNull(),
    credentialsEncrypted: text('credentials_encrypted').notNull(),
    /** Cron expression for scheduled harvests; null: on demand only. */
    schedule: text('schedule'),
    /** Where the next harvest resumes; written in the same transaction as each stored batch. */
    cursor: jsonb('cursor').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('connections_name_idx').on(table.name)],
);
