/**
 * `--sweep "learning_rate=1e-4,2e-4 lora_r=8,16"` of `/tuneloop retrain`: the space of a
 * hyperparameter sweep (src/training/sweep/plan.ts), a grid, or `--trials N` random combinations.
 * Only the shape is read here; the values' ranges and the budget are checked by the sweep's own
 * validation before the retraining starts.
 */
import { SWEEP_KEYS, type SweepKey } from '../../training/sweep/plan.ts';
import { UsageError } from './command.ts';

export function parseSweepFlag(space: string, trials: string | undefined): Record<string, unknown> {
  const parsed: Partial<Record<SweepKey, number[]>> = {};
  for (const part of space.split(/\s+/).filter(Boolean)) {
    const [key, list] = part.split('=');
    if (!key || !list || !(SWEEP_KEYS as string[]).includes(key)) throw new UsageError(`--sweep takes key=v1,v2 pairs with keys ${SWEEP_KEYS.join(', ')}; got "${part}"`);
    const values = list.split(',').map(Number);
    if (values.some((value) => !Number.isFinite(value))) throw new UsageError(`--sweep ${key}: "${list}" is not a list of numbers`);
    parsed[key as SweepKey] = values;
  }
  if (!Object.keys(parsed).length) throw new UsageError('--sweep needs at least one key=v1,v2 pair');
  if (trials === undefined) return { strategy: 'grid', space: parsed };
  const count = Number(trials);
  if (!Number.isInteger(count) || count < 1) throw new UsageError('--trials must be a whole number of trials');
  return { strategy: 'random', space: parsed, trials: count };
}
