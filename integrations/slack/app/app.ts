/**
 * The Slack app on Bolt: one listener per kind of request, each turning Bolt's payload into the
 * hub's plain input (payloads.ts), acknowledging with what the hub's handler answers (within
 * Slack's 3 seconds: handlers answer fast and leave slow work to jobs or `after`), and never
 * letting an error reach Slack as a 5xx. HTTP mode receives through HonoSlackReceiver; Socket Mode
 * through Bolt's SocketModeReceiver, pointed at the same API URL.
 * https://docs.slack.dev/tools/bolt-js/concepts/acknowledge
 * https://docs.slack.dev/apis/events-api/using-socket-mode
 */
import { App, LogLevel, SocketModeReceiver, type Logger as BoltLogger, type RespondArguments } from '@slack/bolt';
import type { InboundRequest, SlackApp, SlackAppOptions, SlackReply } from '../../types.ts';
import { slackAppClient } from './client.ts';
import { HonoSlackReceiver } from './http-receiver.ts';
import { parseButton, parseCommand, parseMessageEvent, parseViewSubmission } from './payloads.ts';

const FAILED: SlackReply = { text: 'Something went wrong on the tuneloop side; nothing was changed. The hub log has the details.' };

/** The acknowledgement's body. Blocks are the hub's Block Kit JSON; Bolt's types for them are narrower than JSON. */
function ackBody(reply: SlackReply | undefined): RespondArguments | undefined {
  if (!reply) return undefined;
  const body = { text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}), response_type: reply.inChannel ? ('in_channel' as const) : ('ephemeral' as const) };
  return body as RespondArguments;
}

/** Bolt's own logging goes to the hub's logger, at warn and above. */
function boltLogger(log: SlackAppOptions['log']): BoltLogger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...messages: unknown[]) => log.warn({ bolt: messages.map(String).join(' ') }, 'Slack (Bolt)'),
    error: (...messages: unknown[]) => log.error({ bolt: messages.map(String).join(' ') }, 'Slack (Bolt)'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.WARN,
    setName: () => undefined,
  };
}

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const { handlers, log } = options;
  const logger = boltLogger(log);
  const clientOptions = { slackApiUrl: options.apiUrl };
  const http = options.appToken ? null : new HonoSlackReceiver(options.signingSecret ?? '', log);
  const receiver = options.appToken ? new SocketModeReceiver({ appToken: options.appToken, logger, installerOptions: { clientOptions } }) : (http as HonoSlackReceiver);
  const app = new App({ token: options.botToken, receiver, logger, clientOptions, deferInitialization: false });
  const client = slackAppClient(app.client, options.apiUrl);
  const run = async (after: (() => Promise<void>) | undefined, what: string) => {
    if (!after) return;
    try {
      await after();
    } catch (error) {
      log.error({ err: error, what }, 'Slack work after the acknowledgement failed');
    }
  };

  // https://docs.slack.dev/interactivity/implementing-slash-commands
  app.command(/.*/, async ({ ack, body }) => {
    const input = parseCommand(body);
    if (!input) {
      log.warn({}, 'slash command payload did not validate: acknowledged, nothing done');
      return ack();
    }
    let answer;
    try {
      answer = await handlers.command(input, client);
    } catch (error) {
      log.error({ err: error, command: input.command }, 'slash command failed');
      return ack(ackBody(FAILED));
    }
    await ack(ackBody(answer.ack));
    await run(answer.after, `command ${input.command}`);
  });

  // https://docs.slack.dev/reference/interaction-payloads/block_actions-payload
  app.action(/.*/, async ({ ack, body }) => {
    await ack();
    const input = parseButton(body);
    if (!input) return void log.warn({}, 'block_actions payload did not validate: acknowledged, nothing done');
    try {
      const answer = await handlers.button(input, client);
      await run(answer.after, `button ${input.actionId}`);
    } catch (error) {
      log.error({ err: error, actionId: input.actionId }, 'button action failed');
      if (input.responseUrl) await client.respond(input.responseUrl, { ...FAILED, replaceOriginal: false }).catch(() => undefined);
    }
  });

  // https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
  app.view(/.*/, async ({ ack, body }) => {
    const input = parseViewSubmission(body);
    if (!input) {
      log.warn({}, 'view_submission payload did not validate: acknowledged, nothing done');
      return ack();
    }
    let answer;
    try {
      answer = await handlers.viewSubmission(input, client);
    } catch (error) {
      log.error({ err: error, callbackId: input.callbackId }, 'view submission failed');
      return ack({ response_action: 'errors', errors: { [Object.keys(input.values)[0] ?? 'input']: FAILED.text } });
    }
    const result = answer.ack;
    if (result && 'errors' in result) await ack({ response_action: 'errors', errors: result.errors });
    else if (result && 'update' in result) await ack({ response_action: 'update', view: result.update as never });
    else await ack();
    await run(answer.after, `view ${input.callbackId}`);
  });

  // https://docs.slack.dev/reference/events/message (Bolt acknowledges events itself, first)
  app.event('message', async ({ event, body }) => {
    const eventId = typeof body.event_id === 'string' ? body.event_id : '';
    const input = eventId ? parseMessageEvent(event, eventId) : null;
    if (!input) return;
    try {
      await handlers.message(input, client);
    } catch (error) {
      // Thrown on: Slack retries the event, and the event id keeps the retry from doing it twice.
      log.error({ err: error, eventId }, 'message event failed');
      throw error;
    }
  });

  // https://docs.slack.dev/reference/events/app_home_opened
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await handlers.appHomeOpened(event.user, client).catch((error: unknown) => log.error({ err: error }, 'App Home failed'));
  });

  app.error(async (error) => {
    log.error({ err: error }, 'Slack app error');
  });

  return {
    mode: http ? 'http' : 'socket',
    client,
    async handle(request: InboundRequest) {
      if (!http) return { status: 404, headers: { 'content-type': 'text/plain' }, body: 'the Slack app runs in Socket Mode' };
      return http.handle(request);
    },
    async start() {
      if (!http) await app.start();
    },
    async stop() {
      if (!http) await app.stop();
    },
  };
}
