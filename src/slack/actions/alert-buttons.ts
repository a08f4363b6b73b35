/**
 * The buttons on compliance alert messages. Acknowledge and Resolve move the alert at once;
 * Escalate and False positive first ask for a note in a modal. The alert's message is updated by
 * the `slack.notify` job the transition sends, with who did what and when; a stale button (the
 * alert was decided meanwhile) gets "Nothing changed: …" with who decided.
 */
import type { SlackButton, SlackViewSubmission } from '../../../integrations/types.ts';
import { getAlert } from '../../serving/compliance/alerts/alerts.ts';
import { decideFromSlack } from '../../serving/compliance/alerts/slack-actions.ts';
import { alertActionFor } from '../../serving/compliance/alerts/slack-view.ts';
import { canTransition, VERB } from '../../serving/compliance/alerts/transitions.ts';
import type { SlackContext } from '../context.ts';
import { alertNoteModal, type AlertNoteTarget } from '../views/note-modals.ts';
import { z } from 'zod';

export function isAlertButton(actionId: string): boolean {
  return alertActionFor(actionId) !== null;
}

async function tell(ctx: SlackContext, input: { responseUrl: string | null; userId: string; channelId: string | null }, text: string): Promise<void> {
  if (input.responseUrl) await ctx.slack.respond(input.responseUrl, { text, replaceOriginal: false });
  else if (input.channelId) await ctx.slack.postEphemeral({ channel: input.channelId, user: input.userId, text });
}

/** Who decided the alert last, for a stale button's answer. */
async function lastDecision(ctx: SlackContext, alertId: string): Promise<string> {
  const alert = await getAlert(ctx.deps.database.db, alertId);
  const last = alert?.transitions.at(-1);
  if (!alert || !last) return '';
  const actor = /^slack:([UW][A-Z0-9]+)$/.exec(last.actor)?.[1];
  return ` It was ${VERB[alert.status]} by ${actor ? `<@${actor}>` : `\`${last.actor}\``} at ${last.at.slice(0, 16).replace('T', ' ')} UTC.`;
}

export async function pressAlertButton(ctx: SlackContext, input: SlackButton, actor: string): Promise<void> {
  const to = alertActionFor(input.actionId);
  const alertId = input.value ?? '';
  if (!to || !z.uuid().safeParse(alertId).success) return tell(ctx, input, 'That button is not a tuneloop alert decision.');
  if (to === 'escalated' || to === 'false_positive') {
    const alert = await getAlert(ctx.deps.database.db, alertId);
    if (!alert) return tell(ctx, input, 'This alert no longer exists.');
    if (!canTransition(alert.status, to)) return tell(ctx, input, `Nothing changed: the alert is already ${VERB[alert.status]}.${await lastDecision(ctx, alertId)}`);
    await ctx.slack.openView(input.triggerId, alertNoteModal({ alertId, decision: to }, alert.policyId));
    return;
  }
  const result = await decideFromSlack(ctx.deps.database.db, ctx.deps.queue, { actionId: input.actionId, value: alertId, userId: input.userId });
  if (!result.ok) await tell(ctx, input, `${result.message}${result.message.startsWith('Nothing changed') ? await lastDecision(ctx, alertId) : ''}`);
}

const NoteTarget = z.object({ alertId: z.uuid(), decision: z.enum(['escalated', 'false_positive']) });

/** The note modal submitted: the decision with its note, or the error shown next to the field. */
export async function submitAlertNote(ctx: SlackContext, input: SlackViewSubmission): Promise<{ errors: Record<string, string> } | undefined> {
  let target: AlertNoteTarget;
  try {
    target = NoteTarget.parse(JSON.parse(input.privateMetadata));
  } catch {
    return { errors: { note: 'This form is out of date; press the button on the alert again.' } };
  }
  const note = (input.values.note ?? '').trim();
  if (note.length < 3) return { errors: { note: 'Write at least a few words: the note goes on the audit trail.' } };
  const actionId = target.decision === 'escalated' ? 'compliance_alert_escalate' : 'compliance_alert_false_positive';
  const result = await decideFromSlack(ctx.deps.database.db, ctx.deps.queue, { actionId, value: target.alertId, userId: input.userId, note });
  if (!result.ok) return { errors: { note: `${result.message}${await lastDecision(ctx, target.alertId)}`.slice(0, 150) } };
  return undefined;
}
