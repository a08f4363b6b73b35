/**
 * A hyperparameter sweep asked of the hub (`method.hyperparameters.sweep`): grid (every
 * combination) or random (`trials` distinct combinations, drawn with the job's seed) over learning
 * rate, epochs, LoRA rank and alpha, and batch size. Each value is checked against the same limits
 * as a single run's (the run config's), and the number of trials against the sweep's budget
 * (`max_trials`), so a bad sweep is refused with the offending values before anything runs.
 * Each trial becomes a child fine-tuning job with plain hyperparameters (src/training/jobs.ts).
 */
import { z } from 'zod';
import { LIMITS } from '../worker/contract/run-config.ts';

/** Sweep keys and the limits of their values: the run config's, and the API's batch_size. */
const VALUE_LIMITS = {
  learning_rate: LIMITS.learning_rate,
  epochs: LIMITS.epochs,
  lora_r: LIMITS.lora_r,
  lora_alpha: LIMITS.lora_alpha,
  batch_size: z.number().int().min(1).max(256),
} as const;
export type SweepKey = keyof typeof VALUE_LIMITS;
export const SWEEP_KEYS = Object.keys(VALUE_LIMITS) as SweepKey[];

/** The most trials any sweep may ask for, whatever its budget says. */
export const MAX_TRIALS = 64;

const values = z.array(z.number()).min(1).max(MAX_TRIALS);

export const Sweep = z
  .object({
    strategy: z.enum(['grid', 'random']),
    space: z
      .object({ learning_rate: values.optional(), epochs: values.optional(), lora_r: values.optional(), lora_alpha: values.optional(), batch_size: values.optional() })
      .strict()
      .refine((space) => Object.values(space).some((list) => list?.length), { message: `give at least one of ${SWEEP_KEYS.join(', ')}` }),
    /** random: how many combinations to try. */
    trials: z.number().int().min(1).max(MAX_TRIALS).optional(),
    /** The trial budget: a sweep that would run more trials is refused. */
    max_trials: z.number().int().min(1).max(MAX_TRIALS).default(16),
  })
  .strict();
export type Sweep = z.infer<typeof Sweep>;
export type TrialParams = Partial<Record<SweepKey, number>>;

export class SweepError extends Error {
  override name = 'SweepError';
}

/** Values outside the validated ranges, named with the limit they break. */
function outOfRange(space: Sweep['space']): string[] {
  const problems: string[] = [];
  for (const key of SWEEP_KEYS) {
    const bad = (space[key] ?? []).filter((value) => !VALUE_LIMITS[key].safeParse(value).success);
    if (bad.length) problems.push(`${key} ${bad.join(', ')} (${VALUE_LIMITS[key].safeParse(bad[0]).error?.issues[0]?.message ?? 'out of range'})`);
  }
  return problems;
}

/** A small seeded generator (mulberry32): the same seed draws the same trials. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Every combination of the space, in key order. */
function grid(space: Sweep['space']): TrialParams[] {
  let combos: TrialParams[] = [{}];
  for (const key of SWEEP_KEYS) {
    const list = [...new Set(space[key] ?? [])];
    if (!list.length) continue;
    combos = combos.flatMap((combo) => list.map((value) => ({ ...combo, [key]: value })));
  }
  return combos;
}

/** The trials to run, or a SweepError naming what is wrong; nothing is created here. */
export function planTrials(sweep: Sweep, seed: number): TrialParams[] {
  const problems = outOfRange(sweep.space);
  if (problems.length) throw new SweepError(`sweep values outside the validated ranges: ${problems.join('; ')}`);
  const all = grid(sweep.space);
  if (sweep.strategy === 'grid') {
    if (sweep.trials !== undefined) throw new SweepError('sweep.trials goes with the random strategy; a grid runs every combination');
    if (all.length > sweep.max_trials) throw new SweepError(`the grid has ${all.length} trials, over the budget of ${sweep.max_trials} (sweep.max_trials)`);
    return all;
  }
  if (sweep.trials === undefined) throw new SweepError('sweep.trials is required for the random strategy');
  if (sweep.trials > sweep.max_trials) throw new SweepError(`${sweep.trials} trials is over the budget of ${sweep.max_trials} (sweep.max_trials)`);
  if (sweep.trials > all.length) throw new SweepError(`${sweep.trials} trials asked, but the space has only ${all.length} distinct combinations`);
  const random = seeded(seed);
  const pool = [...all];
  const picked: TrialParams[] = [];
  while (picked.length < sweep.trials) picked.push(...pool.splice(Math.floor(random() * pool.length), 1));
  return picked;
}

/** One trial's hyperparameters: the sweep's own without `sweep`, the trial's values set (and what they replace removed). */
export function trialHyperparameters<H extends Record<string, unknown>>(base: H, params: TrialParams): Record<string, unknown> {
  const { sweep: _sweep, ...out } = base as H & { sweep?: unknown };
  const h: Record<string, unknown> = { ...out };
  if (params.learning_rate !== undefined) {
    delete h.learning_rate_multiplier;
    h.learning_rate = params.learning_rate;
  }
  if (params.epochs !== undefined) {
    delete h.n_epochs;
    h.epochs = params.epochs;
  }
  if (params.batch_size !== undefined) {
    delete h.per_device_batch_size;
    delete h.gradient_accumulation;
    h.batch_size = params.batch_size;
  }
  if (params.lora_r !== undefined || params.lora_alpha !== undefined) {
    const lora = { ...(typeof h.lora === 'object' && h.lora !== null ? h.lora : {}) } as Record<string, unknown>;
    if (params.lora_r !== undefined) lora.r = params.lora_r;
    if (params.lora_alpha !== undefined) lora.alpha = params.lora_alpha;
    h.lora = lora;
  }
  return h;
}
