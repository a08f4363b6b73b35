/**
 * An alert with what its deliveries show: the message's (or document's) text, the conversation,
 * and a link to it. An uploaded document's alert has no conversation.
 */
import { eq } from 'drizzle-orm';
import type { Tx } from '../../../db/client.ts';
import { complianceAlerts, connections, conversations, documents, messages } from '../../../db/schema/index.ts';
import type { Alert } from './alerts.ts';
import type { PolicySet } from '../policies/policies.ts';
import type { AlertView } from './slack-view.ts';

export interface AlertContext {
  alert: Alert;
  body: string | null;
  conversation: { source: string; sourceId: string; subject: string | null; connectionId: string } | null;
  connection: { vendor: string; settings: Record<string, unknown> } | null;
  document: { id: number; filename: string; origin: string } | null;
}

export async function loadAlertContext(db: Tx, alertId: string): Promise<AlertContext | null> {
  const [row] = await db
    .select({
      alert: complianceAlerts,
      body: messages.body,
      conversation: { source: conversations.source, sourceId: conversations.sourceId, subject: conversations.subject, connectionId: conversations.connectionId },
      connection: { vendor: connections.vendor, settings: connections.settings },
      document: { id: documents.id, filename: documents.filename, origin: documents.origin, text: documents.text },
    })
    .from(complianceAlerts)
    .leftJoin(conversations, eq(conversations.id, complianceAlerts.conversationId))
    .leftJoin(connections, eq(connections.id, conversations.connectionId))
    .leftJoin(messages, eq(messages.id, complianceAlerts.messageId))
    .leftJoin(documents, eq(documents.id, complianceAlerts.documentId))
    .where(eq(complianceAlerts.id, alertId));
  if (!row) return null;
  // Deleted with its conversation or message (erasure): nothing to show.
  if (row.alert.conversationId !== null && !row.conversation) return null;
  if (row.alert.documentId !== null && !row.document) return null;
  return {
    alert: row.alert,
    body: row.document ? row.document.text : row.body,
    conversation: row.conversation,
    connection: row.connection ? { vendor: row.connection.vendor, settings: row.connection.settings as Record<string, unknown> } : null,
    document: row.document ? { id: row.document.id, filename: row.document.filename, origin: row.document.origin } : null,
  };
}

const str = (value: unknown) => (typeof value === 'string' && value ? value.replace(/\/+$/, '') : null);

/** Where a person opens the conversation in the vendor's own tool, when we can tell. */
export function conversationUrl(context: AlertContext): string | null {
  if (!context.connection || !context.conversation) return null;
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
    conversation: context.conversation ? { ...context.conversation, url: conversationUrl(context) } : null,
    document: context.document ? { filename: context.document.filename } : null,
  };
}
