/**
 * Writes one audit record (call it in the same transaction as the change it describes) and lists
 * them. URLs in its details are kept without query string, fragment or user info: those are where
 * secrets ride (`?token=…`, `https://user:pass@…`), and audit rows are kept for years.
 */
import { and, desc, eq, gte, like, lt, type SQL } from 'drizzle-orm';
import type { Tx } from './db/client.ts';
import { auditEvents } from './db/schema/index.ts';
import { withoutNul } from './db/without-nul.ts';

export interface AuditRecord {
  actor: string;
  action: string;
  subjectType: string;
  subjectId: string;
  details?: Record<string, unknown>;
}

/** An http(s) URL cut to scheme, host and path; any other string as it is. */
export function auditableUrl(text: string): string {
  if (!/^https?:\/\//i.test(text)) return text;
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '[unparseable url]';
  }
}

function withoutUrlSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return auditableUrl(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => withoutUrlSecrets(item, depth + 1));
  if (value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutUrlSecrets(item, depth + 1)]));
}

export async function recordAudit(db: Tx, record: AuditRecord): Promise<void> {
  const details = withoutNul(withoutUrlSecrets(record.details ?? {})) as Record<string, unknown>;
  await db.insert(auditEvents).values({ ...withoutNul(record), details });
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
