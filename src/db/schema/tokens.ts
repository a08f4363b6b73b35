import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** API tokens. Only a SHA-256 of each token is stored; the token itself is shown once. */
export const apiTokens = pgTable(
  'api_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    /** The token's first characters, so a person can tell tokens apart in a list. */
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull().unique(),
    /** What the token may do (src/auth/roles.ts). Empty means nothing, so a row written without roles is harmless. */
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    /** After this instant the token is refused; null never expires. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [index('api_tokens_name_idx').on(table.name)],
);
