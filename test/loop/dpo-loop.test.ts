/**
 * Edits become the next model: drafts the agents rewrote on harvested Zendesk sandbox tickets build
 * a `preference` dataset version, and DPO trains on it on the tiny CPU model through the three doors
 * a person uses: `/tuneloop retrain preference` in Slack (harvest → build → DPO → evaluation → the
 * Promote button), the REST API and the CLI. The model is a reply model: it competes with the reply
 * model in production. Real Bolt, the Slack sandbox, real job workers and the gpu-worker on the CPU.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from '../../integrations/sandbox-kit/server.ts';
import { createSlackSandbox, DEFAULT_CHANNELS, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET } from '../../integrations/slack/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import { datasetVersions, fineTuningJobs, modelEvaluations, models, retrainingRuns } from '../../src/db/schema/index.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import type { HubDeps } from '../../src/deps.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { setPolicy } from '../../src/models/retraining/policies.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { harvestSandbox, SMALL_DATASET_SPLIT, tempHome, type HarvestedSandbox } from '../datasets/helpers.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFakeModelServer, type FakeModelServer } from '../support/fake-model-server.ts';
import { testKeyring } from '../support/harvest.ts';
import { captureLogger } from '../support/logger.ts';
import { waitFor } from '../support/wait.ts';
import { ensureWorkerVenv, fastHyperparameters, pythonMissing, tinyModel } from '../training/support.ts';
import { postDraftsWithFeedback } from './support.ts';

const missing = pythonMissing();
if (missing) console.warn(`skipping the DPO loop test: ${missing}`);

const CHANNEL = DEFAULT_CHANNELS[0]?.id ?? 'C0SUPPORT01';
const OPERATOR = 'UOPER00002';
const HYPERPARAMETERS = fastHyperparameters({ max_seq_length: 256, learning_rate: 0.001 });

describe.skipIf(missing)('DPO on what the agents changed', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: HubDeps;
  let harvested: HarvestedSandbox;
  let model: FakeModelServer;
  let token: string;
  const home = tempHome();
  const slack = createSlackSandbox({ seed: 19, threads: 2 });
  let slackServer: { apiUrl: string; close(): Promise<void> };
  let hub: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    ensureWorkerVenv();
    database = await createTestDatabase();
    const { log } = captureLogger();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    slackServer = await slack.listen();
    const agent = [...slack.store.users.values()].find((user) => user.kind === 'agent');
    slack.store.users.set(OPERATOR, { ...agent!, id: OPERATOR, name: 'oper', realName: OPERATOR, email: 'oper@example-shop.com' });
    for (const channel of slack.store.channels.values()) channel.members.add(OPERATOR);
    model = await startFakeModelServer({ baseModels: [tinyModel()], reply: () => 'Thanks for reaching out!' });
    const config = loadConfig({
      DATABASE_URL: database.url,
      TUNELOOP_HOME: home.home,
      SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
      SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET,
      SLACK_API_URL: slackServer.apiUrl,
      SLACK_GRANTS: `operator=${OPERATOR}`,
      INFERENCE_BASE_URL: model.url,
      EVALUATION_MAX_EXAMPLES: '4',
      EVALUATION_MAX_NEW_TOKENS: '4',
    });
    deps = { database, queue, log, config, keyring: testKeyring(), artifacts: openArtifactStore(config) };
    hub = await listenOnLoopback(createApp(deps).fetch);
    slack.setRequestUrl(`${hub.url}/slack/events`);
    harvested = await harvestSandbox(database, { seed: 41, tickets: 90, name: 'zd' });
    const posted = await postDraftsWithFeedback(database, harvested.connection.id, { keepEvery: 3 });
    expect(posted.rewritten.size).toBeGreaterThanOrEqual(8);
    await createDataset(database.db, { name: 'prefs', task: 'preference', config: { connections: [harvested.connection.id], split: SMALL_DATASET_SPLIT, preference: { minPairs: 4 } } }, 'test');
    // The policy brings the fine-tuning request (no method: the preference data makes it DPO); it never fires by itself.
    await setPolicy(database.db, { task: 'preference', dataset: 'prefs', training: { model: tinyModel(), hyperparameters: HYPERPARAMETERS }, triggers: { minNewExamples: 10_000_000 } }, 'test');
    await registerHandlers(deps, ['harvest.run', 'dataset.build', 'finetune.train', 'model.evaluate', 'retrain.run', 'retrain.evaluate', 'slack.notify'], 1);
    token = (await createToken(database.db, 'loop', 'test')).token;
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

  const state = async () => {
    const jobs = await database.db.execute(sql`SELECT method, status, error FROM fine_tuning_jobs`);
    const evaluations = await database.db.execute(sql`SELECT status, error FROM model_evaluations`);
    const versions = await database.db.execute(sql`SELECT status, error FROM dataset_versions`);
    return `${JSON.stringify(jobs.rows)} ${JSON.stringify(evaluations.rows)} ${JSON.stringify(versions.rows)}`;
  };

  it('`/tuneloop retrain preference` builds the pairs, trains DPO and evaluates a reply candidate', { timeout: 8 * 60_000 }, async () => {
    const started = await slack.slashCommand({ userId: OPERATOR, channelId: CHANNEL, text: 'retrain preference' });
    expect(started.reply?.text).toContain('Retraining *preference*');
    const posted = await waitFor('the retraining message', () => slack.store.posted.find((entry) => JSON.stringify(entry).includes('Retraining preference')));
    const ts = (posted as { ts: string }).ts;
    const message = () => JSON.stringify(slack.store.requireChannel(CHANNEL).byTs.get(ts) ?? {});
    await waitFor('the Promote button', () => message().includes('candidate_promote'), 6 * 60_000, state);

    const [run] = await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.task, 'preference'));
    const [version] = await database.db.select().from(datasetVersions).where(eq(datasetVersions.id, run!.datasetVersionId!));
    expect(version).toMatchObject({ status: 'ready' });
    const [job] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, run!.fineTuningJobId!));
    expect(job).toMatchObject({ method: 'dpo', status: 'succeeded', task: 'reply', datasetVersionId: version!.id });
    const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, job!.id));
    expect(candidate).toMatchObject({ status: 'candidate', task: 'reply' });
    const [evaluation] = await database.db.select().from(modelEvaluations).where(eq(modelEvaluations.modelId, candidate!.id));
    expect(evaluation?.status).toBe('succeeded');
  });

  it('trains DPO on the preference version through the API and the CLI; a chat method on it is refused', { timeout: 6 * 60_000 }, async () => {
    const request = (body: unknown) =>
      app().request('/api/v1/fine_tuning/jobs', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const refused = await request({ model: tinyModel(), dataset_version: 'prefs@latest', method: { type: 'lora' } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toMatch(/lora trains on chat examples/);

    const viaApi = await request({ model: tinyModel(), dataset_version: 'prefs@latest', method: { type: 'dpo', hyperparameters: { ...HYPERPARAMETERS, beta: 0.2 } }, suffix: 'api' });
    expect(viaApi.status).toBe(200);
    const apiJob = (await viaApi.json()) as { id: string; method: { type: string } };
    expect(apiJob.method.type).toBe('dpo');

    const hp = Object.entries(HYPERPARAMETERS).flatMap(([key, value]) =>
      typeof value === 'object' ? Object.entries(value).map(([sub, v]) => ['--hp', `${key}.${sub}=${v}`]) : [['--hp', `${key}=${value}`]],
    );
    const cli = runCli(['train', 'start', '--model', tinyModel(), '--dataset-version', 'prefs@latest', ...hp.flat(), '--suffix', 'cli', '--detach'], { DATABASE_URL: database.url, TUNELOOP_HOME: home.home, LOG_LEVEL: 'warn' });
    expect(cli.stderr).toBe('');
    const cliJobId = /fine-tuning job ([0-9a-f-]{36})/.exec(cli.stdout)?.[1];
    expect(cliJobId).toBeTruthy();

    for (const id of [apiJob.id, cliJobId!]) {
      const done = await waitFor(`job ${id}`, async () => {
        const [row] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, id));
        return row && ['succeeded', 'failed', 'cancelled'].includes(row.status) ? row : null;
      }, 5 * 60_000, state);
      expect(done, JSON.stringify(done.error)).toMatchObject({ method: 'dpo', status: 'succeeded', task: 'reply' });
      const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, id));
      expect(candidate?.status).toBe('candidate');
    }
  });

  const app = () => createApp(deps);
});
