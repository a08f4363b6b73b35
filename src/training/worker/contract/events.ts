/**
 * What the gpu-worker writes on stdout: one JSON object per line, its `type` one of the events
 * below. Declared once here; `npm run schemas` writes it as JSON Schema to
 * gpu-worker/tuneloop_worker/schemas/worker-event.schema.json, against which the worker's tests
 * check every event it really emits. Objects are loose: a newer worker may add fields.
 */
import { z } from 'zod';

const num = z.number().nullable();
const int = z.number().int();
const base = { time: z.string().optional(), trial: int.min(1).optional() };

const DoneMetrics = z.looseObject({ final_train_loss: num, mean_train_loss: num, best_eval_loss: num, last_eval_loss: num });

/** What a run cost, measured by the worker: the hub prices it (GPU/CPU seconds × price). */
const DoneCost = z.looseObject({
  wall_seconds: z.number(),
  train_seconds: z.number(),
  cpu_seconds: z.number(),
  train_cpu_seconds: z.number(),
  gpu_seconds: num,
  gpu_count: int,
  tokens_seen: int,
  peak_memory_bytes: int,
  peak_memory_device: z.string(),
});

const SweepTrial = z.looseObject({
  trial: int,
  params: z.record(z.string(), z.unknown()),
  path: z.string(),
  status: z.string(),
  best_eval_loss: num,
  best_step: int.nullable(),
  final_train_loss: num,
  steps_trained: int.nullable(),
  wall_seconds: num,
});

export const WorkerEvent = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('warning'), ...base, message: z.string() }),
  z.looseObject({ type: z.literal('error'), ...base, message: z.string(), kind: z.string() }),
  z.looseObject({ type: z.literal('valid'), ...base, method: z.string(), train_examples: int, validation_examples: int, trials: int }),
  z.looseObject({
    type: z.literal('started'),
    ...base,
    total_steps: int,
    resumed_from_step: int,
    method: z.string(),
    base_model: z.string(),
    device: z.string(),
    device_name: z.string(),
    precision: z.string(),
    world_size: int,
    trainable_params: int,
    total_params: int,
    train_examples: int,
    validation_examples: int,
    effective_batch_size: int,
    config: z.record(z.string(), z.unknown()),
  }),
  z.looseObject({
    type: z.literal('progress'),
    ...base,
    step: int,
    total_steps: int,
    epoch: num,
    loss: num,
    learning_rate: num,
    grad_norm: num,
    tokens_per_second: num,
    tokens_seen: int,
    eta_seconds: num,
    extra: z.record(z.string(), z.unknown()),
  }),
  z.looseObject({
    type: z.literal('eval'),
    ...base,
    step: int,
    epoch: num,
    eval_loss: num,
    best_eval_loss: num,
    best_step: int.nullable(),
    is_best: z.boolean(),
    extra: z.record(z.string(), z.unknown()),
  }),
  z.looseObject({ type: z.literal('checkpoint'), ...base, step: int, path: z.string(), is_best: z.boolean() }),
  z.looseObject({
    type: z.literal('done'),
    ...base,
    best_checkpoint: z.string().nullable(),
    best_step: int.nullable(),
    best_fraction_of_training: num,
    total_steps: int,
    steps_trained: int,
    resumed_from_step: int,
    stopped_early: z.boolean(),
    metrics: DoneMetrics,
    adapter_path: z.string().nullable(),
    model_path: z.string().nullable(),
    cost: DoneCost,
  }),
  z.looseObject({ type: z.literal('sweep_done'), ...base, strategy: z.string(), best_trial: int, best_params: z.record(z.string(), z.unknown()), trials: z.array(SweepTrial) }),
  /** `python -m tuneloop_worker tiny`: a tiny random model for tests and the quick demo. */
  z.looseObject({ type: z.literal('tiny_model'), ...base, path: z.string() }),
]);
export type WorkerEvent = z.infer<typeof WorkerEvent>;
export type DoneEvent = Extract<WorkerEvent, { type: 'done' }>;
