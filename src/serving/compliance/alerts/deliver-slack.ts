/**
 * Brings an alert's Slack message up to date: posts it the first time, then updates the same
 * message (its channel and ts are stored on the alert) for every later state. A retried job finds
 * the ts and updates instead of posting again. An advisory lock per alert, held across the call,
 * keeps a "raised" and a "decided" job from both posting.
 */
import { eq, sql } from 'drizzle-orm';
import { slackChat } from '../../../../integrations/registry.ts';
import type { AppChat } from '../../../../integrations/types.ts';
import type { Database } from '../../../db/client.ts';
import { complianceAlerts } from '../../../db/schema/index.ts';
import type { Logger } from '../../../log.ts';
import { alertView, loadAlertContext } from './context.ts';
import type { PolicySet } from '../policies/policies.ts';
import { alertBlocks, alertMessageText } from './slack-view.ts';

export interface SlackDeliveryConfig {
  channel: string | undefined;
  token: string | undefined;
  apiUrl: string;
}

export function slackChatFor(config: SlackDeliveryConfig, log?: Logger): AppChat | null {
  if (!config.channel || !config.token) return null;
  return slackChat({ token: config.token, apiUrl: config.apiUrl, ...(log ? { log } : {}) });
}

export type SlackSyncResult = 'posted' | 'updated' | 'skipped';

export async function syncAlertToSlack(database: Database, chat: AppChat | null, channel: string | undefined, policies: PolicySet | null, alertId: string, log: Logger, signal?: AbortSignal): Promise<SlackSyncResult> {
  if (!chat || !channel) {
    log.debug({ alertId }, 'compliance Slack channel or bot token not configured: alert not posted');
    return 'skipped';
  }
  return database.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`alert-slack:${alertId}`}))`);
    const context = await loadAlertContext(tx, alertId);
    if (!context) return 'skipped'; // deleted with its message (erasure): nothing to show
    const view = alertView(context, policies);
    const message = { text: alertMessageText(view), blocks: alertBlocks(view) };
    const { alert } = context;
    if (alert.slackTs && alert.slackChannel) {
      await chat.update({ ...message, channel: alert.slackChannel, ts: alert.slackTs }, signal);
      return 'updated';
    }
    const posted = await chat.post({ ...message, channel }, signal);
    await tx.update(complianceAlerts).set({ slackChannel: posted.channel, slackTs: posted.ts }).where(eq(complianceAlerts.id, alertId));
    log.info({ alertId, channel: posted.channel }, 'compliance alert posted to Slack');
    return 'posted';
  });
}
