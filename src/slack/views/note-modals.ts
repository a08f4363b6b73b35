/**
 * Modals that ask for a note before a decision: escalating an alert or marking it a false positive,
 * and promoting a candidate the gate blocks (the reason goes on the record). Pure functions; the
 * decision's target rides in private_metadata.
 * https://docs.slack.dev/surfaces/modals
 */
export const ALERT_NOTE_CALLBACK = 'alert_note';
export const PROMOTE_REASON_CALLBACK = 'promote_reason';

export interface AlertNoteTarget {
  alertId: string;
  decision: 'escalated' | 'false_positive';
}

export function alertNoteModal(target: AlertNoteTarget, policyId: string): Record<string, unknown> {
  const verb = target.decision === 'escalated' ? 'Escalate' : 'Mark as false positive';
  return {
    type: 'modal',
    callback_id: ALERT_NOTE_CALLBACK,
    private_metadata: JSON.stringify(target),
    title: { type: 'plain_text', text: verb.slice(0, 24) },
    submit: { type: 'plain_text', text: verb.slice(0, 24) },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Alert \`${target.alertId.slice(0, 8)}\` (\`${policyId.replace(/[<>&`]/g, '')}\`). The note goes on the alert's audit trail.` } },
      {
        type: 'input',
        block_id: 'note',
        label: { type: 'plain_text', text: target.decision === 'escalated' ? 'Why escalate, and to whom?' : 'Why is this not a violation?' },
        element: { type: 'plain_text_input', action_id: 'note', multiline: true, min_length: 3, max_length: 2000 },
      },
    ],
  };
}

export function promoteReasonModal(modelId: string, gateReason: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: PROMOTE_REASON_CALLBACK,
    private_metadata: JSON.stringify({ modelId }),
    title: { type: 'plain_text', text: 'Promote past the gate' },
    submit: { type: 'plain_text', text: 'Promote' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `The gate blocks \`${modelId}\`: ${gateReason.replace(/[<>&]/g, '')}\nPromoting anyway is recorded with your reason.` } },
      { type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason', multiline: true, min_length: 3, max_length: 1000 } },
    ],
  };
}
