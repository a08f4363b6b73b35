import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { datasetVersions, fineTuningJobs, modelEvaluations, models, retrainingRuns } from '../../src/db/schema/index.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import { advanceRuns } from '../../src/models/retraining/runs.ts';
import { evaluatePolicy, setPolicy } from '../../src/models/retraining/policies.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { succeed } from '../../src/training/outcomes.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { bitextRows, createConnection, storeConversations } from './drift-support.ts';

describe('continuous retraining', () => {
  let database: TestDatabase;
  let queue: Queue;
  let deps: ReturnType<typeof testDeps>;
  let connectionId: string;
  const rows = bitextRows();
  const { log } = captureLogger();

  beforeAll(async () => {
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    deps = { ...testDeps(database, queue), log };
    connectionId = await createConnection(database.db, 'helpdesk');
    await createDataset(database.db, { name: 'replies', task: 'reply', config: { connections: [connectionId] } }, 'test');
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 5_000 });
    await database?.drop();
  });

  const jobs = async (name: string) => (await database.db.execute<{ count: number }>(sql`SELECT count(*)::int AS count FROM pgboss.job WHERE name = ${name}`)).rows[0]!.count;
  const runDeps = () => ({ db: database.db, queue, config: deps.config, log });
  const fire = () => evaluatePolicy(database.db, queue, 'reply');

  // Reply examples are agent replies (src/models/retraining/new-examples.ts): each conversation here has one.
  const REPLY = 'Thanks, we are on it.';

  it('a min_new_examples trigger requests one dataset build and then one fine-tuning job per firing', async () => {
    await setPolicy(database.db, { task: 'reply', dataset: 'replies', training: { model: 'tiny-base', method: { type: 'lora' } }, triggers: { minNewExamples: 50 } }, 'test');
    expect(await fire()).toBeNull();
    await storeConversations(database.db, connectionId, rows.slice(0, 49), new Date(), 'a', REPLY);
    expect(await fire()).toBeNull();
    await storeConversations(database.db, connectionId, rows.slice(49, 50), new Date(), 'b', REPLY);

    // Two evaluators at once (two hubs): one firing.
    const fired = (await Promise.all([fire(), fire()])).filter(Boolean);
    expect(fired).toHaveLength(1);
    const run = fired[0]!;
    expect(run).toMatchObject({ trigger: 'min_new_examples', status: 'building', reason: { newExamples: 50, threshold: 50 } });
    expect(await jobs('dataset.build')).toBe(1);
    const [version] = await database.db.select().from(datasetVersions).where(eq(datasetVersions.id, run.datasetVersionId!));
    expect(version?.status).toBe('queued');

    // Nothing new since the firing, and a run is active: no second firing.
    expect(await fire()).toBeNull();
    await storeConversations(database.db, connectionId, rows.slice(50, 120), new Date(), 'c', REPLY);
    expect(await fire()).toBeNull();

    // Not built yet: no job. Built: exactly one job, however many evaluators advance the run.
    await advanceRuns(runDeps());
    expect(await jobs('finetune.train')).toBe(0);
    const manifest = { splits: { train: { key: 'datasets/x/train.jsonl', examples: 40 }, validation: { key: 'datasets/x/validation.jsonl', examples: 5 } } };
    await database.db.update(datasetVersions).set({ status: 'ready', manifest, builtAt: new Date() }).where(eq(datasetVersions.id, version!.id));
    await Promise.all([advanceRuns(runDeps()), advanceRuns(runDeps())]);
    await advanceRuns(runDeps());
    expect(await jobs('finetune.train')).toBe(1);
    const [training] = await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.id, run.id));
    expect(training).toMatchObject({ status: 'training' });
    const [job] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, training!.fineTuningJobId!));
    expect(job).toMatchObject({ task: 'reply', datasetVersionId: version!.id, model: 'tiny-base', method: 'lora', createdBy: 'retraining' });

    // The job succeeds: the run records the candidate; auto-promote is off, so it stays a candidate.
    await database.db.transaction((tx) => succeed(tx, { queue: null }, job!, { fineTunedModel: 'ft:tiny', result: {}, cost: null, trainedTokens: 10, bestStep: null, metrics: {}, adapterPath: '/tmp/adapter' }));
    await advanceRuns(runDeps());
    const [trained] = await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.id, run.id));
    expect(trained).toMatchObject({ status: 'trained', outcome: { promoted: false } });
    expect(trained?.outcome?.modelId).toBeTruthy();

    // The 70 replies that arrived meanwhile fire the next retraining: a second build.
    const second = await fire();
    expect(second).toMatchObject({ trigger: 'min_new_examples', reason: { newExamples: 70 } });
    expect(second?.datasetVersionId).not.toBe(run.datasetVersionId);
    expect(await jobs('dataset.build')).toBe(2);
    expect(await database.db.$count(retrainingRuns, and(eq(retrainingRuns.task, 'reply')))).toBe(2);
  });

  it('with auto-promote, promotes the retrained model through the gate once its evaluation succeeded', async () => {
    await createDataset(database.db, { name: 'tickets', task: 'triage', config: { connections: [connectionId] } }, 'test');
    await setPolicy(database.db, { task: 'triage', dataset: 'tickets', training: { model: 'tiny-base' }, triggers: { minNewExamples: 1 }, autoPromote: true }, 'test');
    await storeConversations(database.db, connectionId, rows.slice(200, 201), new Date(), 't');
    const run = await evaluatePolicy(database.db, queue, 'triage');
    expect(run).toMatchObject({ trigger: 'min_new_examples' });
    const manifest = { splits: { train: { key: 'datasets/t/train.jsonl', examples: 40 } } };
    await database.db.update(datasetVersions).set({ status: 'ready', manifest }).where(eq(datasetVersions.id, run!.datasetVersionId!));
    await advanceRuns(runDeps());
    const [started] = await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.id, run!.id));
    const [job] = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, started!.fineTuningJobId!));
    await database.db.transaction((tx) => succeed(tx, { queue: null }, job!, { fineTunedModel: 'ft:tiny:triage', result: {}, cost: null, trainedTokens: 10, bestStep: null, metrics: {}, adapterPath: '/tmp/adapter' }));
    const [model] = await database.db.select().from(models).where(eq(models.fineTuningJobId, job!.id));

    // Not evaluated yet: the run waits.
    await advanceRuns(runDeps());
    expect((await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.id, run!.id)))[0]?.status).toBe('training');

    const report = { task: 'triage', testFile: 'datasets/t/test.jsonl', candidate: { modelId: model!.id, examples: 40, accuracy: 0.9, macro_f1: 0.85 }, baseline: null };
    await database.db.insert(modelEvaluations).values({ modelId: model!.id, baselineLabel: 'base', status: 'succeeded', report, finishedAt: new Date() });
    await Promise.all([advanceRuns(runDeps()), advanceRuns(runDeps())]);
    const [done] = await database.db.select().from(retrainingRuns).where(eq(retrainingRuns.id, run!.id));
    expect(done).toMatchObject({ status: 'trained', outcome: { modelId: model!.id, promoted: true } });
    expect((await database.db.select().from(models).where(eq(models.id, model!.id)))[0]?.status).toBe('production');
  });

  it('sets and shows a policy through the API; bad policies are refused with the field named', async () => {
    const app = createApp(deps);
    const { token } = await createToken(database.db, 'retrain', 'test');

    const request = (method: string, path: string, body?: unknown) =>
      app.request(`/api/v1/retraining-policies${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const set = await request('PUT', '/reply', { dataset: 'replies', training: { model: 'tiny-base' }, triggers: { onDrift: true, cron: '0 3 * * 1' }, autoPromote: true });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ task: 'reply', triggers: { onDrift: true, cron: '0 3 * * 1' }, autoPromote: true });
    const shown = (await (await request('GET', '/reply')).json()) as { runs: unknown[] };
    expect(shown.runs).toHaveLength(2);
    expect((await request('PUT', '/reply', { dataset: 'replies', training: { model: 'tiny-base' }, triggers: {} })).status).toBe(400);
    const wrongTask = await request('PUT', '/triage', { dataset: 'replies', training: { model: 'tiny-base' }, triggers: { onDrift: true } });
    expect(wrongTask.status).toBe(400);
    expect((await request('PUT', '/reply', { dataset: 'replies', training: { model: 'tiny-base' }, triggers: { cron: '99 * * * *' } })).status).toBe(400);
    expect(JSON.stringify(await wrongTask.json())).toContain('is a reply dataset');
  });
});
