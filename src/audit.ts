/**
 * Writes one audit record; call it in the same transaction as the change it describes. URLs in its
 * details are kept without query string, fragment or user info: those are where secrets ride
 * (`?token=…`, `https://user:pass@…`), and audit rows are kept for years.
 */
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
