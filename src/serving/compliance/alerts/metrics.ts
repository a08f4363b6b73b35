/**
 * Compliance alerts in Prometheus: how many there are per policy, state and severity. Read from
 * the database at scrape time, so every replica reports the same numbers.
 */
import { count } from 'drizzle-orm';
import { Gauge } from 'prom-client';
import type { Tx } from '../../../db/client.ts';
import { complianceAlerts } from '../../../db/schema/index.ts';
import { registry } from '../../../metrics.ts';

const alerts = new Gauge({
  name: 'tuneloop_alerts',
  help: 'Compliance alerts by policy, state (open, acknowledged, escalated, resolved, false_positive) and severity.',
  labelNames: ['policy', 'state', 'severity'] as const,
  registers: [registry],
});

export async function refreshAlertMetrics(db: Tx): Promise<void> {
  const rows = await db
    .select({ policy: complianceAlerts.policyId, state: complianceAlerts.status, severity: complianceAlerts.severity, alerts: count() })
    .from(complianceAlerts)
    .groupBy(complianceAlerts.policyId, complianceAlerts.status, complianceAlerts.severity);
  // A combination that no longer has alerts drops out instead of keeping its last count.
  alerts.reset();
  for (const row of rows) alerts.set({ policy: row.policy, state: row.state, severity: row.severity }, row.alerts);
}
