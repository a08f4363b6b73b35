/**
 * Fits a policy's classifier: L2-regularised logistic regression by full-batch gradient descent
 * (deterministic: same examples, same weights), the two classes weighted equally however rare
 * violations are. The threshold is chosen out of fold (FOLDS models, each scoring the examples it
 * did not see) to keep `targetRecall` of the confirmed violations, in the middle of the gap below
 * the lowest of them (thresholdFor): the stage must not miss what the rules caught and a person
 * confirmed.
 */
import { features, type Features } from './features.ts';
import type { ClassifierFile } from './model.ts';
import type { PolicyExample } from './examples.ts';
import { FEATURE_VERSION } from './features.ts';

export interface FitOptions {
  policy: string;
  bits: number;
  epochs: number;
  learningRate: number;
  l2: number;
  targetRecall: number;
  onEpoch?: (epoch: number, loss: number) => void;
}

export class ClassifierDataError extends Error {
  override name = 'ClassifierDataError';
}

const FOLDS = 5;

interface Fitted {
  weights: Float64Array;
  bias: number;
  loss: number;
}

function dot(weights: Float64Array, bias: number, x: Features): number {
  let z = bias;
  for (let i = 0; i < x.index.length; i++) z += (weights[x.index[i] ?? 0] ?? 0) * (x.value[i] ?? 0);
  return z;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function train(xs: Features[], ys: boolean[], options: FitOptions, report?: (epoch: number, loss: number) => void): Fitted {
  const size = 2 ** options.bits;
  const weights = new Float64Array(size);
  const gradient = new Float64Array(size);
  let bias = 0;
  // Only buckets some example has can move from zero: the update loops over those alone.
  const touched = Uint32Array.from(new Set(xs.flatMap((x) => [...x.index])));
  const positives = ys.filter(Boolean).length;
  const negatives = ys.length - positives;
  // Balanced classes: each class carries half of the loss.
  const classWeight = (y: boolean) => 0.5 / (y ? positives : negatives);
  let loss = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    for (const i of touched) gradient[i] = 0;
    let biasGradient = 0;
    loss = 0;
    for (let n = 0; n < xs.length; n++) {
      const x = xs[n] as Features;
      const y = ys[n] as boolean;
      const p = sigmoid(dot(weights, bias, x));
      const w = classWeight(y);
      loss -= w * Math.log(Math.max(1e-12, y ? p : 1 - p));
      const g = w * (p - (y ? 1 : 0));
      biasGradient += g;
      for (let i = 0; i < x.index.length; i++) gradient[x.index[i] ?? 0] = (gradient[x.index[i] ?? 0] ?? 0) + g * (x.value[i] ?? 0);
    }
    for (const i of touched) weights[i] = (weights[i] ?? 0) - options.learningRate * ((gradient[i] ?? 0) + options.l2 * (weights[i] ?? 0));
    bias -= options.learningRate * biasGradient;
    report?.(epoch, loss);
  }
  return { weights, bias, loss };
}

const logit = (p: number) => Math.log(Math.max(1e-12, p) / Math.max(1e-12, 1 - p));

/**
 * The threshold from out-of-fold scores: below the lowest violation that `targetRecall` keeps, in
 * the middle (on the logit scale) of the gap down to the highest false positive under it. The final
 * model is not any fold's model, so a threshold pressed against the lowest violation would lose
 * violations that score a little lower on held-out data; the middle of the gap leaves the most room
 * on both sides.
 */
function thresholdFor(scores: Array<{ score: number; violation: boolean }>, targetRecall: number): number {
  const positives = scores.filter((s) => s.violation).map((s) => s.score).sort((a, b) => b - a);
  const keep = Math.max(1, Math.ceil(targetRecall * positives.length));
  const lowest = positives[keep - 1] ?? 0;
  const below = scores.filter((s) => !s.violation && s.score < lowest).map((s) => s.score);
  // No false positive below it: as far under it again as it is above zero on the logit scale's floor.
  const floor = below.length ? Math.max(...below) : lowest / 2;
  return 1 / (1 + Math.exp(-(logit(lowest) + logit(floor)) / 2));
}

export function fitClassifier(examples: readonly PolicyExample[], options: FitOptions): ClassifierFile {
  const violations = examples.filter((example) => example.violation).length;
  const falsePositives = examples.length - violations;
  if (violations < 2 || falsePositives < 2) {
    throw new ClassifierDataError(
      `policy ${options.policy} has ${violations} confirmed violations and ${falsePositives} false positives in the training data; a classifier needs at least 2 of each (decide more of its alerts, then build a new compliance version)`,
    );
  }
  const xs = examples.map((example) => features(example.text, options.bits));
  const ys = examples.map((example) => example.violation);
  const outOfFold: Array<{ score: number; violation: boolean }> = [];
  for (let fold = 0; fold < FOLDS; fold++) {
    const trainAt = xs.map((_, i) => i).filter((i) => i % FOLDS !== fold);
    const heldAt = xs.map((_, i) => i).filter((i) => i % FOLDS === fold);
    if (!heldAt.length || !trainAt.some((i) => ys[i]) || !trainAt.some((i) => !ys[i])) continue;
    const model = train(trainAt.map((i) => xs[i] as Features), trainAt.map((i) => ys[i] as boolean), options);
    for (const i of heldAt) outOfFold.push({ score: sigmoid(dot(model.weights, model.bias, xs[i] as Features)), violation: ys[i] as boolean });
  }
  const final = train(xs, ys, options, options.onEpoch);
  const weights: Array<[number, number]> = [];
  for (let i = 0; i < final.weights.length; i++) if (final.weights[i] !== 0) weights.push([i, Number((final.weights[i] ?? 0).toPrecision(8))]);
  return {
    format: 'tuneloop-compliance-classifier',
    feature_version: FEATURE_VERSION,
    policy: options.policy,
    bits: options.bits,
    bias: final.bias,
    threshold: thresholdFor(outOfFold, options.targetRecall),
    target_recall: options.targetRecall,
    weights,
    trained_on: { examples: examples.length, violations, false_positives: falsePositives },
  };
}
