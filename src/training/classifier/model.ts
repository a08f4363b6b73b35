/**
 * The compliance classifier's file: a logistic regression over hashed word features (features.ts)
 * for one policy, with the decision threshold training chose. Written by the classifier run
 * (runner.ts) as TUNELOOP_HOME/runs/<job id>/classifier.json, read by the evaluation and by the
 * compliance scan's model stage. The file is outside input when read back: it is parsed with zod,
 * and one of another feature version is refused.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { features, FEATURE_VERSION } from './features.ts';

/** The base model name of a classifier run: nothing is loaded, the hub trains it from scratch. */
export const CLASSIFIER_BASE_MODEL = 'tuneloop-compliance-classifier';
/** The task of a policy's classifier in the model registry: one production model per policy. */
export const classifierTask = (policyId: string) => `compliance:${policyId}`;
/** The policy of a classifier task, or null for any other task. */
export const policyOfTask = (task: string): string | null => (task.startsWith('compliance:') ? task.slice('compliance:'.length) || null : null);

export const ClassifierFile = z.object({
  format: z.literal('tuneloop-compliance-classifier'),
  feature_version: z.literal(FEATURE_VERSION),
  policy: z.string().min(1),
  bits: z.number().int().min(8).max(24),
  bias: z.number(),
  /** A message scoring at least this is a violation. */
  threshold: z.number(),
  /** The share of confirmed violations the threshold keeps, measured out of fold on the training data. */
  target_recall: z.number().min(0).max(1),
  /** [bucket, weight] pairs, the non-zero weights only. */
  weights: z.array(z.tuple([z.number().int().min(0), z.number()])),
  trained_on: z.object({ examples: z.number().int(), violations: z.number().int(), false_positives: z.number().int() }),
});
export type ClassifierFile = z.infer<typeof ClassifierFile>;

export class ClassifierFileError extends Error {
  override name = 'ClassifierFileError';
}

export interface Classifier {
  file: ClassifierFile;
  /** The probability that the text breaks the policy. */
  score(text: string): number;
  isViolation(text: string): boolean;
}

export function classifierFrom(file: ClassifierFile): Classifier {
  const weights = new Map(file.weights);
  const score = (text: string) => {
    const x = features(text, file.bits);
    let z = file.bias;
    for (let i = 0; i < x.index.length; i++) z += (weights.get(x.index[i] ?? 0) ?? 0) * (x.value[i] ?? 0);
    return 1 / (1 + Math.exp(-z));
  };
  return { file, score, isViolation: (text) => score(text) >= file.threshold };
}

export async function loadClassifier(path: string): Promise<Classifier> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ClassifierFileError(`cannot read the classifier file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const file = ClassifierFile.safeParse(parsed);
  if (!file.success) throw new ClassifierFileError(`${path} is not a classifier file of feature version ${FEATURE_VERSION}: ${file.error.issues[0]?.message ?? 'invalid'}`);
  return classifierFrom(file.data);
}
