/**
 * The hub's answers to what people do in Slack (integrations/contract/slack-app.ts): each slash
 * command, button, modal and event checked against the role it needs, then handed to its file in
 * commands/, actions/ or events/. Usage errors and refusals are answered in the acknowledgement,
 * shown only to the person; slow work runs after it or in a job.
 */
import type { SlackAnswer, SlackAppClient, SlackAppHandlers, SlackButton, SlackCommand } from '../../integrations/types.ts';
import type { Role } from '../auth/roles.ts';
import type { HubDeps } from '../deps.ts';
import { isAlertButton, pressAlertButton, submitAlertNote } from './actions/alert-buttons.ts';
import { isCandidateButton, pressCandidateButton, submitPromoteReason } from './actions/candidate-buttons.ts';
import { submitRetrain } from './actions/retrain-submit.ts';
import { parseArgs, splitWords } from './commands/args.ts';
import { UsageError } from './commands/command.ts';
import { findCommand } from './commands/index.ts';
import { slackActor, type SlackContext } from './context.ts';
import { publishHome } from './events/home.ts';
import { receiveMessage } from './events/messages.ts';
import { refuse, SlackPermissions } from './permissions.ts';
import { ALERT_NOTE_CALLBACK, PROMOTE_REASON_CALLBACK } from './views/note-modals.ts';
import { RETRAIN_CALLBACK } from './views/retrain-modal.ts';

export function slackHandlers(deps: HubDeps, permissions = new SlackPermissions(deps.database.db, deps.config)): SlackAppHandlers {
  const context = (slack: SlackAppClient): SlackContext => ({ deps, slack, permissions });
  const denied = async (ctx: SlackContext, userId: string, role: Role, what: string) => (await ctx.permissions.may(userId, role, ctx.slack) ? null : refuse(deps.database.db, userId, role, what));
  const tell = async (ctx: SlackContext, input: SlackButton, text: string) => {
    if (input.responseUrl) await ctx.slack.respond(input.responseUrl, { text, replaceOriginal: false });
    else if (input.channelId) await ctx.slack.postEphemeral({ channel: input.channelId, user: input.userId, text });
  };

  return {
    async command(input: SlackCommand, slack): Promise<SlackAnswer> {
      const ctx = context(slack);
      const words = splitWords(input.text);
      const name = words[0] ?? 'help';
      const command = findCommand(name);
      if (!command) return { ack: { text: `There is no \`${name.replace(/[`<>&]/g, '')}\` command. \`/tuneloop help\` lists them.` } };
      if (command.role) {
        const refusal = await denied(ctx, input.userId, command.role, `\`/tuneloop ${command.name}\``);
        if (refusal) return { ack: refusal };
      }
      try {
        return await command.run({ ctx, input, args: parseArgs(words.slice(1)), actor: slackActor(input.userId) });
      } catch (error) {
        if (error instanceof UsageError) return { ack: { text: `${error.message}. Usage: \`${command.usage}\`` } };
        throw error;
      }
    },

    async button(input, slack) {
      const ctx = context(slack);
      const actor = slackActor(input.userId);
      if (isAlertButton(input.actionId)) {
        const refusal = await denied(ctx, input.userId, 'compliance', 'deciding on compliance alerts');
        return { after: () => (refusal ? tell(ctx, input, refusal.text) : pressAlertButton(ctx, input, actor)) };
      }
      if (isCandidateButton(input.actionId)) {
        const refusal = await denied(ctx, input.userId, 'operator', 'promoting or rejecting a model');
        return { after: () => (refusal ? tell(ctx, input, refusal.text) : pressCandidateButton(ctx, input, actor)) };
      }
      deps.log.warn({ actionId: input.actionId }, 'Slack button with an unknown action id: ignored');
      return {};
    },

    async viewSubmission(input, slack) {
      const ctx = context(slack);
      const actor = slackActor(input.userId);
      const need = input.callbackId === ALERT_NOTE_CALLBACK ? 'compliance' : 'operator';
      const refusal = await denied(ctx, input.userId, need, 'this form');
      if (refusal) return { ack: { errors: { [Object.keys(input.values)[0] ?? 'note']: refusal.text.slice(0, 150) } } };
      if (input.callbackId === ALERT_NOTE_CALLBACK) return { ack: await submitAlertNote(ctx, input) };
      if (input.callbackId === PROMOTE_REASON_CALLBACK) return { ack: await submitPromoteReason(ctx, input, actor) };
      if (input.callbackId === RETRAIN_CALLBACK) return submitRetrain(ctx, input, actor);
      deps.log.warn({ callbackId: input.callbackId }, 'Slack view with an unknown callback id: closed');
      return {};
    },

    async message(input, slack) {
      await receiveMessage(context(slack), input);
    },

    async appHomeOpened(userId, slack) {
      await publishHome(context(slack), userId);
    },
  };
}
