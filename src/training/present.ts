/**
 * The public shapes of jobs, events, checkpoints and files: OpenAI's objects (fine_tuning.job,
 * fine_tuning.job.event, fine_tuning.job.checkpoint, file) with Unix-second timestamps, plus a few
 * tuneloop fields (backend, dataset_version, progress, model_id, cost, …).
 */
import type { TrainingPriceTable } from '../config.ts';
import { runCost, type RunCost } from './cost.ts';
import type { Checkpoint, JobEvent, MetricRow } from './events.ts';
import type { TrainingFile } from './files/files.ts';
import { openaiMethod, type Hyperparameters } from './hyperparameters.ts';
import type { FineTuningJob } from './status.ts';

const unix = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : null);
const costFields = (cost: RunCost) => ({ cost_usd: cost.usd, cost_basis: cost.basis });

export function publicJob(job: FineTuningJob, extra: { modelId?: string | null; prices?: TrainingPriceTable } = {}) {
  const hyperparameters = job.hyperparameters as Hyperparameters;
  const openai = openaiMethod(job.method, hyperparameters);
  const progress = job.progress;
  const remaining = job.status === 'running' && typeof progress.etaSeconds === 'number' ? progress.etaSeconds : null;
  return {
    object: 'fine_tuning.job' as const,
    id: job.id,
    model: job.model,
    created_at: unix(job.createdAt),
    finished_at: unix(job.finishedAt),
    fine_tuned_model: job.fineTunedModel,
    organization_id: 'tuneloop',
    result_files: [] as string[],
    status: job.status,
    training_file: job.trainingFileId,
    validation_file: job.validationFileId,
    // OpenAI's summary of the three knobs it exposes, `auto` where not given; method.hyperparameters has everything.
    hyperparameters: { n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto', ...(openai.type === 'supervised' ? openai.supervised.hyperparameters : openai.dpo.hyperparameters) },
    trained_tokens: job.trainedTokens,
    integrations: [] as unknown[],
    seed: job.seed,
    estimated_finish: remaining === null ? null : Math.floor(Date.now() / 1000 + remaining),
    method: { type: job.method, hyperparameters },
    metadata: job.metadata,
    suffix: job.suffix,
    error: job.error,
    backend: job.backend,
    task: job.task,
    dataset_version: job.datasetVersionId,
    progress: {
      step: progress.step ?? null,
      total_steps: progress.totalSteps ?? null,
      epoch: progress.epoch ?? null,
      train_loss: progress.loss ?? null,
      valid_loss: progress.evalLoss ?? null,
      best_valid_loss: progress.bestEvalLoss ?? null,
      eta_seconds: remaining,
      resumed_from_step: progress.resumedFromStep ?? null,
    },
    attempts: job.attempts,
    cost: job.cost,
    ...(extra.prices ? costFields(runCost(extra.prices, { backend: job.backend, model: job.model, cost: job.cost, trainedTokens: job.trainedTokens })) : {}),
    model_id: extra.modelId ?? null,
    provider_job_id: job.providerJobId,
    started_at: unix(job.startedAt),
    cancel_requested_at: unix(job.cancelRequestedAt),
    /** A sweep's trial: the sweep's id and the trial's number (GET /fine_tuning/jobs/{sweep}/trials lists them). */
    parent_job_id: job.parentJobId,
    trial: job.trial,
  };
}

/** `metrics` for progress and eval events (OpenAI's metrics events), `message` otherwise. */
export function publicEvent(event: JobEvent) {
  return {
    object: 'fine_tuning.job.event' as const,
    id: String(event.id),
    created_at: unix(event.createdAt),
    level: event.level,
    message: event.message,
    type: event.type === 'progress' || event.type === 'eval' || event.type === 'openai.metrics' ? ('metrics' as const) : ('message' as const),
    /** The worker's event type (started, progress, eval, checkpoint, done, …), `status`, `model`, or openai.* for the provider's. */
    event_type: event.type,
    data: event.data,
  };
}

export function publicCheckpoint(checkpoint: Checkpoint) {
  return {
    object: 'fine_tuning.job.checkpoint' as const,
    id: checkpoint.id,
    created_at: unix(checkpoint.createdAt),
    fine_tuned_model_checkpoint: checkpoint.path,
    step_number: checkpoint.step,
    metrics: checkpoint.metrics,
    fine_tuning_job_id: checkpoint.jobId,
    is_best: checkpoint.isBest,
  };
}

export function publicMetric(row: MetricRow) {
  return {
    step: row.step,
    epoch: row.epoch,
    train_loss: row.trainLoss,
    valid_loss: row.evalLoss,
    learning_rate: row.learningRate,
    grad_norm: row.gradNorm,
    tokens_per_second: row.tokensPerSecond,
  };
}

export function publicFile(file: TrainingFile) {
  return {
    object: 'file' as const,
    id: file.id,
    bytes: file.bytes,
    created_at: unix(file.createdAt),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed' as const,
    format: file.format,
    examples: file.examples,
    sha256: file.sha256,
  };
}
