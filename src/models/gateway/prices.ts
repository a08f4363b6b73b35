/**
 * What a request costs, from the price table in the settings (INFERENCE_PRICES): prices are
 * configuration, so a new price is a setting, not a code change. Runs: src/training/cost.ts.
 */
import type { PriceTable } from '../../config.ts';
import type { ServedModel } from '../inference/client.ts';

/** The price entry for a model: by id, then alias, provider model, base model, then `*`. */
export function priceFor(table: PriceTable, model: ServedModel, requested: string): { input: number; output: number } | null {
  for (const key of [model.id, requested, model.providerModel, model.baseModel, '*']) {
    if (key && table[key]) return table[key];
  }
  return null;
}

export function requestCost(table: PriceTable, model: ServedModel, requested: string, promptTokens: number, completionTokens: number): number {
  const price = priceFor(table, model, requested);
  return price ? (promptTokens * price.input + completionTokens * price.output) / 1_000_000 : 0;
}
