/**
 * The Slack message of an alert, one pure function of its state: evidence with the matched span in
 * bold code, policy, severity, a link to the conversation, the decisions so far, and buttons for
 * the decisions still possible (none once resolved or a false positive). Buttons carry the alert
 * id as value; the Slack app maps the action id back with `alertActionFor`.
 * https://docs.slack.dev/reference/block-kit/blocks
 */
import type { AlertSeverity, AlertStatus, AlertTransition, EvidenceSpan } from '../../../db/schema/index.ts';
import { TRANSITIONS, VERB } from './transitions.ts';

export interface AlertView {
  id: string;
  policyId: string;
  policyVersion: number;
  policyDescription: string | null;
  severity: AlertSeverity;
  status: AlertStatus;
  evidence: EvidenceSpan[];
  transitions: AlertTransition[];
  /** The scanned message's text, for a little context around each span; null if it is gone. */
  body: string | null;
  conversation: { source: string; sourceId: string; subject: string | null; url: string | null } | null;
  /** Set when a document (an attachment or an upload) broke the policy; evidence then names pages. */
  document: { filename: string } | null;
}

export const SEVERITY_EMOJI: Record<AlertSeverity, string> = { low: ':large_blue_circle:', medium: ':large_yellow_circle:', high: ':large_orange_circle:', critical: ':red_circle:' };

/** Button action ids, by the status they move the alert to. */
export const ALERT_ACTIONS: Partial<Record<AlertStatus, { actionId: string; label: string; style?: 'primary' | 'danger' }>> = {
  acknowledged: { actionId: 'compliance_alert_acknowledge', label: 'Acknowledge' },
  escalated: { actionId: 'compliance_alert_escalate', label: 'Escalate', style: 'danger' },
  false_positive: { actionId: 'compliance_alert_false_positive', label: 'False positive' },
  resolved: { actionId: 'compliance_alert_resolve', label: 'Resolve', style: 'primary' },
};

/** The status a button's action id asks for, or null if it is not one of ours. */
export function alertActionFor(actionId: string): AlertStatus | null {
  for (const [status, action] of Object.entries(ALERT_ACTIONS)) if (action.actionId === actionId) return status as AlertStatus;
  return null;
}

const CONTEXT_CHARS = 60;
const MAX_SHOWN = 5;

/** Slack mrkdwn control characters: &, < and > must be escaped; formatting marks are neutralised. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/[*_~`]/g, (ch) => `\u200b${ch}\u200b`).replace(/\s+/g, ' ');
}

function evidenceLine(span: EvidenceSpan, body: string | null): string {
  const matched = `*\`${escapeMrkdwn(span.excerpt).replace(/`/g, "'")}\`*`;
  const where = span.page ? `page ${span.page}, ` : '';
  if (!body || body.slice(span.start, span.start + span.excerpt.length) !== span.excerpt) return `> ${matched}  _(${where}${span.kind})_`;
  const from = Math.max(0, span.start - CONTEXT_CHARS);
  const to = Math.min(body.length, span.end + CONTEXT_CHARS);
  const before = `${from > 0 ? '…' : ''}${escapeMrkdwn(body.slice(from, span.start))}`;
  const after = `${escapeMrkdwn(body.slice(span.end, to))}${to < body.length ? '…' : ''}`;
  return `> ${before}${matched}${after}  _(${where}${span.kind})_`;
}

function actorMention(actor: string): string {
  const slackUser = /^slack:([UW][A-Z0-9]+)$/.exec(actor);
  return slackUser ? `<@${slackUser[1]}>` : `\`${escapeMrkdwn(actor)}\``;
}

function statusLabel(status: AlertStatus): string {
  return status.replace('_', ' ');
}

export function alertMessageText(view: AlertView): string {
  return `Compliance alert (${view.severity}): ${view.policyId} — ${statusLabel(view.status)}`;
}

export function alertBlocks(view: AlertView): unknown[] {
  const { conversation } = view;
  const label = conversation ? `${conversation.source} ${conversation.sourceId}${conversation.subject ? `: ${conversation.subject.slice(0, 80)}` : ''}` : 'uploaded document';
  const link = conversation?.url ? `<${conversation.url}|${escapeMrkdwn(label)}>` : escapeMrkdwn(label);
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `Compliance alert: ${view.policyId}`.slice(0, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Policy*\n\`${view.policyId}\` v${view.policyVersion}` },
        { type: 'mrkdwn', text: `*Severity*\n${SEVERITY_EMOJI[view.severity]} ${view.severity}` },
        { type: 'mrkdwn', text: `*Status*\n${statusLabel(view.status)}` },
        { type: 'mrkdwn', text: `*Conversation*\n${link}` },
      ],
    },
  ];
  if (view.document) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:page_facing_up: In the document *${escapeMrkdwn(view.document.filename).slice(0, 200)}*` }] });
  if (view.policyDescription) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(view.policyDescription).slice(0, 2000) }] });
  const shown = view.evidence.slice(0, MAX_SHOWN).map((span) => evidenceLine(span, view.body));
  const more = view.evidence.length > MAX_SHOWN ? `\n_and ${view.evidence.length - MAX_SHOWN} more_` : '';
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Evidence*\n${shown.join('\n')}${more}`.slice(0, 3000) } });
  if (view.transitions.length) {
    const lines = view.transitions.slice(-5).map((step) => `${VERB[step.to]} by ${actorMention(step.actor)} at ${step.at.slice(0, 16).replace('T', ' ')} UTC${step.note ? `: ${escapeMrkdwn(step.note).slice(0, 300)}` : ''}`);
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: lines.join('\n').slice(0, 3000) }] });
  }
  const buttons = TRANSITIONS[view.status].flatMap((to) => {
    const action = ALERT_ACTIONS[to];
    if (!action) return [];
    return [{ type: 'button', action_id: action.actionId, value: view.id, text: { type: 'plain_text', text: action.label }, ...(action.style ? { style: action.style } : {}) }];
  });
  if (buttons.length) blocks.push({ type: 'actions', block_id: `compliance_alert:${view.id}`, elements: buttons });
  return blocks;
}
