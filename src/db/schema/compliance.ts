import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { conversations, messages } from './conversations.ts';
import { documents } from './documents.ts';

export type AlertStatus = 'open' | 'acknowledged' | 'escalated' | 'resolved' | 'false_positive';
export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';

/** A piece of a message that broke a policy: `body.slice(start, end)`, with its text (may hold PII: never log it). */
export interface EvidenceSpan {
  start: number;
  end: number;
  excerpt: string;
  /** What kind of finding, e.g. the PII type or the matched phrase's policy detector. */
  kind: string;
  /** For a document: the page (1-based) holding `start`, and `start`'s offset within that page. */
  page?: number;
  pageOffset?: number;
}

/** One decision on an alert: who moved it where, when, and why. */
export interface AlertTransition {
  from: AlertStatus;
  to: AlertStatus;
  actor: string;
  at: string;
  note: string | null;
}

/**
 * A message or document that broke a compliance policy. Exactly one per (message or document, policy), so a retried job
 * or a rescan never raises it twice. Evidence is personal data (the phrase or PII that triggered
 * it); it is deleted with the message (cascade).
 */
export const complianceAlerts = pgTable(
  'compliance_alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The message that broke the policy; null for a document's alert. */
    messageId: bigint('message_id', { mode: 'number' }).references(() => messages.id, { onDelete: 'cascade' }),
    /** The document that broke the policy (evidence offsets are into its text); null for a message's. */
    documentId: bigint('document_id', { mode: 'number' }).references(() => documents.id, { onDelete: 'cascade' }),
    /** Null only for a document uploaded through the API, which belongs to no conversation. */
    conversationId: bigint('conversation_id', { mode: 'number' }).references(() => conversations.id, { onDelete: 'cascade' }),
    policyId: text('policy_id').notNull(),
    policyVersion: integer('policy_version').notNull(),
    severity: text('severity').$type<AlertSeverity>().notNull(),
    evidence: jsonb('evidence').$type<EvidenceSpan[]>().notNull(),
    status: text('status').$type<AlertStatus>().notNull().default('open'),
    transitions: jsonb('transitions').$type<AlertTransition[]>().notNull().default([]),
    /** Where the Slack alert was posted: a retried delivery updates it instead of posting again. */
    slackChannel: text('slack_channel'),
    slackTs: text('slack_ts'),
    /** The Task created on the Salesforce Case, for alerts on Salesforce conversations. */
    salesforceTaskId: text('salesforce_task_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('compliance_alerts_message_policy_idx').on(table.messageId, table.policyId),
    uniqueIndex('compliance_alerts_document_policy_idx').on(table.documentId, table.policyId),
    check('compliance_alerts_subject_check', sql`(${table.messageId} IS NULL) <> (${table.documentId} IS NULL)`),
    index('compliance_alerts_status_idx').on(table.status, table.createdAt),
    index('compliance_alerts_conversation_idx').on(table.conversationId),
  ],
);

/**
 * The last scan of each message: which body (hash) against which policy set (hash). Harvests
 * enqueue scans only for messages whose body or the policies changed since.
 */
export const complianceScans = pgTable('compliance_scans', {
  messageId: bigint('message_id', { mode: 'number' })
    .primaryKey()
    .references(() => messages.id, { onDelete: 'cascade' }),
  bodyHash: text('body_hash').notNull(),
  policiesHash: text('policies_hash').notNull(),
  scannedAt: timestamp('scanned_at', { withTimezone: true }).notNull().defaultNow(),
});
