/**
 * What the Slack app calls when someone presses a button on an alert message (a `block_actions`
 * payload, already verified by the app's signing-secret check): the action id names the decision,
 * the value the alert, the Slack user the actor. The alert's message is then updated by the
 * `slack.notify` job that the transition sends.
 *
 *   app.action(/^compliance_alert_/, async ({ ack, action, body, respond }) => {
 *     await ack();
 *     const result = await decideFromSlack(db, queue, { actionId: action.action_id, value: action.value, userId: body.user.id });
 *     if (!result.ok) await respond({ response_type: 'ephemeral', replace_original: false, text: result.message });
 *   });
 */
import { z } from 'zod';
import type { Tx } from '../../../db/client.ts';
import type { Queue } from '../../../queue/queue.ts';
import { transitionAlert, TransitionError, type Alert } from './alerts.ts';
import { alertActionFor } from './slack-view.ts';

const SlackAction = z.object({
  actionId: z.string().min(1).max(255),
  value: z.uuid(),
  userId: z.string().regex(/^[UW][A-Z0-9]+$/),
  note: z.string().max(2000).optional(),
});

export type SlackDecision = { ok: true; alert: Alert } | { ok: false; message: string };

export async function decideFromSlack(db: Tx, queue: Queue | null, input: unknown): Promise<SlackDecision> {
  const parsed = SlackAction.safeParse(input);
  if (!parsed.success) return { ok: false, message: 'That button is not a tuneloop alert decision.' };
  const to = alertActionFor(parsed.data.actionId);
  if (!to) return { ok: false, message: 'That button is not a tuneloop alert decision.' };
  try {
    const alert = await transitionAlert(db, queue, parsed.data.value, { to, actor: `slack:${parsed.data.userId}`, note: parsed.data.note ?? null });
    return alert ? { ok: true, alert } : { ok: false, message: 'This alert no longer exists.' };
  } catch (error) {
    // Someone else decided first: the message is being updated; tell this person why nothing happened.
    if (error instanceof TransitionError) return { ok: false, message: `Nothing changed: ${error.message}.` };
    throw error;
  }
}
