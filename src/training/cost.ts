/**
 * What a fine-tuning run cost, from the price table in the settings (TRAINING_PRICES): local runs by
 * the device time the worker measured, OpenAI jobs by trained tokens × OpenAI's published price.
 */
import type { TrainingPriceTable } from '../config.ts';

export interface RunCost {
  usd: number | null;
  basis: string;
}

/**
 * A fine-tuning run's cost: local runs by device time (GPU seconds × gpu_hour, else CPU seconds ×
 * cpu_hour, from the worker's measured `cost`), OpenAI jobs by trained tokens × the base model's price.
 */
export function runCost(table: TrainingPriceTable, run: { backend: string; model: string; cost: Record<string, unknown> | null; trainedTokens: number | null }): RunCost {
  if (run.backend === 'openai') {
    const price = table.openai_per_1m_trained_tokens[run.model];
    if (run.trainedTokens === null) return { usd: null, basis: 'trained tokens not known yet' };
    if (price === undefined) return { usd: null, basis: `no price for ${run.model} in TRAINING_PRICES.openai_per_1m_trained_tokens` };
    return { usd: (run.trainedTokens * price) / 1_000_000, basis: `${run.trainedTokens} trained tokens × $${price}/1M` };
  }
  const gpuSeconds = Number(run.cost?.gpu_seconds ?? 0) * Math.max(1, Number(run.cost?.gpu_count ?? 1));
  const cpuSeconds = Number(run.cost?.cpu_seconds ?? 0);
  if (!run.cost) return { usd: null, basis: 'the run has not finished' };
  if (gpuSeconds > 0) return { usd: (gpuSeconds / 3600) * table.gpu_hour, basis: `${gpuSeconds.toFixed(0)} GPU-seconds × $${table.gpu_hour}/GPU-hour` };
  return { usd: (cpuSeconds / 3600) * table.cpu_hour, basis: `${cpuSeconds.toFixed(0)} CPU-seconds × $${table.cpu_hour}/CPU-hour` };
}
