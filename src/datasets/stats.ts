/**
 * Token-length statistics for the manifest. Tokens are APPROXIMATE: characters / 4 (rounded up),
 * the usual rule of thumb for English with GPT-style BPE tokenizers; no tokenizer is loaded.
 */
export const TOKEN_METHOD = 'approximate: characters / 4, rounded up (no tokenizer)';

export function approxTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export interface TokenStats {
  examples: number;
  total: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p95: number;
}

export function tokenStats(values: number[]): TokenStats {
  if (values.length === 0) return { examples: 0, total: 0, min: 0, max: 0, mean: 0, p50: 0, p95: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  let total = 0;
  for (const v of sorted) total += v;
  return {
    examples: sorted.length,
    total,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    mean: Math.round((total / sorted.length) * 10) / 10,
    p50: at(0.5),
    p95: at(0.95),
  };
}
