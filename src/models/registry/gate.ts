/**
 * The promotion gate: a candidate replaces production only when its latest evaluation (on the
 * held-out test split, side by side with production or, for a task's first model, the base model)
 * is at least as good on the task's primary metrics, within the configured tolerance.
 */
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import { latestEvaluation, type EvaluationReport, type ModelMetrics } from '../evaluation/evaluations.ts';

type Direction = 'higher' | 'lower';
type MetricName = 'chrf' | 'eval_loss' | 'macro_f1' | 'recall' | 'precision';

interface PrimaryMetric {
  metric: MetricName;
  direction: Direction;
  /** Optional metrics count only when both sides have them. */
  required: boolean;
}

/** Per task, in the order they are checked and shown. */
const PRIMARY_METRICS: Record<string, PrimaryMetric[]> = {
  reply: [
    { metric: 'chrf', direction: 'higher', required: true },
    { metric: 'eval_loss', direction: 'lower', required: false },
  ],
  triage: [{ metric: 'macro_f1', direction: 'higher', required: true }],
  compliance: [
    { metric: 'recall', direction: 'higher', required: true },
    { metric: 'precision', direction: 'higher', required: true },
  ],
};
// Preference (DPO) models write replies.
PRIMARY_METRICS.preference = PRIMARY_METRICS.reply ?? [];

/**
 * A task's primary metrics; a policy's classifier (`compliance:<policy>`) is judged like the
 * compliance model: recall first (it must keep what the current stage catches), then precision.
 */
function primaryMetrics(task: string): PrimaryMetric[] | undefined {
  return PRIMARY_METRICS[task] ?? (task.startsWith('compliance:') ? PRIMARY_METRICS.compliance : undefined);
}

export interface GateMetric {
  metric: MetricName;
  direction: Direction;
  candidate: number | null;
  baseline: number | null;
  tolerance: number;
  pass: boolean;
}

export interface GateVerdict {
  allowed: boolean;
  /** One line: why it passes or what blocks it. */
  reason: string;
  evaluationId: string | null;
  baseline: { modelId: string | null; label: 'production' | 'base' } | null;
  metrics: GateMetric[];
}

export type GateTolerances = Pick<Config, 'GATE_TOLERANCE' | 'GATE_METRIC_TOLERANCES'>;
/** What the gate reads of an evaluation (latestEvaluation's row). */
type Evaluation = { id: string; status: 'queued' | 'running' | 'succeeded' | 'failed'; report: EvaluationReport | null } | null;

const blocked = (reason: string, evaluationId: string | null = null): GateVerdict => ({ allowed: false, reason, evaluationId, baseline: null, metrics: [] });

function value(metrics: ModelMetrics, metric: MetricName): number | null {
  const found = metrics[metric];
  return typeof found === 'number' && Number.isFinite(found) ? found : null;
}

function compare(report: EvaluationReport, task: string, tolerances: GateTolerances): GateMetric[] {
  const out: GateMetric[] = [];
  for (const primary of primaryMetrics(task) ?? []) {
    const candidate = value(report.candidate, primary.metric);
    const baseline = report.baseline ? value(report.baseline, primary.metric) : null;
    if (!primary.required && (candidate === null || (report.baseline && baseline === null))) continue;
    const tolerance = tolerances.GATE_METRIC_TOLERANCES?.[primary.metric] ?? tolerances.GATE_TOLERANCE;
    // 1e-12 absorbs float noise, so equal metrics computed two ways still pass.
    const pass =
      candidate !== null && (report.baseline === null || (baseline !== null && (primary.direction === 'higher' ? candidate >= baseline - tolerance - 1e-12 : candidate <= baseline + tolerance + 1e-12)));
    out.push({ metric: primary.metric, direction: primary.direction, candidate, baseline, tolerance, pass });
  }
  return out;
}

const describe = (m: GateMetric) => `${m.metric} ${m.candidate ?? 'missing'} vs ${m.baseline ?? 'missing'}${m.direction === 'lower' ? ' (lower is better)' : ''}`;

/** The verdict for `modelId` of `task` given its latest evaluation and today's production model. */
export function gateVerdict(input: { task: string; modelId: string; evaluation: Evaluation; productionModelId: string | null; tolerances: GateTolerances }): GateVerdict {
  const { evaluation, productionModelId } = input;
  if (!evaluation) return blocked(`model ${input.modelId} has no evaluation; run one first (model.evaluate)`);
  if (evaluation.status !== 'succeeded' || !evaluation.report) return blocked(`the latest evaluation of model ${input.modelId} is ${evaluation.status}, not succeeded`, evaluation.id);
  const report = evaluation.report;
  const baseline = report.baseline ? { modelId: report.baseline.modelId, label: report.baseline.label } : null;
  const metrics = compare(report, input.task, input.tolerances);
  const verdict = (allowed: boolean, reason: string): GateVerdict => ({ allowed, reason, evaluationId: evaluation.id, baseline, metrics });

  if (!primaryMetrics(input.task)) return verdict(false, `no primary metrics are defined for task "${input.task}"`);
  if (productionModelId !== null && (!baseline || baseline.label !== 'production' || baseline.modelId !== productionModelId)) {
    const against = baseline ? `${baseline.label}${baseline.modelId ? ` ${baseline.modelId}` : ''}` : 'no baseline';
    return verdict(false, `the evaluation compared against ${against}, but production is now ${productionModelId}; evaluate again`);
  }
  if (metrics.length === 0) return verdict(false, 'the evaluation has none of the primary metrics');
  const failing = metrics.filter((m) => !m.pass);
  if (failing.length) return verdict(false, `worse than ${baseline?.label ?? 'baseline'} on ${failing.map(describe).join('; ')}`);
  return verdict(true, baseline ? `at least as good as ${baseline.label} on ${metrics.map((m) => m.metric).join(', ')}` : 'first model for the task (no baseline to compare with)');
}

/** Loads the latest evaluation and decides. */
export async function checkGate(db: Db, model: { id: string; task: string }, productionModelId: string | null, tolerances: GateTolerances): Promise<GateVerdict> {
  return gateVerdict({ task: model.task, modelId: model.id, evaluation: await latestEvaluation(db, model.id), productionModelId, tolerances });
}
