/**
 * The Slack app end to end, as Slack drives it: the Slack sandbox signs and sends slash commands,
 * button clicks, modal submissions and events to the hub's real Bolt app (HTTP mode at
 * /slack/events, and Socket Mode), the hub answers through the sandbox's Web API, and real job
 * workers (pg-boss on the test database) do the slow work.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_APP_TOKEN, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET, slackSignature, SUPPORT_GROUP_ID } from '../../integrations/slack/sandbox/index.ts';
import { listenOnLoopback } from '../../integrations/sandbox-kit/server.ts';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { loadConfig } from '../../src/config.ts';
import { auditEvents, complianceAlerts, conversations, harvestRuns, messages, webhookDeliveries } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { slackAppFor } from '../../src/slack/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { waitFor } from '../support/wait.ts';

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
const ALERTS = DEFAULT_CHANNELS[1]?.id ?? CHANNEL;
const USERS = { admin: 'UADMIN0001', operator: 'UOPER00001', compliance: 'UCOMPL0001', viewer: 'UVIEW00001', nobody: 'UNOBODY001' };
const BREAKING = 'Good news: your money is 100% refund guaranteed, whatever happens.';

describe('the Slack app', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  const slack = createSlackSandbox({ seed: 5, threads: 6, eventRetryDelaysMs: [0, 50, 100] });
  let slackServer: { url: string; apiUrl: string; close(): Promise<void> };
  let hub: { url: string; close(): Promise<void> };
  const { log, lines } = captureLogger();
  let supportAgent = '';

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    slackServer = await slack.listen();
    // The people of these tests: workspace members in every channel, like the seeded agents.
    const agent = [...slack.store.users.values()].find((user) => user.kind === 'agent');
    if (!agent) throw new Error('the sandbox has no agent to copy');
    for (const id of Object.values(USERS)) {
      slack.store.users.set(id, { ...agent, id, name: id.toLowerCase(), realName: id, email: `${id.toLowerCase()}@example-shop.com` });
      for (const channel of slack.store.channels.values()) channel.members.add(id);
    }
    // An agent of the support group: the refund promise policy is about what agents tell customers.
    const agents = slack.store.userGroups.get(SUPPORT_GROUP_ID)?.users ?? [];
    supportAgent = [...slack.store.requireChannel(CHANNEL).members].find((id) => agents.includes(id)) ?? '';
    const config = loadConfig({
      DATABASE_URL: database.url,
      SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
      SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
      SLACK_API_URL: slackServer.apiUrl,
      COMPLIANCE_SLACK_CHANNEL: ALERTS,
      SLACK_GRANTS: `admin=${USERS.admin};operator=${USERS.operator};compliance=${USERS.compliance};viewer=${USERS.viewer}`,
    });
    deps = { database, queue, log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    hub = await listenOnLoopback(createApp(deps).fetch);
    slack.setRequestUrl(`${hub.url}/slack/events`);
    await registerHandlers(deps, ['harvest.run', 'conversation.refresh', 'compliance.scan', 'slack.notify'], 2);

    const connection = await addConnection(database, {
      vendor: 'slack',
      name: 'support-slack',
      settings: { channels: DEFAULT_CHANNELS.map((c) => c.id), apiUrl: slackServer.apiUrl, agentUserGroup: SUPPORT_GROUP_ID },
      credentials: { type: 'bot_token', token: SANDBOX_BOT_TOKEN },
    });
    expect((await harvestNow(database, connection.id))?.status).toBe('succeeded');
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 3_000 });
    await hub?.close();
    await slackServer?.close();
    await database?.drop();
  });

  const command = (userId: string, text: string) => slack.slashCommand({ userId, channelId: CHANNEL, text });
  const replyText = (result: { reply: { text?: string } | null }) => result.reply?.text ?? '';
  const audits = (action: string) => database.db.select().from(auditEvents).where(eq(auditEvents.action, action));

  it('answers help and usage errors in the acknowledgement, only to the person', async () => {
    const help = await command(USERS.nobody, 'help');
    expect(help.status).toBe(200);
    expect(replyText(help)).toContain('/tuneloop retrain');
    expect(help.reply).toMatchObject({ responseType: 'ephemeral' });
    expect(replyText(await command(USERS.viewer, 'frobnicate'))).toContain('There is no `frobnicate` command');
    expect(replyText(await command(USERS.operator, 'harvest'))).toContain('Usage: `/tuneloop harvest <connection>`');
    expect(replyText(await command(USERS.operator, 'harvest nowhere'))).toContain('There is no connection "nowhere"');
    expect(replyText(await command(USERS.operator, 'eval not-a-model'))).toContain('There is no model');
  });

  it('refuses a person without the role, says which role, and audits the refusal', async () => {
    const before = await database.db.$count(harvestRuns);
    const refused = await command(USERS.viewer, 'harvest support-slack');
    expect(replyText(refused)).toContain('You need the *operator* role');
    expect(await database.db.$count(harvestRuns)).toBe(before);
    expect((await audits('slack.refused')).some((row) => row.actor === `slack:${USERS.viewer}`)).toBe(true);
    expect(replyText(await command(USERS.nobody, 'status'))).toContain('You need the *viewer* role');
  });

  it('runs commands for people with the role: status, harvest, runs, alerts', async () => {
    expect(replyText(await command(USERS.viewer, 'status'))).toContain('support-slack');
    const before = await database.db.$count(harvestRuns);
    const harvest = await command(USERS.operator, 'harvest support-slack');
    expect(replyText(harvest)).toMatch(/Harvest of \*support-slack\* (queued|.*already)/);
    await waitFor('the harvest to finish', async () => (await database.db.$count(harvestRuns, eq(harvestRuns.status, 'succeeded'))) > before);
    expect(replyText(await command(USERS.viewer, 'runs'))).toContain('No fine-tuning runs yet');
    expect(replyText(await command(USERS.compliance, 'alerts'))).toMatch(/alerts|No open/);
  });

  it('refuses bad, stale and missing signatures with 401 and runs nothing', async () => {
    const before = await database.db.$count(harvestRuns);
    for (const signature of ['wrong', 'stale', 'missing'] as const) {
      const result = await slack.slashCommand({ userId: USERS.operator, channelId: CHANNEL, text: 'harvest support-slack', signature });
      expect(result.status, signature).toBe(401);
    }
    expect(await database.db.$count(harvestRuns)).toBe(before);
    expect((await slack.verifyRequestUrl()).verified).toBe(true);
  });

  it('scans a new Slack message within seconds and raises one alert, however often Slack delivers the event', async () => {
    const posted = await slack.postUserMessage({ channelId: CHANNEL, userId: supportAgent, text: BREAKING });
    expect(posted.delivery?.status).toBe(200);
    const alert = await waitFor('an alert on the new message', async () => {
      const [row] = await database.db
        .select({ id: complianceAlerts.id, status: complianceAlerts.status, slackTs: complianceAlerts.slackTs })
        .from(complianceAlerts)
        .innerJoin(messages, eq(messages.id, complianceAlerts.messageId))
        .where(and(eq(messages.body, BREAKING), eq(complianceAlerts.policyId, 'forbidden-refund-promise')));
      return row?.slackTs ? row : null;
    });
    expect(alert.status).toBe('open');

    // The same event again (Slack's retry keeps the event id): recorded once, queued once.
    const [delivery] = await database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.sourceId, `${CHANNEL}:${posted.message.ts}`));
    expect(delivery).toBeTruthy();
    const body = JSON.stringify({ type: 'event_callback', event_id: delivery!.deliveryId.replace(/^slack:/, ''), event: { type: 'message', channel: CHANNEL, user: supportAgent, text: BREAKING, ts: posted.message.ts }, team_id: 'T1', api_app_id: 'A1' });
    const timestamp = Math.floor(Date.now() / 1000);
    const replay = await fetch(`${hub.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SANDBOX_SIGNING_SECRET, timestamp, body), 'x-slack-retry-num': '1' }, body });
    expect(replay.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await database.db.$count(webhookDeliveries, eq(webhookDeliveries.sourceId, `${CHANNEL}:${posted.message.ts}`))).toBe(1);
    const [conversation] = await database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.sourceId, `${CHANNEL}:${posted.message.ts}`));
    expect(await database.db.$count(complianceAlerts, eq(complianceAlerts.conversationId, conversation!.id))).toBe(1);
  });

  it('alert buttons move the alert, update its message with who did it, and ask for a note before escalating', async () => {
    const [alert] = await database.db.select().from(complianceAlerts).where(and(eq(complianceAlerts.policyId, 'forbidden-refund-promise'), sql`${complianceAlerts.slackTs} IS NOT NULL`)).limit(1);
    const target = { channelId: alert!.slackChannel!, ts: alert!.slackTs! };

    const refused = await slack.clickButton({ ...target, userId: USERS.viewer, actionId: 'compliance_alert_acknowledge', value: alert!.id });
    expect(refused.status).toBe(200);
    await waitFor('the refusal', () => slack.store.responses.some((r) => JSON.stringify(r).includes('You need the *compliance* role')));

    // A double click (two people, or one twice): one decision, the other click changes nothing and says who decided.
    await Promise.all([
      slack.clickButton({ ...target, userId: USERS.compliance, actionId: 'compliance_alert_acknowledge', value: alert!.id }),
      slack.clickButton({ ...target, userId: USERS.admin, actionId: 'compliance_alert_acknowledge', value: alert!.id }),
    ]);
    await waitFor('acknowledged', async () => (await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alert!.id)))[0]?.status === 'acknowledged');
    await waitFor('the other click told nothing changed', () => slack.store.responses.some((r) => r.text.includes('Nothing changed')));
    const [acknowledged] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alert!.id));
    expect(acknowledged?.transitions.filter((t) => t.to === 'acknowledged')).toHaveLength(1);
    const by = acknowledged?.transitions[0]?.actor.replace('slack:', '') ?? '';
    await waitFor('the message to name the actor', () => JSON.stringify(slack.store.requireChannel(target.channelId).byTs.get(target.ts) ?? {}).includes(`<@${by}>`));

    await slack.clickButton({ ...target, userId: USERS.compliance, actionId: 'compliance_alert_escalate', value: alert!.id });
    const modal = await waitFor('the note modal', () => slack.store.openModals(USERS.compliance).find((view) => view.view.callback_id === 'alert_note'));
    const tooShort = await slack.submitView({ userId: USERS.compliance, viewId: modal.id, values: { note: { note: 'x' } } });
    expect(tooShort.outcome).toBe('errors');
    const submitted = await slack.submitView({ userId: USERS.compliance, viewId: modal.id, values: { note: { note: 'Sent to legal: refund promises need sign-off.' } } });
    expect(submitted.outcome).toBe('closed');
    const [escalated] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alert!.id));
    expect(escalated?.status).toBe('escalated');
    expect(escalated?.transitions.at(-1)).toMatchObject({ to: 'escalated', actor: `slack:${USERS.compliance}`, note: 'Sent to legal: refund promises need sign-off.' });
    await waitFor('the escalated message', () => JSON.stringify(slack.store.requireChannel(target.channelId).byTs.get(target.ts) ?? {}).includes('compliance_alert_false_positive'));

    // A stale form: the false-positive note is written while someone resolves the alert.
    await slack.clickButton({ ...target, userId: USERS.compliance, actionId: 'compliance_alert_false_positive', value: alert!.id });
    const stale = await waitFor('the false-positive modal', () => slack.store.openModals(USERS.compliance).find((view) => view.view.callback_id === 'alert_note'));
    await slack.clickButton({ ...target, userId: USERS.admin, actionId: 'compliance_alert_resolve', value: alert!.id });
    await waitFor('resolved', async () => (await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alert!.id)))[0]?.status === 'resolved');
    const late = await slack.submitView({ userId: USERS.compliance, viewId: stale.id, values: { note: { note: 'Not a promise, a quote from the customer.' } } });
    expect(late.outcome).toBe('errors');
    expect(JSON.stringify(late.errors)).toContain(`Nothing changed`);
    expect(JSON.stringify(late.errors)).toContain(`<@${USERS.admin}>`);
    expect((await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alert!.id)))[0]?.status).toBe('resolved');
  });

  it('publishes App Home for the person who opens it, by their roles', async () => {
    await slack.openAppHome(USERS.compliance);
    const home = await waitFor('App Home', () => slack.store.homeView(USERS.compliance));
    expect(JSON.stringify(home)).toContain('Open compliance alerts');
    await slack.openAppHome(USERS.nobody);
    expect(JSON.stringify(await waitFor('App Home', () => slack.store.homeView(USERS.nobody)))).toContain('no tuneloop role yet');
  });

  it('works the same over Socket Mode', async () => {
    const socketDeps = { ...deps, config: { ...deps.config, SLACK_APP_TOKEN: SANDBOX_APP_TOKEN, SLACK_SIGNING_SECRET: undefined } };
    const socketApp = slackAppFor(socketDeps, 'socket');
    if (!socketApp) throw new Error('no Socket Mode app');
    const connected = slack.waitForSocketConnection();
    await socketApp.start();
    await connected;
    try {
      const help = await slack.slashCommand({ userId: USERS.viewer, channelId: CHANNEL, text: 'help', via: 'socket' });
      expect(replyText(help)).toContain('/tuneloop retrain');
      const refused = await slack.slashCommand({ userId: USERS.nobody, channelId: CHANNEL, text: 'runs', via: 'socket' });
      expect(replyText(refused)).toContain('You need the *viewer* role');
    } finally {
      await socketApp.stop();
    }
    expect(lines().filter((line) => Number(line.level) >= 50 && String(line.msg).includes('Slack'))).toEqual([]);
  });

  it('drops a payload that does not validate with a 200 and does nothing', async () => {
    const body = `command=%2Ftuneloop&text=status&user_id=${'x'.repeat(100)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${hub.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(SANDBOX_SIGNING_SECRET, timestamp, body) }, body });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(randomUUID()).toBeTruthy();
  });
});
