/**
 * The compliance jobs. `compliance.scan` scans one message, raises its alerts (each sends a
 * `slack.notify` in the same transaction) and creates the Salesforce Tasks still missing for the
 * message's alerts. `slack.notify` with kind `alert.raised` posts or updates the alert's Slack
 * message. Both are idempotent: pg-boss may run them again.
 * The policy file is loaded when the handler is built, so a bad file stops the worker at start.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Config } from '../../config.ts';
import { complianceAlerts, conversations } from '../../db/schema/index.ts';
import type { HubDeps } from '../../deps.ts';
import type { JobHandler } from '../../queue/queue.ts';
import { deliverSalesforceTasks } from './alerts/deliver-tasks.ts';
import { slackChatFor, syncAlertToSlack } from './alerts/deliver-slack.ts';
import { loadPolicies, type PolicySet } from './policies/policies.ts';
import { scanMessage } from './scan.ts';
import { scanDocument } from './scan-document.ts';
import { complianceModelCheck } from './model-check.ts';
import { complianceClassifierStage } from './classifier-stage.ts';
import { createInferenceClient } from '../../models/inference/client.ts';

const loaded = new Map<string, PolicySet>();

/** The configured policy set, compiled once per process. Throws PolicyFileError on a bad file. */
export function policiesFor(config: Pick<Config, 'COMPLIANCE_POLICY_FILE'>): PolicySet {
  const path = config.COMPLIANCE_POLICY_FILE;
  let set = loaded.get(path);
  if (!set) {
    set = loadPolicies(path);
    loaded.set(path, set);
  }
  return set;
}

export function complianceScanHandler(deps: HubDeps): JobHandler<'compliance.scan'> {
  const policies = policiesFor(deps.config);
  const log = deps.log.child({ module: 'compliance' });
  const inference = createInferenceClient({ config: deps.config, log });
  const model = complianceModelCheck({ db: deps.database.db, config: deps.config, inference, policies, log });
  const stage = complianceClassifierStage({ db: deps.database.db, log });
  return async (payload, job) => {
    await scanMessage(deps.database, deps.queue, policies, payload.messageId, log, model, stage);
    const pending = await deps.database.db
      .select({ id: complianceAlerts.id })
      .from(complianceAlerts)
      .innerJoin(conversations, eq(conversations.id, complianceAlerts.conversationId))
      .where(and(eq(complianceAlerts.messageId, payload.messageId), isNull(complianceAlerts.salesforceTaskId), eq(conversations.source, 'salesforce')));
    if (pending.length) await deliverSalesforceTasks({ ...deps, log }, policies, pending.map((row) => row.id), job.signal);
  };
}

/** `compliance.scan-document`: one document's text; alerts on a Salesforce case's attachment get their Task too. */
export function documentScanHandler(deps: HubDeps): JobHandler<'compliance.scan-document'> {
  const policies = policiesFor(deps.config);
  const log = deps.log.child({ module: 'compliance' });
  return async (payload, job) => {
    await scanDocument(deps.database, deps.queue, policies, payload.documentId, log);
    const pending = await deps.database.db
      .select({ id: complianceAlerts.id })
      .from(complianceAlerts)
      .innerJoin(conversations, eq(conversations.id, complianceAlerts.conversationId))
      .where(and(eq(complianceAlerts.documentId, payload.documentId), isNull(complianceAlerts.salesforceTaskId), eq(conversations.source, 'salesforce')));
    if (pending.length) await deliverSalesforceTasks({ ...deps, log }, policies, pending.map((row) => row.id), job.signal);
  };
}

/** `slack.notify` for compliance alerts; other kinds belong to other domains and are left alone. */
export function alertNotifyHandler(deps: HubDeps): JobHandler<'slack.notify'> {
  const policies = policiesFor(deps.config);
  const log = deps.log.child({ module: 'compliance' });
  const chat = slackChatFor({ channel: deps.config.COMPLIANCE_SLACK_CHANNEL, token: deps.config.SLACK_BOT_TOKEN, apiUrl: deps.config.SLACK_API_URL }, log);
  return async (payload, job) => {
    if (payload.kind !== 'alert.raised') {
      log.debug({ kind: payload.kind }, 'slack.notify kind without a handler here');
      return;
    }
    await syncAlertToSlack(deps.database, chat, payload.channel ?? deps.config.COMPLIANCE_SLACK_CHANNEL, policies, payload.subjectId, log, job.signal);
  };
}
