/** The Slack message announcing a model's promotion: task, base, where it came from, its metrics. */
import type { models } from '../../db/schema/index.ts';

type Model = typeof models.$inferSelect;

const METRIC_LABELS: Record<string, string> = {
  chrf: 'chrF',
  rouge_l: 'ROUGE-L',
  eval_loss: 'eval loss',
  macro_f1: 'macro-F1',
  accuracy: 'accuracy',
  precision: 'precision',
  recall: 'recall',
};

/** The metrics worth a glance, from the model's stored metrics (evaluation numbers where present). */
function metricLine(metrics: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, label] of Object.entries(METRIC_LABELS)) {
    const value = metrics[key];
    if (typeof value === 'number' && Number.isFinite(value)) parts.push(`${label} ${Number(value.toPrecision(4))}`);
  }
  return parts.join(' · ');
}

export function promotedMessage(model: Model, previousId: string | null, how: 'promote' | 'rollback' = 'promote'): { text: string; blocks: unknown[] } {
  const served = model.providerModel ?? (model.adapterPath ? `LoRA adapter on \`${model.baseModel}\`` : `\`${model.baseModel}\``);
  const metrics = metricLine(model.metrics);
  const lines =
    how === 'rollback'
      ? [`:leftwards_arrow_with_hook: *Rolled back*: model \`${model.id}\` serves *${model.task}* again (${served}).`, ...(previousId ? [`It replaces \`${previousId}\`.`] : [])]
      : [
          `:rocket: Model \`${model.id}\` is now in *production* for *${model.task}* (${served}).`,
          previousId ? `It replaces \`${previousId}\`; \`tuneloop models rollback --task ${model.task}\` switches back.` : 'It is the first production model for this task.',
        ];
  if (metrics) lines.push(metrics);
  return {
    text: how === 'rollback' ? `Rolled back: model ${model.id} serves ${model.task} again` : `Model ${model.id} promoted to production for ${model.task}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `status: ${model.status}${model.fineTuningJobId ? ` · run \`${model.fineTuningJobId}\`` : ''}${model.datasetVersionId ? ` · dataset version \`${model.datasetVersionId}\`` : ''}` }] },
    ],
  };
}
