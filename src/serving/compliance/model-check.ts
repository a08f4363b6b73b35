/**
 * The compliance model, when one is in production, as a second opinion beside the rule policies:
 * it reads the message as the compliance dataset showed it (complianceUserText) and answers JSON
 * `{violation, policy, confidence?}`. A violation above COMPLIANCE_MODEL_MIN_CONFIDENCE raises an
 * alert under the policy it names when that policy exists and covers the message, else under
 * `compliance-model`. An answer that does not validate is no prediction. The whole message is the
 * evidence: the model does not point at a span.
 */
import type { Config } from '../../config.ts';
import type { Db } from '../../db/client.ts';
import type { EvidenceSpan } from '../../db/schema/index.ts';
import { complianceUserText } from '../../datasets/steps/extract-compliance.ts';
import type { Logger } from '../../log.ts';
import type { InferenceClient } from '../../models/inference/client.ts';
import { productionModel } from '../../models/registry/registry.ts';
import { parseComplianceAnswer } from '../answers.ts';
import { promptSettingsForModel } from '../writeback.ts';
import type { MessageToScan } from './policies/detectors.ts';
import { inScope, type PolicySet } from './policies/policies.ts';
import type { AlertPolicy } from './alerts/alerts.ts';

/** The policy model findings fall under when the model names none of ours. */
export const MODEL_POLICY: AlertPolicy = { id: 'compliance-model', version: 1, severity: 'medium' };
const EVIDENCE_CHARS = 500;

export interface ModelFinding {
  policy: AlertPolicy;
  evidence: EvidenceSpan[];
  modelId: string;
}

export type ComplianceModelCheck = (message: MessageToScan) => Promise<ModelFinding[]>;

export function complianceModelCheck(deps: { db: Db; config: Pick<Config, 'COMPLIANCE_MODEL_MIN_CONFIDENCE'>; inference: InferenceClient; policies: PolicySet; log: Logger }): ComplianceModelCheck {
  return async (message) => {
    const model = await productionModel(deps.db, 'compliance');
    if (!model || !message.body.trim()) return [];
    const { systemPrompt } = await promptSettingsForModel(deps.db, model, 'compliance');
    const answer = await deps.inference.complete(
      model,
      [
        { role: 'system', content: systemPrompt },
        { role: 'user', content: complianceUserText(message, message.body) },
      ],
      { temperature: 0, maxTokens: 100, json: true },
    );
    const verdict = parseComplianceAnswer(answer.text);
    if (!verdict) {
      deps.log.info({ modelId: model.id }, 'compliance model answer is not valid JSON: no prediction');
      return [];
    }
    if (!verdict.violation || (verdict.confidence !== null && verdict.confidence < deps.config.COMPLIANCE_MODEL_MIN_CONFIDENCE)) return [];
    const named = deps.policies.policies.find((compiled) => compiled.policy.id === verdict.policy && compiled.policy.enabled && inScope(compiled.policy, message))?.policy;
    const evidence: EvidenceSpan = { start: 0, end: Math.min(message.body.length, EVIDENCE_CHARS), excerpt: message.body.slice(0, EVIDENCE_CHARS), kind: 'model' };
    return [{ policy: named ? { id: named.id, version: named.version, severity: named.severity } : MODEL_POLICY, evidence: [evidence], modelId: model.id }];
  };
}
