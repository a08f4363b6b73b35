/**
 * `slack.notify`: one job name for everything the hub tells Slack, dispatched by kind.
 * - alert.raised → the compliance alert's message (COMPLIANCE_SLACK_CHANNEL), see ../compliance.
 * - run.status → the run's message in SLACK_NOTIFY_CHANNEL, posted once and updated as it moves
 *   (status changes, plus progress ticks throttled to one per RUN_PROGRESS_SECONDS).
 * - model.promoted → a message per promotion or rollback.
 * - drift.detected → a message per drift report.
 * - retrain.status → a retraining's live message (retrain-view.ts), in the channel it was asked
 *   from; its fine-tuning run's progress and its candidate's promotion update it too.
 * Kinds with nothing to show yet are acknowledged and logged, so the queue does not retry them.
 * Unconfigured Slack (no bot token or channel) is not an error: nothing is posted.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import { slackChat } from '../../../integrations/registry.ts';
import { driftReports, models, modelSwitches } from '../../db/schema/index.ts';
import { driftMessage } from '../../models/drift/view.ts';
import type { HubDeps } from '../../deps.ts';
import type { JobHandler } from '../../queue/queue.ts';
import { alertNotifyHandler } from '../compliance/index.ts';
import { keepSlackMessageUpdated } from './keep-updated.ts';
import { promotedMessage } from './model-view.ts';
import { retrainMessageFor, retrainMessageOfJob } from './retrain-context.ts';
import { runMessageFor } from './run-context.ts';

export function slackNotifyHandler(deps: HubDeps): JobHandler<'slack.notify'> {
  const alerts = alertNotifyHandler(deps);
  const log = deps.log.child({ module: 'slack-notify' });
  const { SLACK_BOT_TOKEN: token, SLACK_API_URL: apiUrl, SLACK_NOTIFY_CHANNEL: defaultChannel } = deps.config;
  const chat = token ? slackChat({ token, apiUrl, log }) : null;

  return async (payload, job) => {
    if (payload.kind === 'alert.raised') return alerts(payload, job);
    if (!chat) {
      log.debug({ kind: payload.kind }, 'SLACK_BOT_TOKEN not set: notification not posted');
      return;
    }
    const updateRetrain = (runId: string, retrainChannel: string) =>
      keepSlackMessageUpdated(deps.database, chat, { kind: 'retrain.status', subjectId: runId, channel: retrainChannel }, (tx) => retrainMessageFor(tx, deps.database.db, deps.config, runId), job.signal);
    // A run started from Slack is shown in its retraining's message (in the channel it was asked
    // from), not in a message of its own; its candidate's promotion updates that message too.
    if (payload.kind === 'run.status') {
      const retrain = await retrainMessageOfJob(deps.database.db, payload.subjectId);
      if (retrain) return void (await updateRetrain(retrain.runId, retrain.channel));
    }
    if (payload.kind === 'model.promoted') {
      const [promoted] = await deps.database.db.select({ jobId: models.fineTuningJobId }).from(models).where(eq(models.id, payload.subjectId));
      const retrain = promoted?.jobId ? await retrainMessageOfJob(deps.database.db, promoted.jobId) : null;
      if (retrain) await updateRetrain(retrain.runId, retrain.channel);
    }
    const channel = payload.channel ?? defaultChannel;
    if (!channel) {
      log.debug({ kind: payload.kind }, 'SLACK_NOTIFY_CHANNEL not set: notification not posted');
      return;
    }
    const subject = { kind: payload.kind, subjectId: payload.subjectId, channel };
    switch (payload.kind) {
      case 'run.status': {
        await keepSlackMessageUpdated(deps.database, chat, subject, (tx) => runMessageFor(tx, deps.database.db, deps.config, payload.subjectId), job.signal);
        return;
      }
      case 'retrain.status': {
        await updateRetrain(payload.subjectId, channel);
        return;
      }
      case 'model.promoted': {
        // The switch that put it in production names the model it replaced. Each switch gets its
        // own message (keyed by the switch), so rolling back to a model announces it again.
        const [change] = await deps.database.db
          .select({ id: modelSwitches.id, from: modelSwitches.fromModelId, kind: modelSwitches.kind })
          .from(modelSwitches)
          .where(and(eq(modelSwitches.toModelId, payload.subjectId), inArray(modelSwitches.kind, ['promote', 'rollback', 'ab_end'])))
          .orderBy(desc(modelSwitches.id))
          .limit(1);
        const key = { ...subject, subjectId: `${payload.subjectId}:${change?.id ?? 'none'}` };
        await keepSlackMessageUpdated(deps.database, chat, key, async (tx) => {
          const [model] = await tx.select().from(models).where(eq(models.id, payload.subjectId));
          if (!model) return null;
          return promotedMessage(model, change?.from ?? null, change?.kind === 'rollback' ? 'rollback' : 'promote');
        }, job.signal);
        return;
      }
      case 'drift.detected': {
        await keepSlackMessageUpdated(deps.database, chat, subject, async (tx) => {
          const [report] = await tx.select().from(driftReports).where(eq(driftReports.id, payload.subjectId));
          return report ? driftMessage({ ...report, metrics: report.metrics as Record<string, unknown> }) : null;
        }, job.signal);
        return;
      }
      default:
        log.info({ kind: payload.kind, subjectId: payload.subjectId }, 'slack.notify kind has no Slack message yet: acknowledged');
    }
  };
}
