/**
 * Copies of the subject's data outside the rows the database step deletes, found before it
 * deletes them: the Slack messages of their alerts (chat.update redacts them), the notes tuneloop
 * posted on their tickets at the vendor, the Salesforce Tasks of their alerts, the files OpenAI
 * holds for runs on the dataset versions being replaced, and the evaluations of models trained on
 * those versions (their working folders).
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

export interface OutsideCopies {
  alerts: number;
  slackAlerts: Array<{ channel: string; ts: string }>;
  salesforceTasks: Array<{ connectionId: string; taskId: string }>;
  notes: Array<{ connectionId: string; source: string; ticketId: string; noteId: string }>;
  openaiFiles: Array<{ jobId: string; fileId: string }>;
  evaluationIds: string[];
}

const ids = (values: number[]) => sql`${sql.param(values)}::bigint[]`;

export async function findOutsideCopies(tx: Tx, subject: { conversationIds: number[]; messageIds: number[]; replacedVersionIds: string[] }): Promise<OutsideCopies> {
  const alerts = await tx.execute<{ slack_channel: string | null; slack_ts: string | null; salesforce_task_id: string | null; connection_id: string }>(sql`
    SELECT a.slack_channel, a.slack_ts, a.salesforce_task_id, c.connection_id::text
    FROM compliance_alerts a JOIN conversations c ON c.id = a.conversation_id
    WHERE a.conversation_id = ANY(${ids(subject.conversationIds)}) OR a.message_id = ANY(${ids(subject.messageIds)})`);
  const notes = await tx.execute<{ connection_id: string; source: string; source_id: string; note_id: string }>(sql`
    SELECT d.connection_id::text, d.source, d.source_id, d.note_id FROM drafts d JOIN conversations c ON c.connection_id = d.connection_id AND c.source_id = d.source_id
    WHERE c.id = ANY(${ids(subject.conversationIds)}) AND d.note_id IS NOT NULL`);
  const versions = sql`${sql.param(subject.replacedVersionIds)}::uuid[]`;
  const files = await tx.execute<{ id: string; training: string | null; validation: string | null }>(sql`
    SELECT id::text, provider_files->>'training' AS training, provider_files->>'validation' AS validation
    FROM fine_tuning_jobs WHERE backend = 'openai' AND dataset_version_id = ANY(${versions})`);
  const evaluations = await tx.execute<{ id: string }>(sql`
    SELECT e.id::text FROM model_evaluations e JOIN models m ON m.id = e.model_id WHERE m.dataset_version_id = ANY(${versions})`);
  return {
    alerts: alerts.rows.length,
    slackAlerts: alerts.rows.flatMap((a) => (a.slack_channel && a.slack_ts ? [{ channel: a.slack_channel, ts: a.slack_ts }] : [])),
    salesforceTasks: alerts.rows.flatMap((a) => (a.salesforce_task_id ? [{ connectionId: a.connection_id, taskId: a.salesforce_task_id }] : [])),
    notes: notes.rows.map((n) => ({ connectionId: n.connection_id, source: n.source, ticketId: n.source_id, noteId: n.note_id })),
    openaiFiles: files.rows.flatMap((f) => [f.training, f.validation].filter((id): id is string => Boolean(id)).map((fileId) => ({ jobId: f.id, fileId }))),
    evaluationIds: evaluations.rows.map((e) => e.id),
  };
}
