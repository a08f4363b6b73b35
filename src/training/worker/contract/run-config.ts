/**
 * The run config (run.json) the hub writes for `python -m tuneloop_worker train`: every field, its
 * type, hard limits, default and meaning, declared once. `npm run schemas` writes it as JSON Schema
 * to gpu-worker/tuneloop_worker/schemas/run-config.schema.json, which the worker validates against
 * (tuneloop_worker/config.py); test/training/worker-contract-schemas.test.ts fails when the
 * committed file and this declaration differ, and the worker's own test when its dataclass does.
 * The API's hyperparameters (src/training/hyperparameters.ts) reuse these field schemas.
 */
import { z } from 'zod';

const wholeNumber = (min: number) => z.number().int().min(min);
const path = z.string().min(1);

export const METHODS = ['lora', 'qlora', 'full', 'dpo'] as const;
export const PRECISIONS = ['auto', 'bf16', 'fp16', 'fp32'] as const;

/** Types and hard limits of the fields the API's hyperparameters set too; defaults come below. */
export const LIMITS = {
  lora_r: wholeNumber(1).max(1024),
  lora_alpha: wholeNumber(1).max(4096),
  lora_dropout: z.number().min(0).lt(1),
  lora_target_modules: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  learning_rate: z.number().positive().max(1),
  epochs: z.number().positive().max(50),
  per_device_batch_size: wholeNumber(1).max(1024),
  gradient_accumulation: wholeNumber(1).max(1024),
  warmup_steps: wholeNumber(0),
  max_seq_length: wholeNumber(1).max(131_072),
  packing: z.boolean(),
  eval_every_steps: wholeNumber(1),
  log_every_steps: wholeNumber(1),
  early_stopping_patience: wholeNumber(0),
  early_stopping_threshold: z.number().min(0),
  keep_checkpoints: wholeNumber(1),
  precision: z.enum(PRECISIONS),
  gradient_checkpointing: z.boolean(),
  assistant_only_loss: z.boolean(),
  max_steps: wholeNumber(1),
  dpo_beta: z.number().positive().max(2),
};

export const LoraSettings = z
  .object({
    r: LIMITS.lora_r.default(16).describe('adapter rank'),
    alpha: LIMITS.lora_alpha.default(32).describe('scaling numerator; PEFT scales updates by alpha / r'),
    dropout: LIMITS.lora_dropout.default(0.05).describe('dropout on the adapter layers'),
    target_modules: LIMITS.lora_target_modules.default('all-linear').describe('"all-linear" (every linear layer but the LM head) or a list of module names'),
  })
  .strict();

/** Hyperparameters a sweep may vary, with the run config field each one sets. */
export const SWEEP_KEYS = {
  learning_rate: 'learning_rate',
  epochs: 'epochs',
  per_device_batch_size: 'per_device_batch_size',
  gradient_accumulation: 'gradient_accumulation',
  warmup_steps: 'warmup_steps',
  lora_r: 'lora.r',
  lora_alpha: 'lora.alpha',
  lora_dropout: 'lora.dropout',
} as const;

export const SweepSettings = z
  .object({
    strategy: z.enum(['grid', 'random']).describe('grid: every combination; random: `trials` samples'),
    space: z.record(z.enum(Object.keys(SWEEP_KEYS) as [keyof typeof SWEEP_KEYS]), z.array(z.unknown()).min(1)).describe('sweep key -> candidate values'),
    trials: wholeNumber(1).nullable().default(null).describe('required for random; caps the number of grid combinations'),
  })
  .strict();

export const RunConfigFields = {
  base_model: path.describe('Hugging Face model id, or a local directory with config.json'),
  train_file: path.describe('JSONL of chat (or, for dpo, preference) examples'),
  validation_file: path.describe('JSONL, same format; drives eval, early stopping and the best checkpoint'),
  method: z.enum(METHODS).default('lora').describe('lora | qlora (4-bit base, CUDA only) | full | dpo (LoRA on preference data)'),
  lora: LoraSettings.default({ r: 16, alpha: 32, dropout: 0.05, target_modules: 'all-linear' }),
  learning_rate: LIMITS.learning_rate.default(1e-4).describe('peak learning rate'),
  epochs: LIMITS.epochs.default(3).describe('passes over the training file (fractions allowed)'),
  per_device_batch_size: LIMITS.per_device_batch_size.default(4).describe('examples per device per forward pass'),
  gradient_accumulation: LIMITS.gradient_accumulation.default(2).describe('forward passes per optimizer step'),
  warmup_steps: LIMITS.warmup_steps.default(100).describe('linear warm-up of the learning rate'),
  max_seq_length: LIMITS.max_seq_length.default(1024).describe('longer examples are truncated'),
  packing: LIMITS.packing.default(false).describe('pack several examples into one sequence (not for dpo)'),
  eval_every_steps: LIMITS.eval_every_steps.default(25).describe('eval and checkpoint interval (they must match to keep the best)'),
  log_every_steps: LIMITS.log_every_steps.default(10).describe('`progress` event interval'),
  early_stopping_patience: LIMITS.early_stopping_patience.default(3).describe('evals without improvement before stopping; 0 disables'),
  early_stopping_threshold: LIMITS.early_stopping_threshold.default(0).describe('eval-loss decrease that counts as an improvement'),
  keep_checkpoints: LIMITS.keep_checkpoints.default(2).describe('newest checkpoints kept on disk, besides the best one'),
  seed: z.number().int().default(42).describe('seeds data order, initialisation and dropout'),
  precision: LIMITS.precision.default('auto').describe('auto: bf16 on CUDA that supports it, else fp16 on CUDA, fp32 on CPU'),
  gradient_checkpointing: LIMITS.gradient_checkpointing.default(true).describe('recompute activations: less memory, more time'),
  assistant_only_loss: LIMITS.assistant_only_loss.default(true).describe('loss only on assistant tokens (needs {% generation %} in the chat template)'),
  chat_template_path: path.nullable().default(null).describe('a .jinja file or tokenizer directory, for models without a usable template'),
  max_steps: LIMITS.max_steps.nullable().default(null).describe('stops after this many optimizer steps, overriding epochs'),
  dpo_beta: LIMITS.dpo_beta.default(0.1).describe('DPO: how far the policy may move from the reference'),
  adapter_init: path.nullable().default(null).describe('an existing PEFT adapter to start from (dpo from production, or continued lora)'),
  resume: z.boolean().default(true).describe('resume from the newest checkpoint in OUT/checkpoints if there is one'),
  sweep: SweepSettings.nullable().default(null).describe('a hyperparameter sweep: one trial per combination, the best by eval loss wins'),
};

export const RunConfig = z.object(RunConfigFields).strict();
export type RunConfig = z.input<typeof RunConfig>;
