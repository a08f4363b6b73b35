/** Writes one audit record (call it in the same transaction as the change it describes) and lists them. */
import { and, desc, eq, gte, like, lt, type SQL } from 'drizzle-orm';
import type { Tx } from './db/client.ts';
import { auditEvents } from './db/schema/index.ts';

export interface AuditRecord {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown>;
}

export async function recordAudit(db: Tx, record: AuditRecord): Promise<void> {
  await db.insert(auditEvents).values({ ...record, details: record.details ?? {} });
}

export interface AuditFilter {
  actor?: string | undefined;
  action?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  /** Keyset paging: events older than this one (ids only grow). */
  beforeId?: number | undefined;
  limit: number;
}

/** Newest first. `action` ending in `.` matches a prefix (`token.` → token.created, token.revoked). */
export async function listAuditEvents(db: Tx, filter: AuditFilter) {
  const where: SQL[] = [];
  if (filter.actor) where.push(eq(auditEvents.actor, filter.actor));
  if (filter.action) where.push(filter.action.endsWith('.') ? like(auditEvents.action, `${filter.action.replace(/[\\%_]/g, '\\$&')}%`) : eq(auditEvents.action, filter.action));
  if (filter.subjectType) where.push(eq(auditEvents.subjectType, filter.subjectType));
  if (filter.subjectId) where.push(eq(auditEvents.subjectId, filter.subjectId));
  if (filter.since) where.push(gte(auditEvents.at, filter.since));
  if (filter.until) where.push(lt(auditEvents.at, filter.until));
  if (filter.beforeId) where.push(lt(auditEvents.id, filter.beforeId));
  return db
    .select()
    .from(auditEvents)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit);
}
