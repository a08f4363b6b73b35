/**
 * Compliance alerts in the database: raise (one per message and policy), list, show, and move
 * through the state machine. Every change is audited in the same transaction, and a Slack sync
 * job is sent in it too, so the alert message in Slack follows the alert.
 */
import { and, desc, eq, lt, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../../db/client.ts';
import { complianceAlerts, type AlertSeverity, type AlertStatus, type AlertTransition } from '../../../db/schema/index.ts';
import { recordAudit } from '../../../audit.ts';
import type { Queue } from '../../../queue/queue.ts';
import { emitEvent } from '../../../events/emit.ts';
import type { Finding } from '../policies/policies.ts';
import { canTransition, TRANSITIONS } from './transitions.ts';
import { afterRow } from '../../../db/keyset.ts';

export type Alert = typeof complianceAlerts.$inferSelect;

export class TransitionError extends Error {
  override name = 'TransitionError';
  constructor(
    readonly from: AlertStatus,
    readonly to: AlertStatus,
  ) {
    const state = from.replace('_', ' ');
    super(`${/^[aeiou]/.test(state) ? 'an' : 'a'} ${state} alert cannot become ${to.replace('_', ' ')}${TRANSITIONS[from].length ? ` (allowed: ${TRANSITIONS[from].join(', ')})` : ' (it is final)'}`);
  }
}

/**
 * Inserts the alerts for `findings` on one message; an existing (message, policy) alert is left as
 * it is (the unique index makes a retried or repeated scan a no-op). Returns only the new ones.
 */
/** What an alert needs of its policy: rule policies and the compliance model's findings alike. */
export type AlertPolicy = Pick<Finding['policy'], 'id' | 'version' | 'severity'>;

export async function raiseAlerts(tx: Tx, queue: Queue | null, message: { id: number; conversationId: number }, findings: Array<{ policy: AlertPolicy; evidence: Finding['evidence'] }>): Promise<Alert[]> {
  if (!findings.length) return [];
  const raised = await tx
    .insert(complianceAlerts)
    .values(
      findings.map((finding) => ({
        messageId: message.id,
        conversationId: message.conversationId,
        policyId: finding.policy.id,
        policyVersion: finding.policy.version,
        severity: finding.policy.severity,
        evidence: finding.evidence,
      })),
    )
    .onConflictDoNothing({ target: [complianceAlerts.messageId, complianceAlerts.policyId] })
    .returning();
  for (const alert of raised) {
    // The evidence is personal data: the audit names the policy, not what matched.
    await recordAudit(tx, { actor: 'system', action: 'alert.raised', subjectType: 'compliance_alert', subjectId: alert.id, details: { policyId: alert.policyId, policyVersion: alert.policyVersion, severity: alert.severity, messageId: alert.messageId } });
    if (queue) await queue.send('slack.notify', { kind: 'alert.raised', subjectId: alert.id }, { tx });
    // Receivers get the policy and where it matched, not the evidence (personal data).
    const data = { policyId: alert.policyId, policyVersion: alert.policyVersion, severity: alert.severity, messageId: alert.messageId, conversationId: alert.conversationId };
    await emitEvent(tx, { type: 'alert.raised', subjectId: alert.id, data }, { queue });
  }
  return raised;
}

export async function getAlert(db: Tx, id: string): Promise<Alert | null> {
  const [alert] = await db.select().from(complianceAlerts).where(eq(complianceAlerts.id, id));
  return alert ?? null;
}

export interface AlertFilter {
  status?: AlertStatus | undefined;
  severity?: AlertSeverity | undefined;
  policyId?: string | undefined;
  conversationId?: number | undefined;
  /** Keyset paging: alerts created before this one. */
  before?: Date | undefined;
  /** Keyset paging: alerts after this alert in the list's order. */
  afterId?: string | undefined;
  limit?: number | undefined;
}

export async function listAlerts(db: Tx, filter: AlertFilter = {}): Promise<Alert[]> {
  const where: SQL[] = [];
  if (filter.status) where.push(eq(complianceAlerts.status, filter.status));
  if (filter.severity) where.push(eq(complianceAlerts.severity, filter.severity));
  if (filter.policyId) where.push(eq(complianceAlerts.policyId, filter.policyId));
  if (filter.conversationId) where.push(eq(complianceAlerts.conversationId, filter.conversationId));
  if (filter.before) where.push(lt(complianceAlerts.createdAt, filter.before));
  if (filter.afterId) where.push(afterRow(complianceAlerts, complianceAlerts.createdAt, complianceAlerts.id, filter.afterId));
  return db
    .select()
    .from(complianceAlerts)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(complianceAlerts.createdAt), desc(complianceAlerts.id))
    .limit(filter.limit ?? 50);
}

export interface TransitionInput {
  to: AlertStatus;
  actor: string;
  note?: string | null | undefined;
}

/**
 * Moves an alert to `to`, or throws TransitionError and changes nothing. The row is locked, so two
 * people pressing buttons at once are serialised and the second sees the first's decision.
 * Returns null when there is no such alert.
 */
export async function transitionAlert(db: Tx, queue: Queue | null, id: string, input: TransitionInput): Promise<Alert | null> {
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(complianceAlerts).where(eq(complianceAlerts.id, id)).for('update');
    if (!current) return null;
    if (!canTransition(current.status, input.to)) throw new TransitionError(current.status, input.to);
    const step: AlertTransition = { from: current.status, to: input.to, actor: input.actor, at: new Date().toISOString(), note: input.note ?? null };
    const [updated] = await tx
      .update(complianceAlerts)
      .set({ status: input.to, transitions: sql`${complianceAlerts.transitions} || ${JSON.stringify([step])}::jsonb`, updatedAt: new Date() })
      .where(eq(complianceAlerts.id, id))
      .returning();
    await recordAudit(tx, { actor: input.actor, action: `alert.${input.to}`, subjectType: 'compliance_alert', subjectId: id, details: { from: current.status, to: input.to, note: input.note ?? null, policyId: current.policyId } });
    if (queue) await queue.send('slack.notify', { kind: 'alert.raised', subjectId: id }, { tx });
    return updated ?? null;
  });
}
