/**
 * The `method` of a fine-tuning request and its hyperparameters, validated before a job is queued
 * (the gpu-worker validates the run config again). Both OpenAI's shape
 * (`{type: "supervised", supervised: {hyperparameters: {n_epochs, batch_size, learning_rate_multiplier}}}`)
 * and ours (`{type: "lora", hyperparameters: {...}}`) are accepted. OpenAI's knobs work on both
 * backends; the worker's own knobs (learning_rate, lora, max_steps, …) only on the local one.
 * Their types and hard limits are the run config's (worker/contract/run-config.ts).
 */
import { z } from 'zod';
import type { TrainingBackend, TrainingMethod } from '../db/schema/index.ts';
import { LIMITS, type RunConfig } from './worker/contract/run-config.ts';
import { Sweep } from './sweep/plan.ts';

const auto = z.literal('auto');

/** A compliance classifier's settings (method classifier). */
export const ClassifierSettings = z
  .object({
    policy: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,79}$/, 'a policy id (lowercase letters, digits, . _ -)'),
    /** The share of confirmed violations the threshold must keep (out of fold on the training data). */
    target_recall: z.number().min(0.5).max(1).optional(),
    epochs: z.number().int().min(1).max(2_000).optional(),
    learning_rate: z.number().positive().max(100).optional(),
    l2: z.number().min(0).max(10).optional(),
    /** log2 of the number of hashed feature buckets. */
    feature_bits: z.number().int().min(10).max(22).optional(),
  })
  .strict();
export type ClassifierSettings = z.infer<typeof ClassifierSettings>;

/** OpenAI's hyperparameters (FineTuneSupervisedHyperparameters / FineTuneDPOHyperparameters). */
const OPENAI_KEYS = ['n_epochs', 'batch_size', 'learning_rate_multiplier', 'beta'] as const;

export const Hyperparameters = z
  .object({
    n_epochs: z.union([auto, z.number().int().min(1).max(50)]).optional(),
    batch_size: z.union([auto, z.number().int().min(1).max(256)]).optional(),
    learning_rate_multiplier: z.union([auto, z.number().positive()]).optional(),
    beta: z.union([auto, LIMITS.dpo_beta]).optional(),
    learning_rate: LIMITS.learning_rate.optional(),
    epochs: LIMITS.epochs.optional(),
    per_device_batch_size: LIMITS.per_device_batch_size.optional(),
    gradient_accumulation: LIMITS.gradient_accumulation.optional(),
    warmup_steps: LIMITS.warmup_steps.optional(),
    max_seq_length: LIMITS.max_seq_length.optional(),
    eval_every_steps: LIMITS.eval_every_steps.optional(),
    log_every_steps: LIMITS.log_every_steps.optional(),
    early_stopping_patience: LIMITS.early_stopping_patience.optional(),
    early_stopping_threshold: LIMITS.early_stopping_threshold.optional(),
    keep_checkpoints: LIMITS.keep_checkpoints.optional(),
    max_steps: LIMITS.max_steps.optional(),
    packing: LIMITS.packing.optional(),
    precision: LIMITS.precision.optional(),
    gradient_checkpointing: LIMITS.gradient_checkpointing.optional(),
    assistant_only_loss: LIMITS.assistant_only_loss.optional(),
    lora: z
      .object({
        r: LIMITS.lora_r.optional(),
        alpha: LIMITS.lora_alpha.optional(),
        dropout: LIMITS.lora_dropout.optional(),
        target_modules: LIMITS.lora_target_modules.optional(),
      })
      .strict()
      .optional(),
    /** A hyperparameter sweep: one child job per trial, the best by validation loss becomes the candidate (src/training/sweep/). */
    sweep: Sweep.optional(),
    /** Method classifier only: the policy whose decided alerts it learns, and its few knobs (src/training/classifier/). */
    classifier: ClassifierSettings.optional(),
  })
  .strict();
export type Hyperparameters = z.infer<typeof Hyperparameters>;

export const MethodInput = z
  .object({
    type: z.enum(['supervised', 'dpo', 'lora', 'qlora', 'full', 'classifier']),
    hyperparameters: Hyperparameters.optional(),
    supervised: z.object({ hyperparameters: Hyperparameters.optional() }).strict().optional(),
    dpo: z.object({ hyperparameters: Hyperparameters.optional() }).strict().optional(),
  })
  .strict();
export type MethodInput = z.infer<typeof MethodInput>;

export class HyperparameterError extends Error {
  override name = 'HyperparameterError';
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

/** The method and hyperparameters to store, or a HyperparameterError naming the problem. */
export function resolveMethod(
  backend: TrainingBackend,
  method: MethodInput | undefined,
  legacy: Hyperparameters | undefined,
): { method: TrainingMethod; hyperparameters: Hyperparameters } {
  const type = method?.type ?? (backend === 'openai' ? 'supervised' : 'lora');
  const nested = type === 'supervised' ? method?.supervised?.hyperparameters : type === 'dpo' ? method?.dpo?.hyperparameters : undefined;
  const given = [method?.hyperparameters, nested, legacy].filter((h): h is Hyperparameters => h !== undefined);
  if (given.length > 1) throw new HyperparameterError('give hyperparameters once: in method.hyperparameters, method.<type>.hyperparameters or (deprecated) hyperparameters', 'method');
  const hyperparameters = given[0] ?? {};

  let resolved: TrainingMethod;
  if (backend === 'openai') {
    if (type !== 'supervised' && type !== 'dpo') throw new HyperparameterError(`method.type "${type}" runs only on the local backend; the openai backend supports supervised and dpo`, 'method.type');
    const unsupported = Object.keys(hyperparameters).filter((key) => !(OPENAI_KEYS as readonly string[]).includes(key));
    if (unsupported.length) throw new HyperparameterError(`not supported by the openai backend: ${unsupported.join(', ')} (supported: ${OPENAI_KEYS.join(', ')})`, 'method.hyperparameters');
    resolved = type;
  } else {
    // OpenAI clients say "supervised"; locally that is LoRA SFT.
    resolved = type === 'supervised' ? 'lora' : type;
  }
  if (hyperparameters.beta !== undefined && resolved !== 'dpo') throw new HyperparameterError('beta applies only to method dpo', 'method.hyperparameters.beta');
  if (hyperparameters.lora && resolved === 'full') throw new HyperparameterError('lora settings do not apply to full fine-tuning', 'method.hyperparameters.lora');
  if (hyperparameters.epochs !== undefined && hyperparameters.n_epochs !== undefined) throw new HyperparameterError('give epochs or n_epochs, not both', 'method.hyperparameters.epochs');
  if (hyperparameters.learning_rate !== undefined && hyperparameters.learning_rate_multiplier !== undefined) {
    throw new HyperparameterError('give learning_rate or learning_rate_multiplier, not both', 'method.hyperparameters.learning_rate');
  }
  if (hyperparameters.batch_size !== undefined && (hyperparameters.per_device_batch_size !== undefined || hyperparameters.gradient_accumulation !== undefined)) {
    throw new HyperparameterError('give batch_size or per_device_batch_size/gradient_accumulation, not both', 'method.hyperparameters.batch_size');
  }
  if (hyperparameters.packing && resolved === 'dpo') throw new HyperparameterError('packing is not available for dpo', 'method.hyperparameters.packing');
  if (resolved === 'classifier') {
    if (!hyperparameters.classifier) throw new HyperparameterError('method classifier needs hyperparameters.classifier.policy: the policy whose decided alerts it learns', 'method.hyperparameters.classifier');
    const other = Object.keys(hyperparameters).filter((key) => key !== 'classifier');
    if (other.length) throw new HyperparameterError(`method classifier takes only hyperparameters.classifier; not: ${other.join(', ')}`, 'method.hyperparameters');
  } else if (hyperparameters.classifier) throw new HyperparameterError('hyperparameters.classifier applies only to method classifier', 'method.hyperparameters.classifier');
  return { method: resolved, hyperparameters };
}

/** The file format a method trains on. */
export function formatFor(method: TrainingMethod): 'chat' | 'preference' {
  return method === 'dpo' ? 'preference' : 'chat';
}

/** Base learning rates that learning_rate_multiplier scales (DPO moves far less than SFT). */
const BASE_LEARNING_RATE = { sft: 1e-4, dpo: 5e-6 };

/** The largest divisor of n that is at most max: a per-device batch that keeps the effective batch exact. */
function largestDivisor(n: number, max: number): number {
  for (let d = Math.min(n, max); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

/** Hyperparameters as the gpu-worker's run config fields (tuneloop_worker/config.py RunConfig). */
export function workerSettings(method: TrainingMethod, h: Hyperparameters): Partial<RunConfig> {
  if (method === 'classifier') throw new HyperparameterError('a classifier run is trained by the hub, not the gpu-worker: it has no worker settings', 'method.type');
  const out: Partial<RunConfig> = { method: method === 'supervised' ? 'lora' : method };
  const base = method === 'dpo' ? BASE_LEARNING_RATE.dpo : BASE_LEARNING_RATE.sft;
  if (h.learning_rate !== undefined) out.learning_rate = h.learning_rate;
  else if (typeof h.learning_rate_multiplier === 'number') out.learning_rate = base * h.learning_rate_multiplier;
  else if (method === 'dpo') out.learning_rate = base;
  const epochs = h.epochs ?? (typeof h.n_epochs === 'number' ? h.n_epochs : undefined);
  if (epochs !== undefined) out.epochs = epochs;
  if (typeof h.batch_size === 'number') {
    const perDevice = largestDivisor(h.batch_size, 8);
    out.per_device_batch_size = perDevice;
    out.gradient_accumulation = h.batch_size / perDevice;
  }
  if (typeof h.beta === 'number') out.dpo_beta = h.beta;
  const direct = [
    'per_device_batch_size',
    'gradient_accumulation',
    'warmup_steps',
    'max_seq_length',
    'eval_every_steps',
    'log_every_steps',
    'early_stopping_patience',
    'early_stopping_threshold',
    'keep_checkpoints',
    'max_steps',
    'packing',
    'precision',
    'gradient_checkpointing',
    'assistant_only_loss',
    'lora',
  ] as const;
  for (const key of direct) if (h[key] !== undefined) Object.assign(out, { [key]: h[key] });
  return out;
}

/** Hyperparameters as OpenAI's method object (FineTuneMethod). */
export function openaiMethod(method: TrainingMethod, h: Hyperparameters) {
  const picked: Record<string, number | 'auto'> = {};
  for (const key of OPENAI_KEYS) {
    const value = h[key];
    if (value !== undefined) picked[key] = value;
  }
  return method === 'dpo' ? { type: 'dpo' as const, dpo: { hyperparameters: picked } } : { type: 'supervised' as const, supervised: { hyperparameters: picked } };
}
