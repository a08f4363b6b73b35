/**
 * A Task on the Salesforce Case for each alert on a Salesforce conversation, so the case owner
 * sees it where they work. The Task id is stored on the alert; the vendor action finds a Task it
 * already created (marker in the Subject), so a retried job never creates a second one.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { vendorFor } from '../../../../integrations/registry.ts';
import type { Database } from '../../../db/client.ts';
import { complianceAlerts, connections } from '../../../db/schema/index.ts';
import { recordAudit } from '../../../audit.ts';
import type { Logger } from '../../../log.ts';
import type { Keyring } from '../../../security/encryption.ts';
import { openConnection } from '../../../connections/open.ts';
import { alertView, loadAlertContext } from './context.ts';
import type { PolicySet } from '../policies/policies.ts';

/** Creates the missing Tasks for these alerts; alerts on other vendors are skipped. */
export async function deliverSalesforceTasks(deps: { database: Database; keyring: Keyring; log: Logger }, policies: PolicySet | null, alertIds: string[], signal?: AbortSignal): Promise<number> {
  let created = 0;
  for (const alertId of alertIds) {
    const done = await deps.database.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`alert-task:${alertId}`}))`);
      const context = await loadAlertContext(tx, alertId);
      const alertTasks = context?.connection ? vendorFor(context.connection.vendor)?.alertTasks : undefined;
      if (!context?.conversation || !alertTasks || context.alert.salesforceTaskId) return false;
      const [connection] = await tx.select().from(connections).where(eq(connections.id, context.conversation.connectionId));
      if (!connection) return false;
      const view = alertView(context, policies);
      const evidence = view.evidence.map((span) => `- ${span.kind}: "${span.excerpt}"`).join('\n');
      const opened = openConnection(deps.database.db, deps.keyring, connection);
      const tasks = alertTasks.create(opened.settings, opened.credentials, { log: deps.log, onCredentialsRefreshed: opened.onCredentialsRefreshed });
      const { taskId, existing } = await tasks.createTask(
        {
          ticketId: context.conversation.sourceId,
          key: alertId,
          subject: `Compliance alert: ${view.policyId} (${view.severity})`,
          description: `${view.policyDescription ?? view.policyId}\nPolicy ${view.policyId} v${view.policyVersion}, severity ${view.severity}.\n\nEvidence:\n${evidence}`,
          severity: view.severity,
        },
        signal,
      );
      await tx.update(complianceAlerts).set({ salesforceTaskId: taskId }).where(and(eq(complianceAlerts.id, alertId), isNull(complianceAlerts.salesforceTaskId)));
      await recordAudit(tx, { actor: 'system', action: 'alert.task_created', subjectType: 'compliance_alert', subjectId: alertId, details: { taskId, caseId: context.conversation.sourceId, found: existing } });
      return !existing;
    });
    if (done) created++;
  }
  return created;
}
