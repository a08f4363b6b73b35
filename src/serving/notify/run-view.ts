/**
 * The Slack message of a fine-tuning run, one pure function of the job row: status, a progress
 * bar with step, losses and ETA while it runs, the error when it failed, the model when it
 * succeeded. Updated in place as the run moves (see keep-updated.ts).
 * https://docs.slack.dev/reference/block-kit/blocks
 */
import type { GateVerdict } from '../../models/registry/gate.ts';
import type { FineTuningJob } from '../../training/status.ts';

const STATUS_EMOJI: Record<string, string> = {
  validating_files: ':mag:',
  queued: ':hourglass_flowing_sand:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

const BAR_WIDTH = 20;

export function progressBar(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(clamped * BAR_WIDTH);
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)} ${Math.floor(clamped * 100)}%`;
}

const num = (value: number | null | undefined) => (typeof value === 'number' && Number.isFinite(value) ? Number(value.toPrecision(4)).toString() : null);

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))}s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h ${Math.round((seconds % 3600) / 60)}m`;
}

/** The line under the title: progress while running, the outcome once finished. */
function detail(job: FineTuningJob, modelId: string | null): string {
  const progress = job.progress;
  const parts: string[] = [];
  if (job.status === 'running' && progress.step !== undefined && progress.totalSteps) {
    parts.push(`\`${progressBar(progress.step / progress.totalSteps)}\``, `step ${progress.step}/${progress.totalSteps}`);
  }
  const loss = num(progress.loss);
  const evalLoss = num(progress.evalLoss);
  const best = num(progress.bestEvalLoss);
  if (loss) parts.push(`train loss ${loss}`);
  if (evalLoss) parts.push(`validation loss ${evalLoss}`);
  if (best && job.status !== 'running') parts.push(`best validation loss ${best}`);
  if (job.status === 'running' && typeof progress.etaSeconds === 'number') parts.push(`about ${duration(progress.etaSeconds)} left`);
  if (job.status === 'failed' && job.error) parts.push(`error: ${job.error.message}`);
  if (job.status === 'succeeded' && modelId) parts.push(`candidate model \`${modelId}\` (evaluation follows; promote with \`tuneloop models promote ${modelId}\`)`);
  return parts.join(' · ') || job.status.replace('_', ' ');
}

/** What the run's candidate was measured at, and whether the gate lets it through. */
export interface RunEvaluation {
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  error: string | null;
  verdict: Pick<GateVerdict, 'allowed' | 'reason' | 'baseline' | 'metrics'> | null;
  inProduction?: boolean;
}

function evaluationLine(modelId: string, evaluation: RunEvaluation): string {
  if (evaluation.status === 'queued' || evaluation.status === 'running') return `:hourglass_flowing_sand: evaluation ${evaluation.status}…`;
  if (evaluation.status === 'failed') return `:x: evaluation failed: ${evaluation.error ?? 'no reason given'}`;
  if (evaluation.inProduction) return ':rocket: in production';
  const verdict = evaluation.verdict;
  if (!verdict) return ':white_check_mark: evaluated';
  const against = verdict.baseline?.label === 'production' ? 'production' : 'its base model';
  const metrics = verdict.metrics.map((m) => `${m.pass ? '✓' : '✗'} ${m.metric} ${num(m.candidate) ?? 'n/a'} vs ${num(m.baseline) ?? 'n/a'}`).join(' · ');
  const ask = verdict.allowed
    ? `:white_check_mark: the gate passes against ${against}. Promote: \`tuneloop models promote ${modelId}\``
    : `:no_entry: the gate blocks it against ${against}: ${verdict.reason}`;
  return `${ask}${metrics ? `\n${metrics}` : ''}`;
}

export function runMessage(job: FineTuningJob, modelId: string | null, evaluation: RunEvaluation | null = null): { text: string; blocks: unknown[] } {
  const emoji = STATUS_EMOJI[job.status] ?? ':grey_question:';
  const title = `${emoji} Fine-tuning run for *${job.task}* on \`${job.model}\`: *${job.status.replace('_', ' ')}*`;
  const body = detail(job, modelId);
  const evaluated = modelId && evaluation ? `\n${evaluationLine(modelId, evaluation)}` : '';
  return {
    text: `Fine-tuning run ${job.id} (${job.task}): ${job.status}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${title}\n${body}${evaluated}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `run \`${job.id}\` · ${job.backend} · ${job.method}` }] },
    ],
  };
}
