/**
 * Drafts (and triage) for a backlog of open tickets: picks the connection's harvested tickets that
 * are still open and have no write-back for the task yet, records them as a batch, and sends one
 * `draft.generate` / `triage.apply` job per ticket in the same transaction (so a crash leaves
 * either the whole batch queued or nothing). The jobs are the same ones a webhook sends: the same
 * idempotency (one draft per ticket and task) and retries apply. Progress is the count of the
 * tickets' `drafts` rows, which every job leaves behind whether it posted, skipped or failed.
 */
import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { connections, conversations, draftBatches, drafts } from '../../db/schema/index.ts';
import type { Queue } from '../../queue/queue.ts';

export const BATCH_TASKS = ['reply', 'triage'] as const;
export type BatchTask = (typeof BATCH_TASKS)[number];
const JOB_FOR: Record<BatchTask, 'draft.generate' | 'triage.apply'> = { reply: 'draft.generate', triage: 'triage.apply' };

/** Vendors that take drafts (HubSpot on tickets as notes, on inbox threads as internal comments). */
const WRITE_BACK_VENDORS = ['zendesk', 'salesforce', 'hubspot', 'intercom'];
/** Ticket states that need no reply any more, across vendors (compared lower-case). */
export const CLOSED_STATUSES = ['solved', 'closed', 'resolved'];
export const MAX_BATCH_TICKETS = 10_000;

export class BatchError extends Error {
  override name = 'BatchError';
  constructor(
    readonly code: 'not_found' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

export interface BatchRequest {
  connectionId: string;
  tasks: BatchTask[];
  /** Only tickets updated at the vendor since then. */
  since?: Date;
  limit?: number;
  createdBy: string;
}

export type DraftBatch = typeof draftBatches.$inferSelect;

export async function createBatch(db: Db, queue: Queue, request: BatchRequest): Promise<DraftBatch> {
  const [connection] = await db.select({ vendor: connections.vendor }).from(connections).where(eq(connections.id, request.connectionId));
  if (!connection) throw new BatchError('not_found', 'no such connection');
  if (!WRITE_BACK_VENDORS.includes(connection.vendor)) throw new BatchError('unsupported', `${connection.vendor} connections take no drafts (only Zendesk, Salesforce and HubSpot tickets)`);
  const limit = Math.min(request.limit ?? MAX_BATCH_TICKETS, MAX_BATCH_TICKETS);

  return db.transaction(async (tx) => {
    // A task is pending for a ticket when it has no write-back yet and no job still queued or
    // running for it (an earlier batch, a webhook: that one will do it). A ticket is in the batch
    // while any requested task is pending; only the pending tasks get a job. Newest first.
    const pending = (task: BatchTask) =>
      sql<boolean>`(NOT EXISTS (SELECT 1 FROM ${drafts} d WHERE d.connection_id = ${conversations.connectionId} AND d.source_id = ${conversations.sourceId} AND d.task = ${task})
        AND NOT ${queue.openJobExists(JOB_FOR[task], { data: { connectionId: request.connectionId, sourceId: sql`${conversations.sourceId}` } })})`;
    const flags = request.tasks.map((task) => sql`${pending(task)}`);
    const rows = await tx
      .select({ sourceId: conversations.sourceId, pending: sql<boolean[]>`ARRAY[${sql.join(flags, sql`, `)}]` })
      .from(conversations)
      .where(
        and(
          eq(conversations.connectionId, request.connectionId),
          eq(conversations.deleted, false),
          sql`length(${conversations.sourceId}) <= 200`,
          sql`coalesce(lower(${conversations.status}), '') NOT IN (${sql.join(CLOSED_STATUSES.map((status) => sql`${status}`), sql`, `)})`,
          request.since ? gte(conversations.sourceUpdatedAt, request.since) : undefined,
          sql`(${sql.join(flags, sql` OR `)})`,
        ),
      )
      .orderBy(desc(conversations.sourceUpdatedAt))
      .limit(limit);
    const sourceIds = rows.map((row) => row.sourceId);
    const [batch] = await tx
      .insert(draftBatches)
      .values({ connectionId: request.connectionId, tasks: request.tasks, sourceIds, tickets: sourceIds.length, createdBy: request.createdBy })
      .returning();
    if (!batch) throw new Error('batch insert returned nothing');
    // One INSERT per queue in this transaction.
    for (const [index, task] of request.tasks.entries()) {
      const name = JOB_FOR[task];
      const jobs = rows.filter((row) => row.pending[index]).map(({ sourceId }) => ({
        payload: { connectionId: request.connectionId, sourceId },
      }));
      await queue.sendMany(name, jobs, { tx });
    }
    return batch;
  });
}

export interface BatchProgress {
  tickets: number;
  /** Per task: tickets with a write-back row, by its status. */
  tasks: Record<string, { done: number; posted: number; skipped: number; failed: number }>;
  done: boolean;
}

export async function batchProgress(db: Db, batch: DraftBatch): Promise<BatchProgress> {
  const rows = !batch.sourceIds.length ? [] : await db
    .select({ task: drafts.task, status: drafts.status, count: sql<number>`count(*)::int` })
    .from(drafts)
    .where(and(eq(drafts.connectionId, batch.connectionId), inArray(drafts.sourceId, batch.sourceIds), inArray(drafts.task, batch.tasks as BatchTask[])))
    .groupBy(drafts.task, drafts.status);
  const tasks: BatchProgress['tasks'] = {};
  for (const task of batch.tasks) tasks[task] = { done: 0, posted: 0, skipped: 0, failed: 0 };
  for (const row of rows) {
    const entry = tasks[row.task];
    if (!entry) continue;
    entry[row.status] += row.count;
    entry.done += row.count;
  }
  const done = Object.values(tasks).every((entry) => entry.done >= batch.tickets);
  return { tickets: batch.tickets, tasks, done };
}

export async function getBatch(db: Db, id: string): Promise<DraftBatch | null> {
  const [batch] = await db.select().from(draftBatches).where(eq(draftBatches.id, id));
  return batch ?? null;
}
