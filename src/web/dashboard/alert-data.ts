/** Reads behind the alert pages: alerts filtered by policy, state and source, and an alert's audit trail. */
import { and, asc, desc, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { auditEvents, complianceAlerts, conversations, type AlertStatus } from '../../db/schema/index.ts';

export interface AlertListFilter {
  policy?: string | undefined;
  status?: AlertStatus | undefined;
  source?: string | undefined;
}

export async function listAlertsBy(db: Db, filter: AlertListFilter, limit = 100) {
  const where: SQL[] = [];
  if (filter.policy) where.push(eq(complianceAlerts.policyId, filter.policy));
  if (filter.status) where.push(eq(complianceAlerts.status, filter.status));
  if (filter.source) where.push(eq(conversations.source, filter.source));
  return db
    .select({ alert: complianceAlerts, source: conversations.source, subject: conversations.subject })
    .from(complianceAlerts)
    .innerJoin(conversations, eq(conversations.id, complianceAlerts.conversationId))
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(complianceAlerts.createdAt), desc(complianceAlerts.id))
    .limit(limit);
}

/** The values the filters offer: what exists, so a filter never comes up empty by typo. */
export async function alertFacets(db: Db): Promise<{ policies: string[]; sources: string[] }> {
  const policies = await db.selectDistinct({ value: complianceAlerts.policyId }).from(complianceAlerts).orderBy(complianceAlerts.policyId);
  const sources = await db.selectDistinct({ value: conversations.source }).from(complianceAlerts).innerJoin(conversations, eq(conversations.id, complianceAlerts.conversationId)).orderBy(conversations.source);
  return { policies: policies.map((row) => row.value), sources: sources.map((row) => row.value) };
}

export async function alertAuditTrail(db: Db, alertId: string) {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.subjectType, 'compliance_alert'), eq(auditEvents.subjectId, alertId)))
    .orderBy(asc(auditEvents.id))
    .limit(500);
}

/** A message body cut around its evidence spans: text, marked span, text, … (spans may overlap). */
export function splitAtSpans(body: string, spans: Array<{ start: number; end: number }>): Array<{ text: string; marked: boolean }> {
  const sorted = spans.filter((s) => s.start >= 0 && s.end > s.start && s.start < body.length).sort((a, b) => a.start - b.start);
  const parts: Array<{ text: string; marked: boolean }> = [];
  let at = 0;
  for (const span of sorted) {
    const start = Math.max(span.start, at);
    const end = Math.min(span.end, body.length);
    if (end <= start) continue;
    if (start > at) parts.push({ text: body.slice(at, start), marked: false });
    parts.push({ text: body.slice(start, end), marked: true });
    at = end;
  }
  if (at < body.length) parts.push({ text: body.slice(at), marked: false });
  return parts;
}

