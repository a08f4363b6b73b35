import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Roles granted to Slack users (U…/W…) and user groups (S…) in the Slack app, beside the static
 * SLACK_GRANTS setting. A group's members are resolved through usergroups.users.list (cached).
 */
export const slackGrants = pgTable(
  'slack_grants',
  {
    /** A Slack user id (U…/W…) or user group id (S…). */
    subject: text('subject').notNull(),
    role: text('role').$type<'admin' | 'operator' | 'compliance' | 'viewer'>().notNull(),
    grantedBy: text('granted_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.subject, table.role] })],
);
