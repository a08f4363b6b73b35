import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { apiTokens } from './tokens.ts';

/**
 * Dashboard log-ins. The browser holds a random session id in an HttpOnly cookie; only its SHA-256
 * is stored, like API tokens. A session acts with its token's roles, so revoking the token (or its
 * expiry) ends the session too. `csrf` is the synchronizer token every form of the session carries.
 */
export const dashboardSessions = pgTable(
  'dashboard_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    hash: text('hash').notNull().unique(),
    tokenId: uuid('token_id')
      .notNull()
      .references(() => apiTokens.id, { onDelete: 'cascade' }),
    csrf: text('csrf').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('dashboard_sessions_expires_idx').on(table.expiresAt)],
);
