/**
 * chrF (Popović 2015, "chrF: character n-gram F-score for automatic MT evaluation"): character
 * n-grams of orders 1..6, precision and recall averaged over the orders, combined as F-beta with
 * beta = 2 (recall counts twice as much as precision). Whitespace is dropped as sacrebleu's chrF
 * does; unlike sacrebleu's default, text is lowercased: an agent fixing capitals has not rewritten
 * the draft. Returns 0..1.
 *
 * Kept here rather than taken from a library: no maintained JavaScript package computes chrF (the
 * npm registry has BLEU/ROUGE ports and string-distance packages, none sacrebleu-compatible chrF),
 * and sacrebleu itself is Python, used by the gpu-worker's evaluation
 * (gpu-worker/tuneloop_worker/evaluation/metrics.py). test/serving/similarity.test.ts pins the
 * values against sacrebleu's.
 */
const MAX_ORDER = 6;
const BETA = 2;

function ngramCounts(text: string, n: number): Map<string, number> {
  const counts = new Map<string, number>();
  const chars = [...text];
  for (let i = 0; i + n <= chars.length; i++) {
    const gram = chars.slice(i, i + n).join('');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

const normalize = (text: string) => text.normalize('NFC').toLowerCase().replace(/\s+/g, '');

export function chrF(hypothesis: string, reference: string): number {
  const hyp = normalize(hypothesis);
  const ref = normalize(reference);
  if (!hyp.length && !ref.length) return 1;
  if (!hyp.length || !ref.length) return 0;
  let precisionSum = 0;
  let recallSum = 0;
  let orders = 0;
  for (let n = 1; n <= MAX_ORDER; n++) {
    const hypGrams = ngramCounts(hyp, n);
    const refGrams = ngramCounts(ref, n);
    const hypTotal = Math.max(0, [...hyp].length - n + 1);
    const refTotal = Math.max(0, [...ref].length - n + 1);
    // Orders longer than either text carry no evidence either way (as in sacrebleu's effective order).
    if (!hypTotal || !refTotal) break;
    let matches = 0;
    for (const [gram, count] of hypGrams) matches += Math.min(count, refGrams.get(gram) ?? 0);
    precisionSum += matches / hypTotal;
    recallSum += matches / refTotal;
    orders++;
  }
  const precision = precisionSum / orders;
  const recall = recallSum / orders;
  if (precision + recall === 0) return 0;
  const beta2 = BETA * BETA;
  return ((1 + beta2) * precision * recall) / (beta2 * precision + recall);
}
