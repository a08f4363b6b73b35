/** Reads of the drafts table for the API: a filtered list, and acceptance per model. */
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { drafts, type DraftStatus, type DraftTask } from '../../db/schema/index.ts';
import type { DraftRow } from '../drafts/record.ts';
import { afterRow } from '../../db/keyset.ts';

export interface DraftFilter {
  connectionId?: string | undefined;
  task?: DraftTask | undefined;
  status?: DraftStatus | undefined;
  modelId?: string | undefined;
  sourceId?: string | undefined;
  since?: Date | undefined;
  before?: Date | undefined;
  /** Keyset paging: drafts after this draft in the list's order. */
  afterId?: string | undefined;
}

function where(filter: DraftFilter): SQL | undefined {
  const parts: SQL[] = [];
  if (filter.connectionId) parts.push(eq(drafts.connectionId, filter.connectionId));
  if (filter.task) parts.push(eq(drafts.task, filter.task));
  if (filter.status) parts.push(eq(drafts.status, filter.status));
  if (filter.modelId) parts.push(eq(drafts.modelId, filter.modelId));
  if (filter.sourceId) parts.push(eq(drafts.sourceId, filter.sourceId));
  if (filter.since) parts.push(gte(drafts.createdAt, filter.since));
  if (filter.before) parts.push(lt(drafts.createdAt, filter.before));
  if (filter.afterId) parts.push(afterRow(drafts, drafts.createdAt, drafts.id, filter.afterId));
  return parts.length ? and(...parts) : undefined;
}

/** Newest first; page with `afterId` = the last row's id. */
export async function listDrafts(db: Tx, filter: DraftFilter, limit: number): Promise<DraftRow[]> {
  return db.select().from(drafts).where(where(filter)).orderBy(desc(drafts.createdAt), desc(drafts.id)).limit(limit);
}

export interface ModelAcceptance {
  modelId: string | null;
  task: string;
  posted: number;
  /** Posted drafts whose ticket was solved with an agent reply to compare. */
  judged: number;
  accepted: number;
  /** accepted / judged; null before any feedback. */
  acceptanceRate: number | null;
  meanSimilarity: number | null;
}

export async function acceptanceByModel(db: Tx, filter: Omit<DraftFilter, 'status' | 'modelId'>): Promise<ModelAcceptance[]> {
  const rows = await db
    .select({
      modelId: drafts.modelId,
      task: drafts.task,
      posted: sql<number>`count(*)::int`,
      judged: sql<number>`count(${drafts.accepted})::int`,
      accepted: sql<number>`count(*) FILTER (WHERE ${drafts.accepted})::int`,
      meanSimilarity: sql<number | null>`avg(${drafts.similarity})::float8`,
    })
    .from(drafts)
    .where(and(eq(drafts.status, 'posted'), where(filter)))
    .groupBy(drafts.modelId, drafts.task)
    .orderBy(drafts.task, drafts.modelId);
  return rows.map((row) => ({ ...row, acceptanceRate: row.judged ? row.accepted / row.judged : null }));
}
