/**
 * What a compliance officer reads per source and per policy: how much was scanned, how many
 * alerts, and how many of the decided ones were false positives. A source is the conversation's
 * vendor (`zendesk`, `email`, …) for messages and their attachments, and `upload` for documents
 * uploaded through the API. Documents not scanned are counted by reason (no text layer, encrypted,
 * zip bomb, …). `since` limits everything to scans and alerts from then on.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';

export interface RateFigures {
  alerts: number;
  /** Alerts someone decided on (anything but open). */
  decided: number;
  falsePositives: number;
  /** falsePositives / decided; null before anything is decided. */
  falsePositiveRate: number | null;
}

export interface SourceFigures extends RateFigures {
  source: string;
  messagesScanned: number;
  documentsScanned: number;
  documentsNotScanned: Record<string, number>;
}

export interface PolicyFigures extends RateFigures {
  policyId: string;
  bySource: Record<string, RateFigures>;
}

export interface ComplianceFigures {
  since: string | null;
  sources: SourceFigures[];
  policies: PolicyFigures[];
}

const rate = (alerts: number, decided: number, falsePositives: number): RateFigures => ({ alerts, decided, falsePositives, falsePositiveRate: decided ? Math.round((falsePositives / decided) * 10_000) / 10_000 : null });

export async function complianceFigures(db: Tx, options: { since?: Date | undefined } = {}): Promise<ComplianceFigures> {
  const since = options.since ?? new Date(0);
  const messageScans = await db.execute<{ source: string; n: number }>(sql`
    SELECT c.source, count(*)::int AS n FROM compliance_scans s
    JOIN messages m ON m.id = s.message_id JOIN conversations c ON c.id = m.conversation_id
    WHERE s.scanned_at >= ${since} GROUP BY c.source`);
  const documentScans = await db.execute<{ source: string; n: number }>(sql`
    SELECT coalesce(c.source, d.origin) AS source, count(*)::int AS n FROM document_scans s
    JOIN documents d ON d.id = s.document_id LEFT JOIN conversations c ON c.id = d.conversation_id
    WHERE s.scanned_at >= ${since} GROUP BY 1`);
  const notScanned = await db.execute<{ source: string; reason: string; n: number }>(sql`
    SELECT coalesce(c.source, d.origin) AS source, coalesce(d.skip_reason, d.status) AS reason, count(*)::int AS n FROM documents d
    LEFT JOIN conversations c ON c.id = d.conversation_id
    WHERE d.status <> 'text' AND d.created_at >= ${since} GROUP BY 1, 2`);
  const alerts = await db.execute<{ source: string; policy_id: string; alerts: number; decided: number; false_positives: number }>(sql`
    SELECT coalesce(c.source, d.origin) AS source, a.policy_id, count(*)::int AS alerts,
      count(*) FILTER (WHERE a.status <> 'open')::int AS decided,
      count(*) FILTER (WHERE a.status = 'false_positive')::int AS false_positives
    FROM compliance_alerts a LEFT JOIN conversations c ON c.id = a.conversation_id LEFT JOIN documents d ON d.id = a.document_id
    WHERE a.created_at >= ${since} GROUP BY 1, 2 ORDER BY 1, 2`);

  const sources = new Map<string, SourceFigures>();
  const sourceOf = (source: string) => {
    let entry = sources.get(source);
    if (!entry) sources.set(source, (entry = { source, messagesScanned: 0, documentsScanned: 0, documentsNotScanned: {}, ...rate(0, 0, 0) }));
    return entry;
  };
  for (const row of messageScans.rows) sourceOf(row.source).messagesScanned = row.n;
  for (const row of documentScans.rows) sourceOf(row.source).documentsScanned = row.n;
  for (const row of notScanned.rows) sourceOf(row.source).documentsNotScanned[row.reason] = row.n;
  const policies = new Map<string, PolicyFigures>();
  for (const row of alerts.rows) {
    const source = sourceOf(row.source);
    Object.assign(source, rate(source.alerts + row.alerts, source.decided + row.decided, source.falsePositives + row.false_positives));
    const policy = policies.get(row.policy_id) ?? { policyId: row.policy_id, bySource: {}, ...rate(0, 0, 0) };
    Object.assign(policy, rate(policy.alerts + row.alerts, policy.decided + row.decided, policy.falsePositives + row.false_positives));
    policy.bySource[row.source] = rate(row.alerts, row.decided, row.false_positives);
    policies.set(row.policy_id, policy);
  }
  return {
    since: options.since?.toISOString() ?? null,
    sources: [...sources.values()].sort((a, b) => a.source.localeCompare(b.source)),
    policies: [...policies.values()].sort((a, b) => a.policyId.localeCompare(b.policyId)),
  };
}
