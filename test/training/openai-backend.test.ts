import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiFineTuning } from '../../integrations/openai/index.ts';
import { createOpenAISandbox, SANDBOX_API_KEY, type OpenAISandbox } from '../../integrations/openai/sandbox/index.ts';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { fineTuningCheckpoints, fineTuningEvents, fineTuningJobs, fineTuningMetrics, models } from '../../src/db/schema/index.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createKeyring } from '../../src/security/encryption.ts';
import { RetryableRunError } from '../../src/training/worker/runner.ts';
import { runOpenAIJob } from '../../src/training/openai/runner.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { chatRows, followEvents, jsonl, uploadJsonl } from './support.ts';

/** The hub's OpenAI backend against the loopback sandbox, through the real `openai` SDK. */
describe('fine-tuning on the openai backend', () => {
  let database: TestDatabase;
  let queue: Queue;
  let sandbox: OpenAISandbox;
  let server: { url: string; close(): Promise<void> };
  let deps: ReturnType<typeof testDeps>;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let trainingFile: string;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-ft-openai-'));
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    sandbox = createOpenAISandbox({ stepMs: 10, maxSteps: 6, seed: 9 });
    server = await sandbox.listen();
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log: captureLogger().log });
    deps = testDeps(database, queue, { TUNELOOP_HOME: home, OPENAI_API_KEY: SANDBOX_API_KEY, OPENAI_BASE_URL: `${server.url}/v1`, OPENAI_POLL_INTERVAL_MS: '20' });
    app = createApp(deps);
    token = (await createToken(database.db, 'ft', 'test')).token;
    trainingFile = String((await uploadJsonl(app, token, 'train.jsonl', jsonl(chatRows(12)))).body.id);
  });
  afterAll(async () => {
    await queue.stop({ timeoutMs: 2_000 });
    for (const s of [server, ...servers]) await s.close();
    await database.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const create = async (body: Record<string, unknown>) => {
    const response = await app.request('/api/v1/fine_tuning/jobs', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ backend: 'openai', model: 'gpt-4o-mini', training_file: trainingFile, ...body }) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const row = async (id: string) => (await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, id)))[0];
  const runnerDeps = (backendUrl: string) => ({ ...deps, queue, store: openArtifactStore(deps.config), backend: openaiFineTuning({ apiKey: SANDBOX_API_KEY, baseURL: `${backendUrl}/v1`, maxRetries: 2 }) });

  it('uploads, creates the OpenAI job, follows it through rate limits, and registers the model as a candidate', async () => {
    await registerHandlers({ ...deps, queue, keyring: createKeyring(randomBytes(32)) }, ['finetune.train'], 1);
    sandbox.setFaults({ rateLimitEvery: 4, retryAfterSeconds: 0.02 });
    const validation = await uploadJsonl(app, token, 'valid.jsonl', jsonl(chatRows(4, 20)));
    const created = await create({ validation_file: validation.body.id, suffix: 'emea', method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 2, batch_size: 4 } } }, metadata: { team: 'emea' } });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const { status } = await followEvents(app, token, created.body.id);
    await queue.stopWorking('finetune.train');
    sandbox.setFaults({ rateLimitEvery: null });
    expect(status).toBe('succeeded');

    const job = await row(created.body.id);
    const providerJobs = [...sandbox.store.jobs.values()].filter((j) => j.metadata?.tuneloop_job_id === job?.id);
    expect(providerJobs).toHaveLength(1);
    const provider = providerJobs[0];
    expect(provider).toMatchObject({ status: 'succeeded', metadata: { team: 'emea', tuneloop_job_id: job?.id }, suffix: 'emea', seed: job?.seed, hyperparameters: { n_epochs: 2, batch_size: 4 } });
    expect(job).toMatchObject({ status: 'succeeded', providerJobId: provider?.id, fineTunedModel: provider?.fine_tuned_model, trainedTokens: provider?.trained_tokens });
    expect(sandbox.store.files.get(String(provider?.training_file))?.content).toBe(jsonl(chatRows(12)));
    expect(sandbox.http.violations).toEqual([]);
    expect(sandbox.http.requestLog.some((entry) => entry.status === 429)).toBe(true);

    const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, created.body.id));
    expect(candidate).toMatchObject({ status: 'candidate', backend: 'openai', providerModel: provider?.fine_tuned_model, adapterPath: null, baseModel: 'gpt-4o-mini' });

    // Every provider event once, metrics as loss curves, the provider's checkpoints.
    const stored = await database.db.select().from(fineTuningEvents).where(and(eq(fineTuningEvents.jobId, created.body.id), isNotNull(fineTuningEvents.externalId)));
    expect(stored.map((event) => event.externalId).sort()).toEqual((sandbox.store.events.get(String(provider?.id)) ?? []).map((event) => event.id).sort());
    const metrics = await database.db.select().from(fineTuningMetrics).where(eq(fineTuningMetrics.jobId, created.body.id));
    expect(metrics.map((m) => m.step).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(metrics.every((m) => m.trainLoss !== null && m.evalLoss !== null)).toBe(true);
    const checkpoints = await database.db.select().from(fineTuningCheckpoints).where(eq(fineTuningCheckpoints.jobId, created.body.id));
    expect(checkpoints.map((c) => c.path).sort()).toEqual((sandbox.store.checkpoints.get(String(provider?.id)) ?? []).map((c) => c.fine_tuned_model_checkpoint).sort());
  });

  it('refuses what OpenAI cannot run before anything is created', async () => {
    const before = (await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM fine_tuning_jobs`)).rows[0]?.n;
    for (const [body, message] of [
      [{ method: { type: 'lora' } }, /only on the local backend/],
      [{ method: { type: 'supervised', hyperparameters: { learning_rate: 0.001 } } }, /not supported by the openai backend: learning_rate/],
    ] as const) {
      const response = await create(body);
      expect(response.status).toBe(400);
      expect(JSON.stringify(response.body)).toMatch(message);
    }
    expect((await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM fine_tuning_jobs`)).rows[0]?.n).toBe(before);
  });

  it('forwards a cancel to OpenAI and ends cancelled', async () => {
    const slow = createOpenAISandbox({ stepMs: 3_600_000 });
    const slowServer = await slow.listen();
    servers.push(slowServer);
    const { body } = await create({});
    const running = runOpenAIJob(runnerDeps(slowServer.url), body.id, { lastAttempt: false });
    for (let job = await row(body.id); !job?.providerJobId; job = await row(body.id)) await new Promise((resolve) => setTimeout(resolve, 20));
    const response = await app.request(`/api/v1/fine_tuning/jobs/${body.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const final = await running;
    expect(final?.status).toBe('cancelled');
    expect([...slow.store.jobs.values()].map((job) => job.status)).toEqual(['cancelled']);
  });

  it('maps a failed OpenAI job to failed with OpenAI\'s error', async () => {
    sandbox.store.failNextJob = { code: 'invalid_training_file', message: 'Training file contains examples with too many tokens.' };
    const { body } = await create({});
    const final = await runOpenAIJob(runnerDeps(server.url), body.id, { lastAttempt: false });
    expect(final).toMatchObject({ status: 'failed', error: { code: 'invalid_training_file', message: expect.stringMatching(/too many tokens/) } });
  });

  it('after an interrupted attempt, the retry follows the same OpenAI job, even when it lost the id', async () => {
    const medium = createOpenAISandbox({ stepMs: 40, maxSteps: 4 });
    const mediumServer = await medium.listen();
    servers.push(mediumServer);
    const { body } = await create({});
    const abort = new AbortController();
    const first = runOpenAIJob(runnerDeps(mediumServer.url), body.id, { signal: abort.signal, lastAttempt: false });
    for (let job = await row(body.id); !job?.providerJobId; job = await row(body.id)) await new Promise((resolve) => setTimeout(resolve, 10));
    abort.abort();
    await expect(first).rejects.toBeInstanceOf(RetryableRunError);
    // As if the crash happened between creating the provider job and storing its id.
    await database.db.update(fineTuningJobs).set({ providerJobId: null }).where(eq(fineTuningJobs.id, body.id));
    const final = await runOpenAIJob(runnerDeps(mediumServer.url), body.id, { lastAttempt: false });
    expect(final).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(medium.store.jobs.size).toBe(1);
    const externalIds = (await database.db.select().from(fineTuningEvents).where(eq(fineTuningEvents.jobId, body.id))).flatMap((event) => (event.externalId ? [event.externalId] : []));
    expect(new Set(externalIds).size).toBe(externalIds.length);
    expect(externalIds.length).toBe(medium.store.events.get([...medium.store.jobs.keys()][0] ?? '')?.length);
  });
});
