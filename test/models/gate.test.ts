import { describe, expect, it } from 'vitest';
import type { EvaluationReport, ModelMetrics } from '../../src/models/evaluation/evaluations.ts';
import { gateVerdict, type GateTolerances } from '../../src/models/registry/gate.ts';

const NONE: GateTolerances = { GATE_TOLERANCE: 0, GATE_METRIC_TOLERANCES: undefined };
const PRODUCTION = '00000000-0000-4000-8000-000000000001';

function evaluation(task: string, candidate: Partial<ModelMetrics>, baseline: Partial<ModelMetrics> | null, baselineId: string | null = PRODUCTION) {
  const report: EvaluationReport = {
    task: task as EvaluationReport['task'],
    testFile: 'test.jsonl',
    candidate: { modelId: 'cand', examples: 10, ...candidate },
    baseline: baseline ? { modelId: baselineId, label: baselineId ? 'production' : 'base', examples: 10, ...baseline } : null,
  };
  return { id: 'eval-1', status: 'succeeded' as const, report, finishedAt: new Date() };
}

const verdict = (task: string, e: Parameters<typeof gateVerdict>[0]['evaluation'], tolerances = NONE, productionModelId: string | null = PRODUCTION) =>
  gateVerdict({ task, modelId: 'cand', evaluation: e, productionModelId, tolerances });

describe('promotion gate', () => {
  it('passes a reply model at least as good on chrF and eval loss, listing each metric', () => {
    const result = verdict('reply', evaluation('reply', { chrf: 41.2, eval_loss: 1.8 }, { chrf: 40.1, eval_loss: 1.8 }));
    expect(result.allowed).toBe(true);
    expect(result.metrics).toEqual([
      { metric: 'chrf', direction: 'higher', candidate: 41.2, baseline: 40.1, tolerance: 0, pass: true },
      { metric: 'eval_loss', direction: 'lower', candidate: 1.8, baseline: 1.8, tolerance: 0, pass: true },
    ]);
  });

  it('blocks a reply model that is worse on one metric and names it', () => {
    const result = verdict('reply', evaluation('reply', { chrf: 12.5, eval_loss: 3.1 }, { chrf: 40.1, eval_loss: 1.8 }));
    expect(result.allowed).toBe(false);
    expect(result.metrics.map((m) => [m.metric, m.pass])).toEqual([
      ['chrf', false],
      ['eval_loss', false],
    ]);
    expect(result.reason).toMatch(/worse than production on chrf 12.5 vs 40.1; eval_loss 3.1 vs 1.8 \(lower is better\)/);
    // Loss alone: a higher loss fails even with a better chrF.
    expect(verdict('reply', evaluation('reply', { chrf: 41, eval_loss: 2 }, { chrf: 40, eval_loss: 1.9 })).allowed).toBe(false);
  });

  it('ignores eval loss when a side lacks it (OpenAI models) but requires chrF', () => {
    const noLoss = verdict('reply', evaluation('reply', { chrf: 41 }, { chrf: 40, eval_loss: 1.2 }));
    expect(noLoss.allowed).toBe(true);
    expect(noLoss.metrics.map((m) => m.metric)).toEqual(['chrf']);
    const noChrf = verdict('reply', evaluation('reply', { eval_loss: 1 }, { chrf: 40, eval_loss: 1.2 }));
    expect(noChrf.allowed).toBe(false);
    expect(noChrf.metrics[0]).toMatchObject({ metric: 'chrf', candidate: null, pass: false });
  });

  it('applies the tolerance, per metric where configured', () => {
    const slightlyWorse = evaluation('reply', { chrf: 39.6, eval_loss: 1.81 }, { chrf: 40, eval_loss: 1.8 });
    expect(verdict('reply', slightlyWorse).allowed).toBe(false);
    expect(verdict('reply', slightlyWorse, { GATE_TOLERANCE: 0.5, GATE_METRIC_TOLERANCES: undefined }).allowed).toBe(true);
    const perMetric = verdict('reply', slightlyWorse, { GATE_TOLERANCE: 0, GATE_METRIC_TOLERANCES: { chrf: 0.5 } });
    expect(perMetric.metrics.map((m) => [m.metric, m.tolerance, m.pass])).toEqual([
      ['chrf', 0.5, true],
      ['eval_loss', 0, false],
    ]);
  });

  it('uses macro-F1 for triage and recall then precision for compliance', () => {
    expect(verdict('triage', evaluation('triage', { macro_f1: 0.71, accuracy: 0.5 }, { macro_f1: 0.7, accuracy: 0.9 })).allowed).toBe(true);
    expect(verdict('triage', evaluation('triage', { macro_f1: 0.69 }, { macro_f1: 0.7 })).allowed).toBe(false);
    const compliance = verdict('compliance', evaluation('compliance', { recall: 0.95, precision: 0.6 }, { recall: 0.9, precision: 0.7 }));
    expect(compliance.allowed).toBe(false);
    expect(compliance.metrics.map((m) => [m.metric, m.pass])).toEqual([
      ['recall', true],
      ['precision', false],
    ]);
  });

  it('blocks without a succeeded evaluation', () => {
    expect(verdict('reply', null)).toMatchObject({ allowed: false, reason: 'model cand has no evaluation; run one first (model.evaluate)', metrics: [] });
    expect(verdict('reply', { id: 'e', status: 'running', report: null }).reason).toBe('the latest evaluation of model cand is running, not succeeded');
    expect(verdict('reply', { id: 'e', status: 'failed', report: null }).allowed).toBe(false);
  });

  it('blocks an evaluation made against another model than today’s production', () => {
    const old = evaluation('reply', { chrf: 50 }, { chrf: 40 }, '00000000-0000-4000-8000-000000000009');
    expect(verdict('reply', old).reason).toMatch(/compared against production 00000000-0000-4000-8000-000000000009, but production is now 00000000-0000-4000-8000-000000000001; evaluate again/);
    const againstBase = evaluation('reply', { chrf: 50 }, { chrf: 40 }, null);
    expect(verdict('reply', againstBase).allowed).toBe(false);
    // No production yet: the base model is the baseline to beat.
    expect(verdict('reply', againstBase, NONE, null)).toMatchObject({ allowed: true, baseline: { label: 'base', modelId: null } });
    expect(verdict('reply', evaluation('reply', { chrf: 10 }, { chrf: 40 }, null), NONE, null).allowed).toBe(false);
  });
});
