/** The public shapes of models, gate verdicts and A/B tests (API and CLI `--json`), snake_case like the rest of the API. */
import type { AbTestStats, ArmStats } from '../ab/ab-test.ts';
import type { GateVerdict } from './gate.ts';
import type { AbTestRow, ModelRow } from './registry.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export function publicModel(model: ModelRow) {
  return {
    object: 'model' as const,
    id: model.id,
    task: model.task,
    status: model.status,
    backend: model.backend,
    base_model: model.baseModel,
    adapter_path: model.adapterPath,
    model_path: model.modelPath,
    provider_model: model.providerModel,
    fine_tuning_job: model.fineTuningJobId,
    dataset_version: model.datasetVersionId,
    metrics: model.metrics,
    created_at: iso(model.createdAt),
    promoted_at: iso(model.promotedAt),
    archived_at: iso(model.archivedAt),
    retrain_required_at: iso(model.retrainRequiredAt),
    retrain_reason: model.retrainReason,
  };
}

export function publicVerdict(verdict: GateVerdict) {
  return {
    allowed: verdict.allowed,
    reason: verdict.reason,
    evaluation_id: verdict.evaluationId,
    baseline: verdict.baseline ? { model_id: verdict.baseline.modelId, label: verdict.baseline.label } : null,
    metrics: verdict.metrics.map((m) => ({ metric: m.metric, better: m.direction, candidate: m.candidate, baseline: m.baseline, tolerance: m.tolerance, pass: m.pass })),
  };
}

function publicArm(arm: ArmStats) {
  return {
    model_id: arm.modelId,
    drafts: arm.drafts,
    with_feedback: arm.withFeedback,
    accepted: arm.accepted,
    acceptance_rate: arm.acceptanceRate,
    acceptance_rate_ci95: arm.acceptanceInterval,
    mean_similarity: arm.meanSimilarity,
  };
}

export function publicAbTest(test: AbTestRow, stats?: AbTestStats) {
  return {
    object: 'ab_test' as const,
    id: test.id,
    task: test.task,
    status: test.status,
    share: test.share,
    candidate_model: test.candidateModelId,
    production_model: test.productionModelId,
    started_at: iso(test.startedAt),
    ended_at: iso(test.endedAt),
    started_by: test.actor,
    ended_by: test.endedBy,
    ...(stats
      ? {
          arms: { production: publicArm(stats.arms.production), candidate: publicArm(stats.arms.candidate) },
          /** Candidate minus production acceptance rate; 95 % interval by Newcombe's hybrid score method. */
          acceptance_difference: stats.difference ? { estimate: stats.difference.difference, ci95: { lower: stats.difference.lower, upper: stats.difference.upper } } : null,
        }
      : {}),
  };
}
