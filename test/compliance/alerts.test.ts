/**
 * Compliance end to end on a real Postgres and queue, with the Slack and Salesforce sandboxes:
 * conversations harvested from both, an agent's reply that breaks policies, the scan job (run
 * again as pg-boss would on a retry), Slack delivery, REST decisions, the Salesforce Task.
 * Jobs are taken from the real queue with fetch() and run by the real handlers, so each step is
 * deterministic and nothing waits on time.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceSandbox } from '../../integrations/salesforce/sandbox/index.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN, SUPPORT_GROUP_ID } from '../../integrations/slack/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import { auditEvents, complianceAlerts, connections, conversations, messages } from '../../src/db/schema/index.ts';
import type { HubDeps } from '../../src/deps.ts';
import { HANDLERS } from '../../src/jobs/handlers.ts';
import type { JobName } from '../../src/queue/jobs.ts';
import { startQueue, type JobHandler, type Queue } from '../../src/queue/queue.ts';
import { complianceExamples, decideFromSlack, enqueueScansForConversations } from '../../src/serving/compliance/index.ts';
import { createAndBuild, readAllSplits, tempHome } from '../datasets/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection, harvestNow, testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
const BREAKING = 'Thanks for waiting! Your money is 100% refund guaranteed. Questions? Mail me at jane.doe@example.org.';

describe('compliance alerts', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  const slack = createSlackSandbox({ seed: 3, threads: 3 });
  const salesforce = createSalesforceSandbox({ seed: 4, cases: 3, apiLimit: 1_000_000 });
  let slackServer: { apiUrl: string; close(): Promise<void> };
  let sfServer: { url: string; close(): Promise<void> };
  let sfConversation: { id: number; sourceId: string };
  let slackConversation: { id: number };
  const handlers: { scan?: JobHandler<'compliance.scan'>; notify?: JobHandler<'slack.notify'> } = {};

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    slackServer = await slack.listen();
    sfServer = await salesforce.listen();
    const config = loadConfig({ DATABASE_URL: database.url, COMPLIANCE_SLACK_CHANNEL: CHANNEL, SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_API_URL: slackServer.apiUrl });
    deps = { database, queue, log: captureLogger().log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    handlers.scan = HANDLERS['compliance.scan']?.(deps);
    handlers.notify = HANDLERS['slack.notify']?.(deps);

    const { credentials } = salesforce;
    const sf = await addConnection(database, { vendor: 'salesforce', name: 'sf', settings: { instanceUrl: sfServer.url }, credentials: { type: 'password', username: credentials.username, password: credentials.password, securityToken: credentials.securityToken } });
    const sl = await addConnection(database, { vendor: 'slack', name: 'slack', settings: { channels: DEFAULT_CHANNELS.map((c) => c.id), apiUrl: slackServer.apiUrl, agentUserGroup: SUPPORT_GROUP_ID }, credentials: { type: 'bot_token', token: SANDBOX_BOT_TOKEN } });
    expect((await harvestNow(database, sf.id))?.status).toBe('succeeded');
    expect((await harvestNow(database, sl.id))?.status).toBe('succeeded');
    const [first] = await database.db.select({ id: conversations.id, sourceId: conversations.sourceId }).from(conversations).where(eq(conversations.connectionId, sf.id)).limit(1);
    const [other] = await database.db.select({ id: conversations.id }).from(conversations).where(eq(conversations.connectionId, sl.id)).limit(1);
    if (!first || !other) throw new Error('harvest stored nothing');
    sfConversation = first;
    slackConversation = other;
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    await slackServer.close();
    await sfServer.close();
    await database.drop();
  });

  async function addMessage(conversationId: number, body: string, role: 'agent' | 'customer' = 'agent', visibility: 'public' | 'internal' = 'public'): Promise<number> {
    const [row] = await database.db
      .insert(messages)
      .values({ conversationId, sourceId: `test-${randomUUID()}`, position: 900, authorRole: role, visibility, body, sourceCreatedAt: new Date() })
      .returning({ id: messages.id });
    if (!row) throw new Error('insert failed');
    return row.id;
  }

  /** Runs every queued job of `name` with its real handler, as a worker would; returns how many ran. */
  async function drain<N extends JobName>(name: N, handler: JobHandler<N> | undefined): Promise<number> {
    if (!handler) throw new Error(`no handler for ${name}`);
    const { completed, failed } = await queue.drain(name, handler);
    expect(failed).toEqual([]);
    return completed;
  }

  const alertsOf = (messageId: number) => database.db.select().from(complianceAlerts).where(eq(complianceAlerts.messageId, messageId)).orderBy(complianceAlerts.policyId);
  const tasksFor = (alertId: string) => [...salesforce.store.rows('Task')].filter((row) => String(row.Subject).includes(alertId));
  const postsFor = (ts: string | null) => slack.store.posted.filter((entry) => entry.ts === ts);
  const scanJob = (messageId: number) => handlers.scan?.({ messageId }, { id: randomUUID(), signal: new AbortController().signal, retryCount: 1 });

  let alertId = '';

  it('a reply breaking two policies raises exactly one alert per policy, with exact evidence; retries and rescans add nothing', async () => {
    const messageId = await addMessage(sfConversation.id, BREAKING);
    // In the harvest's batch transaction: a rolled-back batch enqueues nothing.
    await expect(
      database.db.transaction(async (tx) => {
        expect(await enqueueScansForConversations(tx, queue, [sfConversation.id])).toBeGreaterThan(0);
        throw new Error('batch failed');
      }),
    ).rejects.toThrow('batch failed');
    expect((await queue.depth()).find((row) => row.name === 'compliance.scan')?.queued).toBe(0);
    // The harvest hook: enqueues the new message (and the harvested ones, never scanned yet).
    const enqueued = await database.db.transaction((tx) => enqueueScansForConversations(tx, queue, [sfConversation.id, slackConversation.id]));
    const [stored] = await database.db.select({ n: sql<number>`count(*)::int` }).from(messages).where(sql`${messages.conversationId} IN (${sfConversation.id}, ${slackConversation.id})`);
    expect(enqueued).toBe(stored?.n);
    expect(await drain('compliance.scan', handlers.scan)).toBe(enqueued);

    const alerts = await alertsOf(messageId);
    expect(alerts.map((a) => [a.policyId, a.policyVersion, a.severity, a.status])).toEqual([
      ['forbidden-refund-promise', 1, 'high', 'open'],
      ['pii-in-public-reply', 1, 'high', 'open'],
    ]);
    const promise = alerts[0];
    if (!promise) throw new Error('no alert');
    alertId = promise.id;
    expect(promise.conversationId).toBe(sfConversation.id);
    const start = BREAKING.indexOf('100% refund');
    expect(promise.evidence).toEqual([{ start, end: start + '100% refund'.length, excerpt: '100% refund', kind: 'promise' }]);
    expect(alerts[1]?.evidence).toEqual([{ start: BREAKING.indexOf('jane'), end: BREAKING.indexOf('jane') + 20, excerpt: 'jane.doe@example.org', kind: 'EMAIL' }]);

    // pg-boss retries and scans of the same message running at once: still the same two alerts.
    await scanJob(messageId);
    await Promise.all([scanJob(messageId), scanJob(messageId), scanJob(messageId)]);
    expect((await alertsOf(messageId)).map((a) => a.id)).toEqual(alerts.map((a) => a.id));
    // Everything is scanned now: the hook enqueues nothing until a message changes.
    expect(await database.db.transaction((tx) => enqueueScansForConversations(tx, queue, [sfConversation.id]))).toBe(0);
    await database.db.update(messages).set({ body: `${BREAKING} (edited)` }).where(eq(messages.id, messageId));
    expect(await database.db.transaction((tx) => enqueueScansForConversations(tx, queue, [sfConversation.id]))).toBe(1);
    await drain('compliance.scan', handlers.scan);
    expect(await alertsOf(messageId)).toHaveLength(2);
  });

  it('creates exactly one Salesforce Task on the Case per alert, even when the stored Task id was lost', async () => {
    const [alert] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alertId));
    const tasks = tasksFor(alertId);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ WhatId: sfConversation.sourceId, Priority: 'High', Status: 'Not Started' });
    expect(alert?.salesforceTaskId).toBe(tasks[0]?.Id);
    // A job that created the Task but died before storing its id: the retry finds it by its marker.
    await database.db.update(complianceAlerts).set({ salesforceTaskId: null }).where(eq(complianceAlerts.id, alertId));
    await scanJob(alert?.messageId ?? 0);
    expect(tasksFor(alertId)).toHaveLength(1);
    const [again] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alertId));
    expect(again?.salesforceTaskId).toBe(tasks[0]?.Id);
  });

  it('posts the alert to the Slack channel once, with the evidence in bold code and the four buttons', async () => {
    expect(await drain('slack.notify', handlers.notify)).toBeGreaterThanOrEqual(2);
    const [alert] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alertId));
    expect(alert?.slackChannel).toBe(CHANNEL);
    const posts = postsFor(alert?.slackTs ?? null);
    expect(posts.map((p) => p.method)).toEqual(['chat.postMessage']);
    const blocks = JSON.stringify(posts[0]?.blocks);
    expect(blocks).toContain('*`100% refund`*');
    expect(blocks).toContain('forbidden-refund-promise');
    expect(blocks).toContain(`/lightning/r/Case/${sfConversation.sourceId}/view`);
    const actions = (posts[0]?.blocks ?? []).find((b): b is { type: string; elements: Array<{ action_id: string; value: string }> } => (b as { type?: string }).type === 'actions');
    expect(actions?.elements.map((e) => [e.action_id, e.value])).toEqual([
      ['compliance_alert_acknowledge', alertId],
      ['compliance_alert_escalate', alertId],
      ['compliance_alert_false_positive', alertId],
    ]);
    // A retried notify job updates the same message instead of posting a second one.
    await handlers.notify?.({ kind: 'alert.raised', subjectId: alertId }, { id: randomUUID(), signal: new AbortController().signal, retryCount: 1 });
    expect(postsFor(alert?.slackTs ?? null).map((p) => p.method)).toEqual(['chat.postMessage', 'chat.update']);
  });

  it('decides through REST: audited, the Slack message updated, invalid transitions 409 and change nothing', async () => {
    const app = createApp({ ...deps });
    const headers = { Authorization: `Bearer ${(await createToken(database.db, 'officer', 'test')).token}`, 'Content-Type': 'application/json' };
    const transition = (to: string, note?: string) => app.request(`/api/v1/alerts/${alertId}/transitions`, { method: 'POST', headers, body: JSON.stringify({ to, ...(note ? { note } : {}) }) });

    const ack = await transition('acknowledged', 'looking into it');
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ id: alertId, status: 'acknowledged', transitions: [{ from: 'open', to: 'acknowledged', actor: 'token:officer', note: 'looking into it' }] });
    expect(await drain('slack.notify', handlers.notify)).toBe(1);
    const [alert] = await database.db.select().from(complianceAlerts).where(eq(complianceAlerts.id, alertId));
    const update = postsFor(alert?.slackTs ?? null).at(-1);
    expect(update?.method).toBe('chat.update');
    const blocks = JSON.stringify(update?.blocks);
    expect(blocks).toContain('acknowledged by `token:officer`');
    expect(blocks).toContain('looking into it');
    expect(blocks).toContain('compliance_alert_resolve');
    expect(blocks).not.toContain('compliance_alert_acknowledge');

    const auditCount = async () => (await database.db.select().from(auditEvents).where(and(eq(auditEvents.subjectType, 'compliance_alert'), eq(auditEvents.subjectId, alertId)))).length;
    const before = await auditCount();
    const again = await transition('acknowledged');
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: { code: 'invalid_transition', message: 'an acknowledged alert cannot become acknowledged (allowed: escalated, resolved, false_positive)' } });
    expect(await auditCount()).toBe(before);
    expect(await drain('slack.notify', handlers.notify)).toBe(0);

    expect((await transition('resolved', 'agent coached')).status).toBe(200);
    const final = await transition('false_positive');
    expect(final.status).toBe(409);
    const shown = (await (await app.request(`/api/v1/alerts/${alertId}`, { headers })).json()) as { transitions: unknown[] };
    expect(shown).toMatchObject({ status: 'resolved', policy: { id: 'forbidden-refund-promise', version: 1 } });
    expect(shown.transitions).toHaveLength(2);
    const audit = await database.db.select().from(auditEvents).where(and(eq(auditEvents.subjectType, 'compliance_alert'), eq(auditEvents.subjectId, alertId))).orderBy(auditEvents.id);
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['alert.raised', 'system'],
      ['alert.task_created', 'system'],
      ['alert.task_created', 'system'],
      ['alert.acknowledged', 'token:officer'],
      ['alert.resolved', 'token:officer'],
    ]);
    // No evidence (personal data) in the audit log.
    expect(JSON.stringify(audit)).not.toContain('100% refund');

    await drain('slack.notify', handlers.notify);
    const last = postsFor(alert?.slackTs ?? null).at(-1);
    expect(JSON.stringify(last?.blocks)).not.toContain('"actions"');

    expect((await app.request('/api/v1/alerts/00000000-0000-4000-8000-000000000000', { headers })).status).toBe(404);
    expect((await app.request(`/api/v1/alerts/${alertId}/transitions`, { method: 'POST', headers, body: JSON.stringify({ to: 'closed' }) })).status).toBe(400);
    const list = async (query: string) => ((await (await app.request(`/api/v1/alerts?${query}`, { headers })).json()) as { data: Array<{ id: string }> }).data.map((a) => a.id);
    expect(await list('status=resolved')).toEqual([alertId]);
    expect(await list('policy=forbidden-refund-promise&severity=high')).toContain(alertId);
    expect(await list('severity=low')).not.toContain(alertId);
  });

  it('lists decided alerts as labelled examples; alerts on other vendors make no Task; internal notes raise nothing', async () => {
    const internal = await addMessage(sfConversation.id, BREAKING, 'agent', 'internal');
    await scanJob(internal);
    expect(await alertsOf(internal)).toEqual([]);

    const onSlack = await addMessage(slackConversation.id, 'Sie bekommen Ihr Geld garantiert erstattet.');
    await scanJob(onSlack);
    const [slackAlert] = await alertsOf(onSlack);
    expect(slackAlert?.policyId).toBe('forbidden-refund-promise');
    expect(slackAlert?.salesforceTaskId).toBeNull();
    expect(tasksFor(slackAlert?.id ?? 'none')).toEqual([]);
    // Decided from the Slack message's buttons: the actor is the Slack user, a stale press changes nothing.
    const press = (actionId: string) => decideFromSlack(database.db, queue, { actionId, value: slackAlert?.id, userId: 'U0ALICE01' });
    expect(await press('compliance_alert_escalate')).toMatchObject({ ok: true, alert: { status: 'escalated' } });
    expect(await press('compliance_alert_false_positive')).toMatchObject({ ok: true, alert: { status: 'false_positive' } });
    expect(await press('compliance_alert_resolve')).toEqual({ ok: false, message: 'Nothing changed: a false positive alert cannot become resolved (it is final).' });
    expect(await press('some_other_button')).toMatchObject({ ok: false });
    await drain('slack.notify', handlers.notify);
    const [decided] = await alertsOf(onSlack);
    const messages = postsFor(decided?.slackTs ?? null);
    expect(messages.map((m) => m.method)).toEqual(['chat.postMessage', 'chat.update', 'chat.update']);
    expect(JSON.stringify(messages.at(-1)?.blocks)).toContain('marked as false positive by <@U0ALICE01>');

    const examples = await complianceExamples(database.db);
    expect(examples).toContainEqual({ text: `${BREAKING} (edited)`, policy: 'forbidden-refund-promise', label: 'violation' });
    expect(examples).toContainEqual({ text: 'Sie bekommen Ihr Geld garantiert erstattet.', policy: 'forbidden-refund-promise', label: 'false_positive' });
    expect(examples.some((e) => e.policy === 'pii-in-public-reply')).toBe(false); // still open

    // The same decisions as a compliance dataset version: one example per reviewed message, scrubbed.
    const home = tempHome();
    try {
      const connectionIds = (await database.db.select({ id: connections.id }).from(connections)).map((row) => row.id);
      const { version } = await createAndBuild(database, home.store, { name: 'compliance', task: 'compliance', config: { connections: connectionIds, split: { train: 1, validation: 0, test: 0 } } });
      expect(version.status).toBe('ready');
      const lines = (await readAllSplits(home.store, version.manifest as never)).train.map((line) => JSON.parse(line) as { messages: Array<{ role: string; content: string }> });
      const verdicts = lines.map((line) => ({ user: line.messages[1]?.content, answer: JSON.parse(line.messages[2]?.content ?? '{}') as unknown }));
      expect(verdicts).toContainEqual({ user: 'Agent public message:\nSie bekommen Ihr Geld garantiert erstattet.', answer: { violation: false, policy: 'forbidden-refund-promise' } });
      const confirmed = verdicts.find((verdict) => (verdict.answer as { violation: boolean }).violation);
      expect(confirmed?.answer).toEqual({ violation: true, policy: 'forbidden-refund-promise' });
      expect(confirmed?.user).not.toContain('jane.doe@example.org'); // scrubbed like every dataset text
      expect(lines).toHaveLength(2);
    } finally {
      home.remove();
    }
  });
});
