/**
 * Decided alerts as labelled examples for the dataset pipeline (a compliance classifier):
 * alerts a person confirmed (acknowledged, escalated or resolved) are `violation`, those marked
 * false positive are `false_positive`. Open alerts are nobody's judgement yet and are left out.
 * The text is the raw message: it goes through the pipeline's PII scrubber like any other.
 */
import { eq, inArray } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { complianceAlerts, messages } from '../../db/schema/index.ts';

export interface ComplianceExample {
  text: string;
  policy: string;
  label: 'violation' | 'false_positive';
}

export async function complianceExamples(db: Tx): Promise<ComplianceExample[]> {
  const rows = await db
    .select({ text: messages.body, policy: complianceAlerts.policyId, status: complianceAlerts.status })
    .from(complianceAlerts)
    .innerJoin(messages, eq(messages.id, complianceAlerts.messageId))
    .where(inArray(complianceAlerts.status, ['acknowledged', 'escalated', 'resolved', 'false_positive']))
    .orderBy(complianceAlerts.createdAt);
  return rows.map((row) => ({ text: row.text, policy: row.policy, label: row.status === 'false_positive' ? 'false_positive' : 'violation' }));
}
