/**
 * The alert state machine. open → acknowledged → escalated → resolved; an open alert may also be
 * escalated at once (a critical finding), an acknowledged one resolved without escalation; any
 * undecided alert may be marked a false positive. resolved and false_positive are final.
 */
import type { AlertStatus } from '../../../db/schema/index.ts';

export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'escalated', 'resolved', 'false_positive'];

export const TRANSITIONS: Record<AlertStatus, readonly AlertStatus[]> = {
  open: ['acknowledged', 'escalated', 'false_positive'],
  acknowledged: ['escalated', 'resolved', 'false_positive'],
  escalated: ['resolved', 'false_positive'],
  resolved: [],
  false_positive: [],
};

export function canTransition(from: AlertStatus, to: AlertStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isFinal(status: AlertStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

/** Past tense for messages and the Slack context line. */
export const VERB: Record<AlertStatus, string> = {
  open: 'reopened',
  acknowledged: 'acknowledged',
  escalated: 'escalated',
  resolved: 'resolved',
  false_positive: 'marked as false positive',
};
