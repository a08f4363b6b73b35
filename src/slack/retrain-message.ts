/**
 * Posts a retraining's live message in the channel it was asked from, right after the command is
 * acknowledged; every later change updates the same message (slack.notify retrain.status). When
 * Slack will not let the bot post there, the person is told how to fix it.
 */
import { slackChat } from '../../integrations/registry.ts';
import { retrainMessageFor } from '../serving/notify/retrain-context.ts';
import { keepSlackMessageUpdated } from '../serving/notify/keep-updated.ts';
import { escapeText, type SlackContext } from './context.ts';

export async function postRetrainMessage(ctx: SlackContext, runId: string, channel: string, asker: { userId: string; responseUrl?: string }): Promise<void> {
  const { config, database, log } = ctx.deps;
  if (!config.SLACK_BOT_TOKEN) return;
  const chat = slackChat({ token: config.SLACK_BOT_TOKEN, apiUrl: config.SLACK_API_URL, log });
  try {
    await keepSlackMessageUpdated(database, chat, { kind: 'retrain.status', subjectId: runId, channel }, (tx) => retrainMessageFor(tx, database.db, config, runId));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.warn({ runId, channel, reason }, 'could not post the retraining message');
    const text = `The retraining runs, but I cannot post its progress here (${escapeText(reason)}). Invite me to this channel (\`/invite @tuneloop\`), or follow it with \`/tuneloop runs\`.`;
    if (asker.responseUrl) await ctx.slack.respond(asker.responseUrl, { text });
    else await ctx.slack.postEphemeral({ channel, user: asker.userId, text }).catch(() => undefined);
  }
}
