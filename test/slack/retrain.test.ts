/**
 * `/tuneloop retrain` in Slack through to the Promote button, on the tiny CPU model: the command
 * starts a manual retraining (harvest → dataset build → fine-tuning → evaluation), one message in
 * the channel follows it, and Promote makes the candidate the production model once, however often
 * it is clicked. Also `/tuneloop draft` with its retrieved sources. Real Bolt, the Slack sandbox,
 * a Zendesk sandbox, real job workers and the gpu-worker on the CPU.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../../integrations/sandbox-kit/server.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET } from '../../integrations/slack/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { loadConfig } from '../../src/config.ts';
import { models, modelSwitches, retrainingRuns } from '../../src/db/schema/index.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import type { HubDeps } from '../../src/deps.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { setPolicy } from '../../src/models/retraining/policies.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { harvestSandbox, SMALL_DATASET_SPLIT, tempHome, type HarvestedSandbox } from '../datasets/helpers.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { waitFor } from '../support/wait.ts';
import { ensureWorkerVenv, fastHyperparameters, pythonMissing, tinyModel } from '../training/support.ts';

const missing = pythonMissing();
if (missing) console.warn(`skipping the Slack retrain test: ${missing}`);

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
const OPERATOR = 'UOPER00002';
const SECOND = 'UOPER00003';
const VIEWER = 'UVIEW00002';

describe.skipIf(missing)('retraining from Slack', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  let harvested: HarvestedSandbox;
  let model: FakeModelServer;
  const home = tempHome();
  const slack = createSlackSandbox({ seed: 9, threads: 3 });
  let slackServer: { apiUrl: string; close(): Promise<void> };
  let hub: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    ensureWorkerVenv();
    database = await createTestDatabase();
    const { log } = captureLogger();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    slackServer = await slack.listen();
    const agent = [...slack.store.users.values()].find((user) => user.kind === 'agent');
    for (const id of [OPERATOR, SECOND, VIEWER]) {
      slack.store.users.set(id, { ...agent!, id, name: id.toLowerCase(), realName: id, email: `${id.toLowerCase()}@example-shop.com` });
      for (const channel of slack.store.channels.values()) channel.members.add(id);
    }
    model = await startFakeModelServer({ baseModels: [tinyModel()], reply: () => 'Thanks for reaching out! Your refund is on its way.' });
    const config = loadConfig({
      DATABASE_URL: database.url,
      TUNELOOP_HOME: home.home,
      SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
      SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
      SLACK_API_URL: slackServer.apiUrl,
      SLACK_GRANTS: `operator=${OPERATOR},${SECOND};viewer=${VIEWER}`,
      INFERENCE_BASE_URL: model.url,
      EVALUATION_MAX_EXAMPLES: '4',
      EVALUATION_MAX_NEW_TOKENS: '4',
    });
    deps = { database, queue, log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    hub = await listenOnLoopback(createApp(deps).fetch);
    slack.setRequestUrl(`${hub.url}/slack/events`);
    harvested = await harvestSandbox(database, { seed: 21, tickets: 60, name: 'zd' });
    await createDataset(database.db, { name: 'replies', task: 'reply', config: { connections: [harvested.connection.id], split: SMALL_DATASET_SPLIT } }, 'test');
    // The policy brings the fine-tuning request (fast hyperparameters); it never fires by itself.
    await setPolicy(database.db, { task: 'reply', dataset: 'replies', training: { model: tinyModel(), method: { type: 'lora', hyperparameters: fastHyperparameters({ max_seq_length: 512 }) } }, triggers: { minNewExamples: 10_000_000 } }, 'test');
    await registerHandlers(deps, ['harvest.run', 'dataset.build', 'finetune.train', 'model.evaluate', 'retrain.run', 'retrain.evaluate', 'slack.notify', 'slack.draft', 'compliance.scan', 'draft.feedback'], 1);
  }, 10 * 60_000);
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 5_000 });
    await hub?.close();
    await slackServer?.close();
    await harvested?.close();
    await model?.close();
    await database?.drop();
    home.remove();
  });

  /** The run's message in the channel, as Slack shows it now. */
  const message = (ts: string) => JSON.stringify(slack.store.requireChannel(CHANNEL).byTs.get(ts) ?? {});

  it('harvests, builds, trains and evaluates, one live message showing each step, then Promote switches production once', { timeout: 8 * 60_000 }, async () => {
    expect((await slack.slashCommand({ userId: VIEWER, channelId: CHANNEL, text: 'retrain reply' })).reply?.text).toContain('You need the *operator* role');
    expect((await slack.slashCommand({ userId: OPERATOR, channelId: CHANNEL, text: 'retrain triage' })).reply?.text).toContain('there is no triage dataset');

    const started = await slack.slashCommand({ userId: OPERATOR, channelId: CHANNEL, text: 'retrain reply' });
    expect(started.reply?.text).toContain('Retraining *reply*');
    expect((await slack.slashCommand({ userId: SECOND, channelId: CHANNEL, text: 'retrain reply' })).reply?.text).toContain('already running');

    const posted = await waitFor('the retraining message', () => slack.store.posted.find((entry) => JSON.stringify(entry).includes('Retraining reply')));
    const ts = (posted as { ts: string }).ts;
    await waitFor('harvest counts', () => message(ts).includes('seen'), 60_000);
    await waitFor('dataset counts', () => /\d+ train \/ \d+ validation \/ \d+ test examples/.test(message(ts)), 120_000);
    await waitFor('training progress', () => message(ts).includes('Training'), 120_000);
    await waitFor('the Promote button', () => message(ts).includes('candidate_promote'), 6 * 60_000, async () => {
      const jobs = await database.db.execute(sql`SELECT status, error FROM fine_tuning_jobs`);
      const evaluations = await database.db.execute(sql`SELECT status, error FROM model_evaluations`);
      return `${JSON.stringify(jobs.rows)} ${JSON.stringify(evaluations.rows)} ${message(ts).slice(0, 1500)}`;
    });
    expect(message(ts)).toMatch(/Evaluation.*on the held-out split/);
    const [run] = await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.trigger, 'manual'));
    const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, run!.fineTuningJobId!));

    // A viewer cannot promote; two operators clicking at once promote once (the gate decides: a
    // blocked tiny model asks for a reason in a modal instead).
    await slack.clickButton({ channelId: CHANNEL, ts, userId: VIEWER, actionId: 'candidate_promote', value: candidate!.id });
    await waitFor('the refusal', () => slack.store.responses.some((r) => r.text.includes('You need the *operator* role')));
    await Promise.all([
      slack.clickButton({ channelId: CHANNEL, ts, userId: OPERATOR, actionId: 'candidate_promote', value: candidate!.id }),
      slack.clickButton({ channelId: CHANNEL, ts, userId: SECOND, actionId: 'candidate_promote', value: candidate!.id }),
    ]);
    const reasonForms = await waitFor('a promotion or the reason form', async () => {
      const forms = slack.store.openModals().filter((view) => view.view.callback_id === 'promote_reason');
      const [row] = await database.db.select().from(models).where(eq(models.id, candidate!.id));
      return forms.length || row?.status === 'production' ? { forms } : null;
    });
    for (const form of reasonForms.forms) await slack.submitView({ userId: form.userId ?? OPERATOR, viewId: form.id, values: { reason: { reason: 'tiny test model: promoted on purpose' } } });
    await waitFor('production', async () => (await database.db.select().from(models).where(eq(models.id, candidate!.id)))[0]?.status === 'production');
    expect(await database.db.$count(modelSwitches, and(eq(modelSwitches.toModelId, candidate!.id), eq(modelSwitches.kind, 'promote')))).toBe(1);
    await waitFor('the message to say who promoted', () => message(ts).includes('promoted to production') && !message(ts).includes('candidate_promote'));

    // The button is stale now: nothing changes, and the answer says who did it.
    await slack.clickButton({ channelId: CHANNEL, ts, userId: SECOND, actionId: 'candidate_promote', value: candidate!.id }).catch(() => undefined);
    expect(await database.db.$count(modelSwitches, and(eq(modelSwitches.toModelId, candidate!.id), eq(modelSwitches.kind, 'promote')))).toBe(1);
  });

  it('drafts a reply for a message with the production model, shown only to the person, with retrieved sources', { timeout: 60_000 }, async () => {
    const result = await slack.slashCommand({ userId: OPERATOR, channelId: CHANNEL, text: 'draft I want my money back for order 123' });
    expect(result.reply?.text).toContain('Drafting');
    const answer = await waitFor('the draft', () => slack.store.responses.find((r) => r.source === 'response_url' && r.text.includes('Draft for')), 30_000);
    expect(answer.responseType).toBe('ephemeral');
    expect(answer.text).toContain('Your refund is on its way');
    expect(answer.text).toContain('Retrieved sources');
    expect(model.chats.at(-1)?.messages.at(-1)?.content).toContain('I want my money back for order 123');
  });
});
