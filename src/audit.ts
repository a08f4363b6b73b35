/** Writes one audit record; call it in the same transaction as the change it describes. */
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
