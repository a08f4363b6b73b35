/**
 * Evaluating a compliance policy's classifier (task `compliance:<policy>`) on the held-out test
 * split of its compliance version, in the hub (it is a file of weights, src/training/classifier/):
 * the examples judged under that policy, each an alert a rule (or the compliance model) raised and a
 * person decided. The baseline is the policy's stage today: its production classifier, or with none
 * the rules alone, which raise every one of these alerts (recall 1 on them, precision = the share a
 * person confirmed). The gate then asks for the same recall and at least the precision; the report
 * says how many false positives the candidate removes at that recall.
 */
import { text } from 'node:stream/consumers';
import type { ArtifactStore } from '../../artifacts/index.ts';
import { policyExamples, type PolicyExample } from '../../training/classifier/examples.ts';
import { loadClassifier, policyOfTask, type Classifier } from '../../training/classifier/model.ts';
import type { EvaluationReport, ModelMetrics } from './evaluations.ts';

interface Side {
  modelPath: string | null;
}

/** Precision and recall of the violation class, with the counts behind them. */
export function stageMetrics(examples: readonly PolicyExample[], flags: (example: PolicyExample) => boolean): ModelMetrics {
  let truePositives = 0;
  let falsePositives = 0;
  let violations = 0;
  for (const example of examples) {
    const flagged = flags(example);
    if (example.violation) violations++;
    if (flagged && example.violation) truePositives++;
    if (flagged && !example.violation) falsePositives++;
  }
  const flagged = truePositives + falsePositives;
  return {
    examples: examples.length,
    ...(flagged ? { precision: truePositives / flagged } : {}),
    ...(violations ? { recall: truePositives / violations } : {}),
    true_positives: truePositives,
    false_positives: falsePositives,
    false_negatives: violations - truePositives,
  };
}

async function classifierOf(side: Side): Promise<Classifier> {
  if (!side.modelPath) throw new Error('a classifier model without its file (model_path)');
  return loadClassifier(side.modelPath);
}

export class ClassifierEvaluationError extends Error {
  override name = 'ClassifierEvaluationError';
}

/**
 * The report for `model` against `production` (the policy's production classifier, or null: the
 * rules). Throws ClassifierEvaluationError when the test split cannot decide (no example of the
 * policy, or no confirmed violation among them).
 */
export async function evaluateClassifier(
  store: ArtifactStore,
  input: { model: Side & { id: string; task: string }; production: (Side & { id: string }) | null; testKey: string },
): Promise<EvaluationReport> {
  const policy = policyOfTask(input.model.task);
  if (!policy) throw new ClassifierEvaluationError(`model ${input.model.id} is no policy classifier (task ${input.model.task})`);
  const stream = await store.get(input.testKey);
  if (!stream) throw new ClassifierEvaluationError(`the test split ${input.testKey} is missing from the artifact store`);
  const examples = policyExamples((await text(stream)).split('\n'), policy);
  if (!examples.some((example) => example.violation)) {
    throw new ClassifierEvaluationError(`the test split holds ${examples.length} alerts of policy ${policy} and no confirmed violation among them: recall cannot be measured; build a version with more decided alerts`);
  }
  const candidate = await classifierOf(input.model);
  const baseline = input.production ? await classifierOf(input.production) : null;
  const candidateMetrics = { ...stageMetrics(examples, (example) => candidate.isViolation(example.text)), threshold: candidate.file.threshold };
  const baselineMetrics = baseline ? { ...stageMetrics(examples, (example) => baseline.isViolation(example.text)), threshold: baseline.file.threshold } : stageMetrics(examples, () => true);
  return {
    task: 'compliance',
    testFile: input.testKey,
    candidate: { modelId: input.model.id, ...candidateMetrics },
    baseline: { modelId: input.production?.id ?? null, label: input.production ? 'production' : 'base', ...baselineMetrics },
    policy,
    stage: input.production ? 'production classifier' : 'rules alone',
  };
}
