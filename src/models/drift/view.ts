/**
 * The Slack message for a `drift.detected` notification (slack.notify, subject = the report id):
 * which task drifted, why, and what to do. A pure view; src/serving/notify dispatches by kind.
 */
import type { DriftMetrics } from './metrics.ts';
import type { DriftReport } from './check.ts';

export function driftMessage(report: Pick<DriftReport, 'id' | 'task' | 'modelId' | 'score'> & { metrics: Record<string, unknown> }): { text: string; blocks: unknown[] } {
  const metrics = report.metrics as Partial<DriftMetrics>;
  const reasons = Array.isArray(metrics.reasons) ? metrics.reasons.filter((reason): reason is string => typeof reason === 'string') : [];
  const lines = [
    `:warning: *Drift* on *${report.task}*: live inputs no longer look like the training set of model \`${report.modelId ?? 'unknown'}\` (score ${report.score}).`,
    ...reasons.map((reason) => `• ${reason}`),
    `\`tuneloop drift check --task ${report.task}\` shows the numbers; a retraining policy with \`--on-drift\` retrains on its next evaluation.`,
  ];
  return {
    text: `Drift on ${report.task}: ${reasons.join('; ') || 'see the report'}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `report \`${report.id}\`` }] },
    ],
  };
}
