/**
 * The live Slack message of one retraining, a pure function of its state: harvest counts → dataset
 * counts and PII replacements → training step, losses and ETA → the evaluation table, candidate
 * against production (or its base) on the held-out split → Promote / Reject with the gate's verdict
 * → who decided, and when. Updated in place (keep-updated.ts) as the run moves.
 * https://docs.slack.dev/reference/block-kit/blocks
 */
import type { GateVerdict } from '../../models/registry/gate.ts';
import type { FineTuningJob } from '../../training/status.ts';
import { progressBar } from './run-view.ts';

export const CANDIDATE_ACTIONS = { promote: 'candidate_promote', reject: 'candidate_reject' } as const;

export interface RetrainState {
  run: { id: string; task: string; status: string; error: string | null; requestedBy: string | null; createdAt: Date };
  harvests: Array<{ connection: string; status: string; seen: number; created: number; updated: number; error: string | null }>;
  dataset: { name: string; version: number | null; status: string; examples: Record<string, number> | null; replacements: Record<string, number> | null; dropped: number | null } | null;
  job: Pick<FineTuningJob, 'id' | 'status' | 'model' | 'progress' | 'error'> | null;
  model: { id: string; status: string } | null;
  evaluation: { status: string; error: string | null; candidate: Record<string, number>; baseline: Record<string, number> | null; baselineLabel: string | null } | null;
  verdict: Pick<GateVerdict, 'allowed' | 'reason'> | null;
  decision: { kind: 'promote' | 'reject'; actor: string; at: Date; forced: boolean; reason: string | null } | null;
}

const num = (value: number | null | undefined, digits = 4) => (typeof value === 'number' && Number.isFinite(value) ? Number(value.toPrecision(digits)).toString() : '—');

function who(actor: string): string {
  const slackUser = /^slack:([UW][A-Z0-9]+)$/.exec(actor);
  return slackUser ? `<@${slackUser[1]}>` : `\`${actor.replace(/[`<>&]/g, '')}\``;
}

const STEP_EMOJI = { done: ':white_check_mark:', running: ':hourglass_flowing_sand:', failed: ':x:', waiting: ':white_small_square:' };

function harvestLine(state: RetrainState): string {
  if (!state.harvests.length) return `${STEP_EMOJI.done} *Harvest*: skipped (trained on a given dataset version)`;
  const running = state.harvests.some((h) => h.status === 'queued' || h.status === 'running');
  const parts = state.harvests.map((h) => `${h.connection}: ${h.seen} seen, ${h.created} new, ${h.updated} updated${h.status === 'failed' ? ` (failed: ${h.error ?? 'no reason'})` : h.status === 'running' || h.status === 'queued' ? ` (${h.status})` : ''}`);
  return `${running ? STEP_EMOJI.running : STEP_EMOJI.done} *Harvest* · ${parts.join(' · ')}`;
}

function datasetLine(state: RetrainState): string {
  const d = state.dataset;
  if (!d) return `${STEP_EMOJI.waiting} *Dataset*`;
  const label = `${d.name}${d.version !== null ? `@${d.version}` : ''}`;
  if (d.status === 'failed') return `${STEP_EMOJI.failed} *Dataset* ${label} failed`;
  if (d.status !== 'ready' || !d.examples) return `${STEP_EMOJI.running} *Dataset* ${label}: building…`;
  const splits = ['train', 'validation', 'test'].filter((split) => split in d.examples!).map((split) => `${d.examples![split]} ${split}`).join(' / ');
  const pii = d.replacements ? Object.entries(d.replacements).filter(([, n]) => n > 0).map(([type, n]) => `${n} ${type}`).join(', ') : '';
  return `${STEP_EMOJI.done} *Dataset* ${label}: ${splits} examples${d.dropped ? `, ${d.dropped} dropped by filters and dedup` : ''}${pii ? ` · PII replaced: ${pii}` : ''}`;
}

function trainingLine(state: RetrainState): string {
  const job = state.job;
  if (!job) return `${STEP_EMOJI.waiting} *Training*`;
  const p = job.progress;
  if (job.status === 'failed' || job.status === 'cancelled') return `${STEP_EMOJI.failed} *Training* ${job.status}${job.error ? `: ${job.error.message}` : ''}`;
  const parts = [`on \`${job.model}\``];
  if (p.step !== undefined && p.totalSteps) parts.push(`\`${progressBar(p.step / p.totalSteps)}\` step ${p.step}/${p.totalSteps}`);
  if (typeof p.loss === 'number') parts.push(`loss ${num(p.loss)}`);
  if (typeof p.evalLoss === 'number') parts.push(`eval loss ${num(p.evalLoss)}`);
  if (job.status === 'running' && typeof p.etaSeconds === 'number') parts.push(`ETA ${Math.max(1, Math.round(p.etaSeconds / 60))} min`);
  return `${job.status === 'succeeded' ? STEP_EMOJI.done : STEP_EMOJI.running} *Training* ${job.status === 'succeeded' ? 'done' : job.status.replace('_', ' ')} · ${parts.join(' · ')}`;
}

/** The metrics both sides have, as a small table in a code block. */
function evaluationTable(evaluation: NonNullable<RetrainState['evaluation']>): string {
  const names = ['chrf', 'rouge_l', 'eval_loss', 'accuracy', 'macro_f1', 'precision', 'recall'].filter((name) => typeof evaluation.candidate[name] === 'number');
  const baseline = evaluation.baselineLabel ?? 'baseline';
  const rows = names.map((name) => `${name.padEnd(10)} ${num(evaluation.candidate[name]).padStart(10)} ${num(evaluation.baseline?.[name]).padStart(12)}`);
  return `\`\`\`${'metric'.padEnd(10)} ${'candidate'.padStart(10)} ${baseline.padStart(12)}\n${rows.join('\n')}\`\`\``;
}

export function retrainMessage(state: RetrainState): { text: string; blocks: unknown[] } {
  const { run } = state;
  const lines = [harvestLine(state), datasetLine(state), trainingLine(state)];
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: `Retraining ${run.task}`, emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
  ];
  const evaluation = state.evaluation;
  if (evaluation && state.model) {
    if (evaluation.status === 'succeeded') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${STEP_EMOJI.done} *Evaluation* on the held-out split\n${evaluationTable(evaluation)}` } });
    else if (evaluation.status === 'failed') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${STEP_EMOJI.failed} *Evaluation* failed: ${evaluation.error ?? 'no reason given'}` } });
    else blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${STEP_EMOJI.running} *Evaluation* ${evaluation.status}…` } });
  }
  if (run.status === 'failed') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `${STEP_EMOJI.failed} ${run.error ?? 'failed'}` } });

  const model = state.model;
  if (state.decision && model) {
    const d = state.decision;
    const what = d.kind === 'promote' ? `:rocket: promoted to production${d.forced ? ' past the gate' : ''}` : ':no_entry_sign: rejected';
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `\`${model.id}\` ${what} by ${who(d.actor)} at ${d.at.toISOString().slice(0, 16).replace('T', ' ')} UTC${d.reason ? ` — "${d.reason.replace(/[<>&]/g, '')}"` : ''}` }] });
  } else if (model && evaluation?.status === 'succeeded' && state.verdict && model.status === 'candidate') {
    const gate = state.verdict.allowed ? `:white_check_mark: The gate passes: ${state.verdict.reason}` : `:no_entry: The gate blocks it: ${state.verdict.reason}. Promote asks for a reason.`;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: gate } });
    blocks.push({
      type: 'actions',
      block_id: 'candidate_decision',
      elements: [
        { type: 'button', action_id: CANDIDATE_ACTIONS.promote, text: { type: 'plain_text', text: 'Promote' }, value: model.id, style: 'primary' },
        { type: 'button', action_id: CANDIDATE_ACTIONS.reject, text: { type: 'plain_text', text: 'Reject' }, value: model.id, style: 'danger' },
      ],
    });
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `retraining \`${run.id}\`${run.requestedBy ? ` · asked by ${who(run.requestedBy)}` : ''}${model ? ` · candidate \`${model.id}\`` : ''}` }] });
  return { text: `Retraining ${run.task}: ${run.status}`, blocks };
}
