/**
 * The drafts table's writes: one row per (connection, ticket, task). A posted row is final: a later
 * attempt (retry, replayed webhook, batch) never overwrites it, so its note id and text stay what
 * the agent sees. Skipped and failed rows are replaced by the next attempt's outcome.
 */
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { drafts, type DraftArm, type DraftStatus, type DraftTask } from '../../db/schema/index.ts';
import { draftOutcomes } from './metrics.ts';

export type DraftRow = typeof drafts.$inferSelect;

export interface DraftOutcome {
  connectionId: string;
  source: string;
  sourceId: string;
  task: DraftTask;
  status: DraftStatus;
  reason?: string | null;
  modelId?: string | null;
  arm?: DraftArm | null;
  abTestId?: string | null;
  text?: string | null;
  noteId?: string | null;
  confidence?: number | null;
}

export async function findDraft(db: Tx, connectionId: string, sourceId: string, task: DraftTask): Promise<DraftRow | null> {
  const [row] = await db.select().from(drafts).where(and(eq(drafts.connectionId, connectionId), eq(drafts.sourceId, sourceId), eq(drafts.task, task)));
  return row ?? null;
}

/** Records an outcome; returns the stored row (the existing posted one if there is one). */
export async function recordDraft(db: Tx, outcome: DraftOutcome): Promise<DraftRow> {
  const values = {
    connectionId: outcome.connectionId,
    source: outcome.source,
    sourceId: outcome.sourceId,
    task: outcome.task,
    status: outcome.status,
    reason: outcome.reason ?? null,
    modelId: outcome.modelId ?? null,
    arm: outcome.arm ?? null,
    abTestId: outcome.abTestId ?? null,
    text: outcome.text ?? null,
    noteId: outcome.noteId ?? null,
    confidence: outcome.confidence ?? null,
    postedAt: outcome.status === 'posted' ? new Date() : null,
  };
  const { connectionId: _c, source: _s, sourceId: _i, task: _t, ...update } = values;
  const [row] = await db
    .insert(drafts)
    .values(values)
    .onConflictDoUpdate({ target: [drafts.connectionId, drafts.sourceId, drafts.task], set: { ...update, createdAt: sql`now()` }, setWhere: ne(drafts.status, 'posted') })
    .returning();
  draftOutcomes.inc({ task: outcome.task, status: outcome.status });
  return row ?? (await findDraft(db, outcome.connectionId, outcome.sourceId, outcome.task))!;
}
