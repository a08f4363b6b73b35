/** An alert with what its deliveries show: the message text, the conversation, and a link to it. */
import { eq } from 'drizzle-orm';
import type { Tx } from '../../../db/client.ts';
import { complianceAlerts, connections, conversations, messages } from '../../../db/schema/index.ts';
import type { Alert } from './alerts.ts';
import type { PolicySet } from '../policies/policies.ts';
import type { AlertView } from './slack-view.ts';

export interface AlertContext {
  alert: Alert;
  body: string | null;
  conversation: { source: string; sourceId: string; subject: string | null; connectionId: string };
  connection: { vendor: string; settings: Record<string, unknown> };
}

export async function loadAlertContext(db: Tx, alertId: string): Promise<AlertContext | null> {
  const [row] = await db
    .select({ alert: complianceAlerts, body: messages.body, source: conversations.source, sourceId: conversations.sourceId, subject: conversations.subject, connectionId: conversations.connectionId, vendor: connections.vendor, settings: connections.settings })
    .from(complianceAlerts)
    .innerJoin(conversations, eq(conversations.id, complianceAlerts.conversationId))
    .innerJoin(connections, eq(connections.id, conversations.connectionId))
    .leftJoin(messages, eq(messages.id, complianceAlerts.messageId))
    .where(eq(complianceAlerts.id, alertId));
  if (!row) return null;
  return {
    alert: row.alert,
    body: row.body,
    conversation: { source: row.source, sourceId: row.sourceId, subject: row.subject, connectionId: row.connectionId },
    connection: { vendor: row.vendor, settings: row.settings as Record<string, unknown> },
  };
}

const str = (value: unknown) => (typeof value === 'string' && value ? value.replace(/\/+$/, '') : null);

/** Where a person opens the conversation in the vendor's own tool, when we can tell. */
export function conversationUrl(context: AlertContext): string | null {
  const { settings } = context.connection;
  const id = encodeURIComponent(context.conversation.sourceId);
  if (context.connection.vendor === 'salesforce') {
    const instance = str(settings.instanceUrl);
    return instance ? `${instance}/lightning/r/Case/${id}/view` : null;
  }
  if (context.connection.vendor === 'zendesk') {
    const base = str(settings.baseUrl) ?? (str(settings.subdomain) ? `https://${str(settings.subdomain)}.zendesk.com` : null);
    return base ? `${base}/agent/tickets/${id}` : null;
  }
  return null;
}

export function alertView(context: AlertContext, policies: PolicySet | null): AlertView {
  const { alert } = context;
  const policy = policies?.policies.find((p) => p.policy.id === alert.policyId)?.policy;
  return {
    id: alert.id,
    policyId: alert.policyId,
    policyVersion: alert.policyVersion,
    policyDescription: policy?.description ?? null,
    severity: alert.severity,
    status: alert.status,
    evidence: alert.evidence,
    transitions: alert.transitions,
    body: context.body,
    conversation: { ...context.conversation, url: conversationUrl(context) },
  };
}
