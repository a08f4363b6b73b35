import { pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The Slack message the hub keeps up to date for one subject (a fine-tuning run, a promotion, a
 * drift report): posted once, then updated in place (chat.update) for every later state, so a
 * channel shows one message per run that moves, not a stream of new ones. A retried job finds the
 * ts here and updates instead of posting again. (Compliance alerts keep theirs on the alert.)
 */
export const slackMessages = pgTable(
  'slack_messages',
  {
    kind: text('kind').notNull(),
    subjectId: text('subject_id').notNull(),
    channel: text('channel').notNull(),
    ts: text('ts').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.kind, table.subjectId] })],
);
