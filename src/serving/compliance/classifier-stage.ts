/**
 * The compliance scan's classifier stage: a policy whose classifier is in production (model task
 * `compliance:<policy>`, promoted through the gate like any model) has each of its findings checked
 * by it, and a finding the classifier scores below its threshold raises no alert. Policies without a
 * production classifier are untouched, and so is every other policy. The classifier reads the
 * message as its training examples showed it: scrubbed by the curation scrubber, then with
 * complianceUserText. A classifier that cannot be loaded keeps the findings (an alert too many is the
 * safe side) and says so in the log.
 */
import type { Db } from '../../db/client.ts';
import { complianceUserText } from '../../datasets/steps/extract-compliance.ts';
import { Scrubber } from '../../datasets/pii/index.ts';
import type { Logger } from '../../log.ts';
import { productionModel } from '../../models/registry/registry.ts';
import { classifierTask, loadClassifier, type Classifier } from '../../training/classifier/model.ts';
import type { MessageToScan } from './policies/detectors.ts';

export type ClassifierStage = <F extends { policy: { id: string } }>(message: MessageToScan, findings: F[]) => Promise<{ kept: F[]; dropped: F[] }>;

export function complianceClassifierStage(deps: { db: Db; log: Logger }): ClassifierStage {
  // Model files never change once written: one load per model and process.
  const loaded = new Map<string, Promise<Classifier>>();
  let scrubber: Scrubber | null = null;
  return async (message, findings) => {
    const kept: typeof findings = [];
    const dropped: typeof findings = [];
    let text: string | null = null;
    for (const finding of findings) {
      const model = await productionModel(deps.db, classifierTask(finding.policy.id));
      if (!model?.modelPath) {
        kept.push(finding);
        continue;
      }
      let classifier: Classifier;
      try {
        let pending = loaded.get(model.id);
        if (!pending) loaded.set(model.id, (pending = loadClassifier(model.modelPath)));
        classifier = await pending;
      } catch (error) {
        loaded.delete(model.id);
        deps.log.warn({ modelId: model.id, policyId: finding.policy.id, reason: error instanceof Error ? error.message : String(error) }, 'compliance classifier cannot be loaded; its policy\'s findings are kept');
        kept.push(finding);
        continue;
      }
      text ??= complianceUserText(message, (scrubber ??= new Scrubber()).scrubText(message.body).text);
      if (classifier.isViolation(text)) kept.push(finding);
      else dropped.push(finding);
    }
    if (dropped.length) deps.log.info({ policies: dropped.map((finding) => finding.policy.id) }, 'compliance classifier stage dropped findings it judges false positives');
    return { kept, dropped };
  };
}
