/**
 * Token-length statistics for the manifest, counted with OpenAI's o200k_base BPE (gpt-tokenizer, a
 * tiktoken-compatible port in plain JavaScript, no download). A dataset version is built before
 * any base model is chosen, so the count is that of one fixed, widely used tokenizer; a base
 * model's own tokenizer counts somewhat differently.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

export const TOKEN_METHOD = 'o200k_base (tiktoken-compatible BPE, gpt-tokenizer): the sum over message contents';

/** Tokens of an example: its message contents, without the chat template's few tokens per message. */
export function exampleTokens(messages: ReadonlyArray<{ content: string }>): number {
  let total = 0;
  for (const message of messages) total += countTokens(message.content);
  return total;
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
