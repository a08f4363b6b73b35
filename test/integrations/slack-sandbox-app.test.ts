/**
 * The Slack sandbox playing Slack's side towards a real @slack/bolt App, in HTTP mode (Bolt's own
 * HTTPReceiver on a loopback port, verifying the sandbox's signatures) and in Socket Mode (Bolt's
 * SocketModeReceiver, i.e. the official @slack/socket-mode client, through apps.connections.open).
 * The same listeners run in both modes: a slash command with an ephemeral ack and an in_channel
 * response_url message, a button whose response_url replaces the message, a modal whose
 * submission answers response_action "errors", message events, and app_home_opened. Then what is
 * mode-specific: signatures Bolt must refuse, event retries, the trigger_id's 3 seconds, and a
 * disconnect that makes the Socket Mode client reconnect.
 */
import { once, EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, type Logger } from '@slack/bolt';
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSlackSandbox,
  SANDBOX_APP_TOKEN,
  SANDBOX_BOT_TOKEN,
  SANDBOX_SIGNING_SECRET,
  type SlackSandbox,
  type SlackSandboxOptions,
} from '../../integrations/slack/sandbox/index.ts';

const CHANNEL = 'C0SUPPORT01';

/** Bolt logs every refused signature and failed listener as an error; these tests cause them on purpose. */
function quietLogger(): Logger {
  let level = LogLevel.ERROR;
  const noop = () => {};
  return { debug: noop, info: noop, warn: noop, error: noop, setLevel: (next) => void (level = next), getLevel: () => level, setName: noop };
}

const RETRAIN_MODAL = {
  type: 'modal' as const,
  callback_id: 'retrain',
  private_metadata: 'model-7',
  notify_on_close: true,
  title: { type: 'plain_text' as const, text: 'Retrain model' },
  submit: { type: 'plain_text' as const, text: 'Start' },
  blocks: [
    { type: 'input', block_id: 'epochs', label: { type: 'plain_text', text: 'Epochs' }, element: { type: 'plain_text_input', action_id: 'epochs_input' } },
    {
      type: 'input',
      block_id: 'dataset',
      label: { type: 'plain_text', text: 'Dataset' },
      element: {
        type: 'static_select',
        action_id: 'dataset_select',
        options: [
          { text: { type: 'plain_text', text: 'Support, May' }, value: 'ds-may' },
          { text: { type: 'plain_text', text: 'Support, June' }, value: 'ds-june' },
        ],
      },
    },
  ],
};

/** The app under test: one set of listeners, registered the same way for both modes. */
function registerListeners(app: App, seen: EventEmitter): void {
  app.command('/tuneloop', async ({ command, ack, respond, client }) => {
    if (command.text === 'retrain') {
      await ack();
      const opened = await client.views.open({ trigger_id: command.trigger_id, view: RETRAIN_MODAL });
      seen.emit('modal', opened.view?.id, command.trigger_id);
      return;
    }
    if (command.text === 'later') {
      await ack();
      seen.emit('command', command);
      return;
    }
    await ack({ response_type: 'ephemeral', text: `Queued a run for ${command.text}` });
    await respond({ response_type: 'in_channel', text: `Run for ${command.text} started by <@${command.user_id}>` });
    seen.emit('command', command);
  });
  app.action('approve', async ({ ack, body, respond }) => {
    await ack();
    await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
    seen.emit('action', body);
  });
  app.view('retrain', async ({ ack, view }) => {
    const epochs = view.state.values.epochs?.epochs_input?.value ?? '';
    seen.emit('view', view);
    if (!/^\d+$/.test(epochs)) await ack({ response_action: 'errors', errors: { epochs: 'Enter a whole number of epochs' } });
    else if (epochs === '0') await ack({ response_action: 'update', view: { ...RETRAIN_MODAL, title: { type: 'plain_text', text: 'Retrain (epochs ≥ 1)' } } });
    else if (Number(epochs) > 50) await ack({ response_action: 'push', view: { type: 'modal', callback_id: 'confirm', title: { type: 'plain_text', text: 'Sure?' }, blocks: [] } });
    else await ack();
  });
  app.view('confirm', async ({ ack }) => {
    await ack({ response_action: 'clear' });
  });
  app.view({ callback_id: 'retrain', type: 'view_closed' }, async ({ ack, body }) => {
    await ack();
    seen.emit('closed', body);
  });
  app.message(async ({ message }) => {
    seen.emit('message', message);
  });
  app.event('app_home_opened', async ({ event, client }) => {
    const refresh = { type: 'button' as const, action_id: 'refresh_home', text: { type: 'plain_text' as const, text: 'Refresh' } };
    await client.views.publish({ user_id: event.user, view: { type: 'home', blocks: [{ type: 'section', block_id: 'models', text: { type: 'mrkdwn', text: 'Models: 3' }, accessory: refresh }] } });
    seen.emit('home', event);
  });
  app.action('refresh_home', async ({ ack, body }) => {
    await ack();
    seen.emit('home-action', body);
  });
}

/** Fails at once when the app did not acknowledge, instead of waiting for a listener that will never run. */
async function acked<T extends { ok: boolean } | null>(delivery: Promise<T>): Promise<T> {
  const result = await delivery;
  expect(result).toMatchObject({ ok: true });
  return result;
}

async function delivered<T extends { delivery: { ok: boolean } | null }>(posted: Promise<T>): Promise<T> {
  const result = await posted;
  expect(result.delivery).toMatchObject({ ok: true });
  return result;
}

interface Harness {
  sandbox: SlackSandbox;
  web: WebClient;
  seen: EventEmitter;
  /** An agent who is in CHANNEL. */
  agent: string;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

async function startSandbox(options: SlackSandboxOptions = {}) {
  // Slack's retry delays are a minute and five: a broken app should fail these tests in seconds.
  const sandbox = createSlackSandbox({ seed: 3, threads: 6, eventRetryDelaysMs: [0, 0, 0], ...options });
  const { apiUrl, close } = await sandbox.listen();
  closers.push(close);
  const agent = [...sandbox.store.requireChannel(CHANNEL).members].find((id) => id.startsWith('U0AGENT'));
  if (!agent) throw new Error(`no agent in ${CHANNEL}`);
  return { sandbox, apiUrl, agent, web: new WebClient(SANDBOX_BOT_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 } }) };
}

/** HTTP mode: Bolt's HTTPReceiver on a loopback port; the sandbox POSTs to its /slack/events. */
async function httpHarness(options: SlackSandboxOptions = {}, bolt: { processBeforeResponse?: boolean } = {}): Promise<Harness & { app: App }> {
  const { sandbox, apiUrl, agent, web } = await startSandbox(options);
  const receiver = new HTTPReceiver({ signingSecret: SANDBOX_SIGNING_SECRET, processBeforeResponse: bolt.processBeforeResponse ?? false, logger: quietLogger() });
  const app = new App({ receiver, token: SANDBOX_BOT_TOKEN, clientOptions: { slackApiUrl: apiUrl }, logger: quietLogger() });
  const seen = new EventEmitter();
  registerListeners(app, seen);
  const server = await app.start(0);
  closers.push(async () => {
    await app.stop();
  });
  sandbox.setRequestUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`);
  return { sandbox, web, seen, agent, app };
}

/** Socket Mode: Bolt's SocketModeReceiver opens its connection through apps.connections.open. */
async function socketHarness(options: SlackSandboxOptions = {}): Promise<Harness & { app: App }> {
  const { sandbox, apiUrl, agent, web } = await startSandbox(options);
  const app = new App({
    socketMode: true,
    appToken: SANDBOX_APP_TOKEN,
    token: SANDBOX_BOT_TOKEN,
    clientOptions: { slackApiUrl: apiUrl },
    installerOptions: { clientOptions: { slackApiUrl: apiUrl } },
    logger: quietLogger(),
  });
  const seen = new EventEmitter();
  registerListeners(app, seen);
  await app.start();
  closers.push(async () => {
    await app.stop();
  });
  return { sandbox, web, seen, agent, app };
}

describe.each([
  ['HTTP mode', httpHarness],
  ['Socket Mode', socketHarness],
] as const)('slack sandbox as Slack, %s', (mode, harness) => {
  const via = mode === 'HTTP mode' ? 'http' : 'socket';

  it('delivers a slash command; the ack is an ephemeral reply, the response_url message lands in the channel', async () => {
    const { sandbox, seen, agent } = await harness();
    const commanded = once(seen, 'command');
    const result = await acked(sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'model-7' }));
    const [command] = await commanded;

    expect(result).toMatchObject({ ok: true, via, kind: 'slash_commands', name: '/tuneloop', retries: 0 });
    expect(result.latencyMs).toBeGreaterThan(0);
    expect(result.reply).toMatchObject({ source: 'ack', responseType: 'ephemeral', text: 'Queued a run for model-7', applied: 'ephemeral', user: agent });
    expect(command).toMatchObject({ command: '/tuneloop', text: 'model-7', user_id: agent, channel_id: CHANNEL, team_id: 'T0SANDBOX1', api_app_id: 'A0TUNELOOP', trigger_id: result.triggerId, response_url: result.responseUrl });

    const posted = sandbox.store.responses.find((response) => response.source === 'response_url');
    expect(posted).toMatchObject({ responseType: 'in_channel', applied: 'posted', text: `Run for model-7 started by <@${agent}>` });
    const last = sandbox.store.requireChannel(CHANNEL).topLevel.at(-1);
    expect(last).toMatchObject({ ts: posted?.ts, user: 'U0TUNELOOP', botId: 'B0TUNELOOP', text: `Run for model-7 started by <@${agent}>` });
    expect(sandbox.store.deliveries).toEqual([expect.objectContaining({ kind: 'slash_commands', via, ok: true })]);
  });

  it('delivers a button click from a stored message; respond() replaces the message', async () => {
    const { sandbox, web, seen, agent } = await harness();
    const blocks = [
      { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: 'Model 7 is ready for review' } },
      { type: 'actions', block_id: 'review', elements: [{ type: 'button', action_id: 'approve', value: 'model-7', style: 'primary', text: { type: 'plain_text', text: 'Approve' } }] },
    ];
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'Model 7 is ready for review', blocks });
    const ts = String(posted.ts);

    const acted = once(seen, 'action');
    const result = await acked(sandbox.clickButton({ userId: agent, channelId: CHANNEL, ts, actionId: 'approve' }));
    const [body] = await acted;

    expect(result).toMatchObject({ ok: true, via, kind: 'interactive', name: 'block_actions' });
    expect(body).toMatchObject({
      type: 'block_actions',
      user: { id: agent, team_id: 'T0SANDBOX1' },
      container: { type: 'message', message_ts: ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL, name: 'support' },
      message: { ts, text: 'Model 7 is ready for review', blocks },
      trigger_id: result.triggerId,
      response_url: result.responseUrl,
      actions: [{ action_id: 'approve', block_id: 'review', value: 'model-7', type: 'button', style: 'primary', action_ts: expect.stringMatching(/^\d+\.\d{6}$/) }],
    });
    expect(sandbox.store.responses).toEqual([expect.objectContaining({ source: 'response_url', replaceOriginal: true, applied: 'replaced', ts })]);
    expect(sandbox.store.requireChannel(CHANNEL).byTs.get(ts)).toMatchObject({ text: `Approved by <@${agent}>`, blocks: null });
  });

  it('delivers a view submission with state values; response_action errors keeps the modal open with them', async () => {
    const { sandbox, seen, agent } = await harness();
    const opened = once(seen, 'modal');
    await acked(sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'retrain' }));
    const [viewId] = await opened;
    expect(sandbox.store.openModals(agent).map((view) => view.id)).toEqual([viewId]);

    const submitted = once(seen, 'view');
    const refused = await sandbox.submitView({ userId: agent, viewId, values: { epochs: { epochs_input: 'ten' }, dataset: { dataset_select: 'ds-june' } } });
    const [view] = await submitted;
    expect(view).toMatchObject({
      id: viewId,
      callback_id: 'retrain',
      private_metadata: 'model-7',
      state: {
        values: {
          epochs: { epochs_input: { type: 'plain_text_input', value: 'ten' } },
          dataset: { dataset_select: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Support, June' }, value: 'ds-june' } } },
        },
      },
    });
    expect(refused).toMatchObject({ ok: true, via, name: 'view_submission', outcome: 'errors', errors: { epochs: 'Enter a whole number of epochs' } });
    expect(sandbox.store.views.get(viewId)).toMatchObject({ open: true, errors: { epochs: 'Enter a whole number of epochs' } });

    const accepted = await sandbox.submitView({ userId: agent, viewId, values: { epochs: { epochs_input: '3' }, dataset: { dataset_select: 'ds-may' } } });
    expect(accepted).toMatchObject({ ok: true, outcome: 'closed', view: null });
    expect(sandbox.store.openModals(agent)).toEqual([]);

    // A modal the user closes: the app asked with notify_on_close, so it hears view_closed.
    const reopened = once(seen, 'modal');
    await acked(sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'retrain' }));
    const [secondId] = await reopened;
    const closed = once(seen, 'closed');
    expect(await sandbox.closeView({ userId: agent, viewId: secondId })).toMatchObject({ ok: true, via, name: 'view_closed' });
    const [closedBody] = await closed;
    expect(closedBody).toMatchObject({ type: 'view_closed', is_cleared: false, user: { id: agent }, view: { id: secondId, callback_id: 'retrain' } });
    expect(sandbox.store.openModals(agent)).toEqual([]);
  });

  it('sends message events for posts and edits in channels the app is in, and app_home_opened', async () => {
    const { sandbox, seen, agent } = await harness();
    const heard = once(seen, 'message');
    const { message, delivery } = await delivered(sandbox.postUserMessage({ channelId: CHANNEL, userId: agent, text: 'Is model 7 live yet?' }));
    const [event] = await heard;
    expect(event).toMatchObject({ type: 'message', channel: CHANNEL, channel_type: 'channel', user: agent, text: 'Is model 7 live yet?', ts: message.ts, event_ts: message.ts });
    expect(delivery).toMatchObject({ ok: true, via, kind: 'events_api', name: 'message', id: expect.stringMatching(/^Ev/) });
    expect(sandbox.store.requireChannel(CHANNEL).topLevel.at(-1)).toBe(message);

    const changed = once(seen, 'message');
    await delivered(sandbox.editUserMessage({ channelId: CHANNEL, userId: agent, ts: message.ts, text: 'Is model 7 live?' }));
    const [edit] = await changed;
    expect(edit).toMatchObject({ subtype: 'message_changed', channel: CHANNEL, message: { ts: message.ts, text: 'Is model 7 live?', edited: { user: agent } }, previous_message: { text: 'Is model 7 live yet?' } });

    const opened = once(seen, 'home');
    const home = await acked(sandbox.openAppHome(agent));
    const [homeEvent] = await opened;
    expect(home).toMatchObject({ ok: true, name: 'app_home_opened' });
    expect(homeEvent).toMatchObject({ type: 'app_home_opened', user: agent, tab: 'home', channel: expect.stringMatching(/^D/) });
    const homeView = sandbox.store.homeView(agent);
    expect(homeView?.view).toMatchObject({ type: 'home', blocks: [{ type: 'section' }] });

    const clicked = once(seen, 'home-action');
    const click = await acked(sandbox.clickButton({ userId: agent, viewId: homeView?.id ?? '', actionId: 'refresh_home' }));
    const [clickBody] = await clicked;
    expect(click).toMatchObject({ ok: true, responseUrl: null });
    expect(clickBody).toMatchObject({ type: 'block_actions', container: { type: 'view', view_id: homeView?.id }, view: { id: homeView?.id, type: 'home' }, actions: [{ action_id: 'refresh_home', block_id: 'models', type: 'button' }] });
    expect(clickBody).not.toHaveProperty('response_url');
  });

  it('hands out a trigger_id that views.open takes once', async () => {
    const { sandbox, web, seen, agent } = await harness();
    const opened = once(seen, 'modal');
    await acked(sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'retrain' }));
    const [, triggerId] = await opened;
    await expect(web.views.open({ trigger_id: triggerId, view: RETRAIN_MODAL })).rejects.toMatchObject({ data: { error: 'exchanged_trigger_id' } });
  });
});

describe('slack sandbox as Slack: HTTP mode only', () => {
  it('answers url_verification through Bolt', async () => {
    const { sandbox } = await httpHarness();
    const verified = await sandbox.verifyRequestUrl();
    expect(verified).toMatchObject({ ok: true, status: 200, verified: true, body: { challenge: verified.challenge } });
  });

  it('signs as Slack does; Bolt refuses a wrong, stale or missing signature with 401, and listeners never run', async () => {
    const { sandbox, seen, agent } = await httpHarness();
    let commands = 0;
    seen.on('command', () => commands++);
    for (const signature of ['wrong', 'stale', 'missing'] as const) {
      const refused = await sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'later', signature });
      expect(refused).toMatchObject({ ok: false, status: 401, signature, reply: null });
    }
    const accepted = once(seen, 'command');
    expect(await sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'later' })).toMatchObject({ ok: true, status: 200, signature: 'valid' });
    await accepted;
    expect(commands).toBe(1);
    expect(sandbox.store.deliveries.map((delivery) => [delivery.signature, delivery.status])).toEqual([
      ['wrong', 401],
      ['stale', 401],
      ['missing', 401],
      ['valid', 200],
    ]);
  });

  it('retries an event the app did not answer in time, with X-Slack-Retry-Num and the same event_id', async () => {
    const { sandbox, app, agent } = await httpHarness({ ackTimeoutMs: 1000 }, { processBeforeResponse: true });
    const deliveries: { eventId: string; retryNum: number | undefined; retryReason: string | undefined }[] = [];
    let releaseFirst = () => {};
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    app.event('message', async ({ body, context }) => {
      deliveries.push({ eventId: body.event_id, retryNum: context.retryNum, retryReason: context.retryReason });
      // The first delivery hangs until Slack's retry arrives: no answer within the ack timeout.
      if (context.retryNum === undefined) await firstHeld;
      else releaseFirst();
    });
    const { delivery } = await sandbox.postUserMessage({ channelId: CHANNEL, userId: agent, text: 'Anyone there?' });
    expect(delivery).toMatchObject({ ok: true, status: 200, retries: 1 });
    expect(delivery?.attempts).toEqual([
      expect.objectContaining({ retryNum: 0, retryReason: null, acked: false, error: 'http_timeout' }),
      expect.objectContaining({ retryNum: 1, retryReason: 'http_timeout', acked: true, status: 200 }),
    ]);
    expect(deliveries).toEqual([
      { eventId: delivery?.id, retryNum: undefined, retryReason: undefined },
      { eventId: delivery?.id, retryNum: 1, retryReason: 'http_timeout' },
    ]);
  });

  it('retries an event answered with an error, up to three times', async () => {
    const { sandbox, app, agent } = await httpHarness({}, { processBeforeResponse: true });
    const retries: (number | undefined)[] = [];
    app.event('message', async ({ context }) => {
      retries.push(context.retryNum);
      throw new Error('the queue is down');
    });
    const { delivery } = await sandbox.postUserMessage({ channelId: CHANNEL, userId: agent, text: 'Hello?' });
    expect(delivery).toMatchObject({ ok: false, status: 500, retries: 3 });
    expect(delivery?.attempts.map((attempt) => attempt.retryReason)).toEqual([null, 'http_error', 'http_error', 'http_error']);
    expect(retries).toEqual([undefined, 1, 2, 3]);
  });

  it('applies response_action update, push and clear to the modal stack', async () => {
    const { sandbox, seen, agent } = await httpHarness();
    const opened = once(seen, 'modal');
    await acked(sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'retrain' }));
    const [viewId] = await opened;
    const before = sandbox.store.views.get(viewId)?.hash;
    const updated = await sandbox.submitView({ userId: agent, viewId, values: { epochs: { epochs_input: '0' } } });
    expect(updated).toMatchObject({ outcome: 'update', view: { id: viewId, open: true, view: { title: { text: 'Retrain (epochs ≥ 1)' } } } });
    expect(updated.view?.hash).not.toBe(before);

    const pushed = await sandbox.submitView({ userId: agent, viewId, values: { epochs: { epochs_input: '80' } } });
    expect(pushed).toMatchObject({ outcome: 'push', view: { previousViewId: viewId, rootViewId: viewId, view: { callback_id: 'confirm' } } });
    expect(sandbox.store.openModals(agent).map((view) => view.id)).toEqual([viewId, pushed.view?.id]);

    expect(await sandbox.submitView({ userId: agent, viewId: pushed.view?.id ?? '' })).toMatchObject({ outcome: 'clear', view: null });
    expect(sandbox.store.openModals(agent)).toEqual([]);
  });

  it('lets a trigger_id expire after 3 seconds', async () => {
    let now = Date.now();
    const { sandbox, web, seen, agent } = await httpHarness({ clock: () => now });
    const commanded = once(seen, 'command');
    const { triggerId } = await acked(sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'later' }));
    await commanded;
    now += 3001;
    await expect(web.views.open({ trigger_id: triggerId, view: RETRAIN_MODAL })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
  });

  it('takes up to five posts per response_url', async () => {
    const { sandbox, seen, agent } = await httpHarness();
    const commanded = once(seen, 'command');
    const { responseUrl } = await acked(sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'later' }));
    await commanded;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: `step ${i}` }) });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(sandbox.store.responses.filter((response) => response.source === 'response_url')).toHaveLength(5);
  });
});

describe('slack sandbox as Slack: Socket Mode only', () => {
  it('opens connections only for the app-level token, one per ticket', async () => {
    const { web, apiUrl } = await startSandbox();
    await expect(web.apps.connections.open()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
    const appClient = new WebClient(SANDBOX_APP_TOKEN, { slackApiUrl: apiUrl, retryConfig: { retries: 0 } });
    await expect(appClient.conversations.history({ channel: CHANNEL })).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
    const { url } = await appClient.apps.connections.open();
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f]{32}$/);

    const first = new WebSocket(String(url));
    closers.push(async () => first.close());
    const [hello] = await once(first, 'message');
    expect(JSON.parse(String((hello as MessageEvent).data))).toEqual({ type: 'hello', num_connections: 1, debug_info: expect.objectContaining({ host: expect.any(String) }), connection_info: { app_id: 'A0TUNELOOP' } });
    const second = new WebSocket(String(url));
    await once(second, 'error');
  });

  it('retries an envelope the client does not acknowledge, with retry_attempt and the same event_id', async () => {
    const { sandbox, apiUrl, agent } = await startSandbox({ ackTimeoutMs: 500 });
    const client = new SocketModeClient({ appToken: SANDBOX_APP_TOKEN, clientOptions: { slackApiUrl: apiUrl }, logger: quietLogger() });
    const received: { eventId: string; retryNum: number; retryReason: string; accepts: boolean }[] = [];
    client.on('message', async ({ ack, body, retry_num, retry_reason, accepts_response_payload }) => {
      received.push({ eventId: body.event_id, retryNum: retry_num, retryReason: retry_reason, accepts: accepts_response_payload });
      if (retry_num > 0) await ack();
    });
    await client.start();
    closers.push(() => client.disconnect());
    const { delivery } = await sandbox.postUserMessage({ channelId: CHANNEL, userId: agent, text: 'Ping' });
    expect(delivery).toMatchObject({ ok: true, via: 'socket', retries: 1, status: null });
    expect(received).toEqual([
      { eventId: delivery?.id, retryNum: 0, retryReason: '', accepts: false },
      { eventId: delivery?.id, retryNum: 1, retryReason: 'timeout', accepts: false },
    ]);
  });

  it('tells a connection to go; the Bolt app reconnects and deliveries continue', async () => {
    const { sandbox, seen, agent } = await socketHarness();
    expect(sandbox.socketConnections).toBe(1);
    const reconnected = sandbox.waitForSocketConnection();
    expect(sandbox.disconnectSocket()).toBe(1);
    const record = await reconnected;
    expect(record.id).toBe(2);
    expect(sandbox.store.socketConnections[0]).toMatchObject({ id: 1, disconnectReason: 'refresh_requested' });

    const commanded = once(seen, 'command');
    expect(await sandbox.slashCommand({ userId: agent, channelId: CHANNEL, text: 'after-refresh' })).toMatchObject({ ok: true, via: 'socket' });
    await commanded;
  });
});
