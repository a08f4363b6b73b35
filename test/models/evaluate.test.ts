import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { openArtifactStore } from '../../src/artifacts/index.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { auditEvents, modelEvaluations, models } from '../../src/db/schema/index.ts';
import { uploadVersion } from '../../src/datasets/upload/version.ts';
import { createDataset } from '../../src/datasets/versions.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { evaluationDir, runEvaluation } from '../../src/models/evaluation/handler.ts';
import { getEvaluation, latestEvaluation, type Evaluation, type ModelMetrics } from '../../src/models/evaluation/evaluations.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createKeyring } from '../../src/security/encryption.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addConnection } from '../support/harvest.ts';
import { startFakeModelServer } from '../support/fake-model-server.ts';
import { captureLogger } from '../support/logger.ts';
import { ensureWorkerVenv, fastHyperparameters, followEvents, jsonl, pythonMissing, tinyModel } from '../training/support.ts';

const missing = pythonMissing();
if (missing) console.warn(`skipping model evaluation tests: ${missing}`);

const SYSTEM = 'You are a helpful customer support agent.';
/**
 * One short, fixed reply per intent: a small, regular task. Short replies matter: what the request
 * tells about the reply is at most ln 4 nats, spread over the reply's tokens, so long replies leave
 * only a sliver of per-token loss between a model that learned the mapping and one that did not.
 */
const REPLIES: Record<string, string> = {
  cancel_order: 'Cancelled.',
  change_order: 'Changed.',
  change_shipping_address: 'Address updated.',
  check_cancellation_fee: 'No fee.',
};

/** 16 Bitext requests of each of the 4 intents, interleaved: 48 train, 8 validation, 8 test. */
function examples(shuffleTargets: boolean) {
  const records = parse(readFileSync(join(import.meta.dirname, '..', '..', 'fixtures', 'bitext_customer_support.csv')), { columns: true }) as Array<Record<string, string>>;
  const byIntent = new Map<string, string[]>();
  for (const row of records.slice(0, 400)) byIntent.set(row.intent ?? '', [...(byIntent.get(row.intent ?? '') ?? []), row.instruction ?? '']);
  const rows = Array.from({ length: 16 }, (_, i) => Object.keys(REPLIES).map((intent) => ({ user: byIntent.get(intent)?.[i] ?? '', reply: REPLIES[intent] ?? '' }))).flat();
  const targets = rows.map((row) => row.reply);
  if (shuffleTargets) {
    // A fixed rotation of the trained targets (train + validation) that moves every one to another
    // intent's request; the test split keeps the real ones.
    const trained = targets.slice(0, 56);
    for (let i = 0; i < 56; i++) targets[i] = trained[(i * 7 + 3) % 56] as string;
  }
  return rows.map((row, i) => ({
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: row.user },
      { role: 'assistant', content: targets[i] },
    ],
    split: i < 48 ? 'train' : i < 56 ? 'validation' : 'test',
  }));
}

const TERMINAL = new Set(['succeeded', 'failed']);

/** Waits for the evaluation's own state to become final (each read is one query). */
async function finished(database: TestDatabase, modelId: string): Promise<Evaluation> {
  for (;;) {
    const latest = await latestEvaluation(database.db, modelId);
    if (latest && TERMINAL.has(latest.status)) return (await getEvaluation(database.db, latest.id)) as Evaluation;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const NUMBERS = ['eval_loss', 'chrf', 'rouge_l', 'latency_p50_ms', 'latency_p95_ms', 'tokens_per_second'] as const;
function expectFinite(metrics: ModelMetrics) {
  for (const key of NUMBERS) expect(Number.isFinite(metrics[key]), `${key} = ${metrics[key]}`).toBe(true);
  expect(metrics.examples).toBe(8);
  expect(metrics.latency_p50_ms as number).toBeLessThanOrEqual(metrics.latency_p95_ms as number);
}

/**
 * The tiny CPU setup end to end: two candidates trained through finetune.train on dataset versions
 * (real targets, and the same requests with shuffled targets), each evaluated automatically after
 * its run against the base model on the real test split.
 */
describe.skipIf(missing)('model evaluation (model.evaluate)', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let model: string;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-eval-'));
  const { log, lines } = captureLogger();
  let deps: ReturnType<typeof testDeps>;

  beforeAll(async () => {
    ensureWorkerVenv();
    model = tinyModel();
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    deps = { ...testDeps(database, queue, { TUNELOOP_HOME: home, EVALUATION_MAX_EXAMPLES: '8', EVALUATION_MAX_NEW_TOKENS: '8' }), log };
    app = createApp(deps);
    await registerHandlers({ ...deps, queue, keyring: createKeyring(randomBytes(32)) }, ['finetune.train', 'model.evaluate'], 2);
    token = (await createToken(database.db, 'eval', 'test')).token;
  }, 20 * 60_000);
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 5_000 });
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const response = await app.request(`/api/v1${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };

  it('queues on request (once while pending), lists, and fails at once for a model without a test split', async () => {
    const [row] = await database.db.insert(models).values({ task: 'reply', backend: 'local', baseModel: model }).returning();
    const id = String(row?.id);
    const first = await api('POST', `/models/${id}/evaluations`);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ object: 'model.evaluation', model_id: id, status: 'queued', report: null });
    const again = await api('POST', `/models/${id}/evaluations`);
    if (again.body.id === first.body.id) expect(again.status).toBe(200); // else the first had already failed: a new one is right
    expect((await api('POST', '/models/00000000-0000-4000-8000-000000000000/evaluations')).status).toBe(404);
    expect((await api('GET', '/models/not-a-uuid/evaluations')).status).toBe(400);

    const done = await finished(database, id);
    expect(done).toMatchObject({ status: 'failed', report: null, error: expect.stringMatching(/trained on uploaded files.*no held-out test split/) });
    const listed = await api('GET', `/models/${id}/evaluations`);
    expect(listed.body.data[0]).toMatchObject({ id: done.id, status: 'failed', finished_at: expect.any(String) });
  });

  it('evaluates a candidate trained on real targets as better than one trained on shuffled targets', { timeout: 300_000 }, async () => {
    const store = openArtifactStore({ TUNELOOP_HOME: home });
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-eval', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { type: 'api_token', email: 'a@example.com', token: 't' } });
    const config = { connections: [connection.id], dedup: { threshold: 1 } };
    const jobs: Record<'good' | 'bad', string> = { good: '', bad: '' };
    for (const kind of ['good', 'bad'] as const) {
      const dataset = await createDataset(database.db, { name: `replies-${kind}`, task: 'reply', config }, 'test');
      const version = await uploadVersion({ database, store, log }, dataset, 'jsonl', jsonl(examples(kind === 'bad')), 'test');
      // An exact duplicate request of the fixture is dropped from train; validation and test keep 8 each.
      expect(version.manifest).toMatchObject({ steps: { split: { validation: 8, test: 8 } } });
      const hyperparameters = fastHyperparameters({ learning_rate: 0.02, max_steps: 48, per_device_batch_size: 8, max_seq_length: 96, eval_every_steps: 48, log_every_steps: 8, lora: { r: 16, alpha: 32, dropout: 0 } });
      const job = await api('POST', '/fine_tuning/jobs', { model, dataset_version: `replies-${kind}@latest`, method: { type: 'lora', hyperparameters }, seed: 7 });
      expect(job.status, JSON.stringify(job.body)).toBe(200);
      jobs[kind] = String(job.body.id);
    }
    const runs = await Promise.all([followEvents(app, token, jobs.good), followEvents(app, token, jobs.bad)]);
    expect(runs.map((run) => run.status), lines().filter((line) => Number(line.level) >= 50).map((line) => line.msg).join('\n')).toEqual(['succeeded', 'succeeded']);

    const modelOf = async (jobId: string) => (await database.db.select().from(models).where(eq(models.fineTuningJobId, jobId)))[0];
    const good = await modelOf(jobs.good);
    const bad = await modelOf(jobs.bad);
    // Requested by the run's success itself, in the same transaction as the model.
    const requested = await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'model.evaluate'`);
    expect(Number(requested.rows[0]?.n)).toBeGreaterThanOrEqual(2);

    const evaluations = { good: await finished(database, String(good?.id)), bad: await finished(database, String(bad?.id)) };
    for (const [kind, evaluation] of Object.entries(evaluations)) {
      expect(evaluation.status, `${kind}: ${evaluation.error}`).toBe('succeeded');
      const report = evaluation.report;
      expect(report).toMatchObject({ task: 'reply', testFile: expect.stringMatching(/\/test\.jsonl$/), baseline: { modelId: null, label: 'base' } });
      expect(evaluation).toMatchObject({ baselineLabel: 'base', baselineModelId: null, startedAt: expect.any(Date), finishedAt: expect.any(Date) });
      expectFinite(report?.candidate as ModelMetrics);
      expectFinite(report?.baseline as ModelMetrics);
    }
    const loss = (which: 'good' | 'bad') => evaluations[which].report?.candidate.eval_loss as number;
    const baseLoss = evaluations.good.report?.baseline?.eval_loss as number;
    console.info(`eval_loss on the test split: real targets ${loss('good').toFixed(3)}, shuffled ${loss('bad').toFixed(3)}, base ${baseLoss.toFixed(3)}`);
    expect(loss('good')).toBeLessThan(loss('bad'));
    expect(loss('good')).toBeLessThan(baseLoss);
    // Both evaluations scored the same base model on the same test examples.
    expect(evaluations.bad.report?.baseline?.eval_loss).toBeCloseTo(baseLoss, 5);

    // Idempotent: running a finished evaluation again changes nothing.
    await runEvaluation({ ...deps, queue, keyring: createKeyring(randomBytes(32)), store }, evaluations.good.id, { lastAttempt: true });
    expect(await getEvaluation(database.db, evaluations.good.id)).toEqual(evaluations.good);
    const answers = readFileSync(join(evaluationDir(home, evaluations.good.id), 'predictions', '0.jsonl'), 'utf8').trim().split('\n');
    expect(answers).toHaveLength(8);
    expect(existsSync(join(evaluationDir(home, evaluations.good.id), 'test.jsonl'))).toBe(false);
    const listed = await api('GET', `/models/${good?.id}/evaluations`);
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).toMatchObject({ status: 'succeeded', baseline_label: 'base', report: { candidate: { modelId: good?.id } } });

    // The gate: the good candidate goes to production (forced only if the tiny model's chrF
    // happens to trail its base); the shuffled one, evaluated against it, is blocked on eval loss
    // and goes through only with --force and a reason, which the audit keeps.
    const first = await api('POST', `/models/${good?.id}/promote`, {});
    if (first.status === 409) expect((await api('POST', `/models/${good?.id}/promote`, { force: true, reason: 'first production model' })).status).toBe(200);
    else expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect((await api('POST', `/models/${bad?.id}/evaluations`, {})).status).toBe(202);
    const against = await finished(database, String(bad?.id));
    expect(against.report?.baseline).toMatchObject({ modelId: good?.id, label: 'production' });
    const blocked = await api('POST', `/models/${bad?.id}/promote`, {});
    expect(blocked.status).toBe(409);
    expect(JSON.stringify(blocked.body)).toMatch(/eval_loss/);
    expect((await api('POST', `/models/${bad?.id}/promote`, { force: true })).status).toBe(400); // a reason is required
    const forced = await api('POST', `/models/${bad?.id}/promote`, { force: true, reason: 'testing the override' });
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    const [audit] = await database.db.select().from(auditEvents).where(and(eq(auditEvents.subjectId, String(bad?.id)), eq(auditEvents.action, 'model.promote_forced')));
    expect(audit?.details).toMatchObject({ forced: true, reason: 'testing the override' });
  });

  it('scores a model served by OpenAI from answers fetched through the inference client (no eval loss)', async () => {
    const store = openArtifactStore({ TUNELOOP_HOME: home });
    const connection = await addConnection(database, { vendor: 'zendesk', name: 'zd-triage', settings: { baseUrl: 'http://127.0.0.1:1' }, credentials: { type: 'api_token', email: 'a@example.com', token: 't' } });
    const dataset = await createDataset(database.db, { name: 'triage-openai', task: 'triage', config: { connections: [connection.id], dedup: { threshold: 1 } } }, 'test');
    const intents = ['refund', 'delivery', 'cancel'];
    const rows = Array.from({ length: 6 }, (_, i) => {
      const intent = intents[i % 3] as string;
      return { messages: [{ role: 'system', content: 'Label the ticket as JSON.' }, { role: 'user', content: `Ticket ${i}: a question about ${intent}` }, { role: 'assistant', content: JSON.stringify({ intent }) }], split: 'test' };
    });
    const version = await uploadVersion({ database, store, log }, dataset, 'jsonl', jsonl(rows), 'test');
    // The fine-tuned model names the intent; its base model answers in prose (no prediction).
    const server = await startFakeModelServer({
      baseModels: ['gpt-4o-mini', 'ft:gpt-4o-mini:acme::x1'],
      reply: (body) => (body.model.startsWith('ft:') ? JSON.stringify({ intent: intents.find((intent) => body.messages.at(-1)?.content.endsWith(intent)) }) : 'Sorry, I cannot tell.'),
    });
    try {
      const [row] = await database.db.insert(models).values({ task: 'triage', backend: 'openai', baseModel: 'gpt-4o-mini', providerModel: 'ft:gpt-4o-mini:acme::x1', datasetVersionId: version.id }).returning();
      const [evaluation] = await database.db.insert(modelEvaluations).values({ modelId: String(row?.id) }).returning();
      const config = { ...deps.config, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url };
      await runEvaluation({ ...deps, config, queue, keyring: createKeyring(randomBytes(32)), store }, String(evaluation?.id), { lastAttempt: true });
      const done = (await getEvaluation(database.db, String(evaluation?.id))) as Evaluation;
      expect(done.status, String(done.error)).toBe('succeeded');
      expect(done.report?.candidate).toMatchObject({ modelId: row?.id, examples: 6, accuracy: 1, macro_f1: 1, no_prediction_rate: 0, per_label: { 'intent:refund': { precision: 1, recall: 1, f1: 1, support: 2 } } });
      expect(done.report?.candidate.eval_loss).toBeUndefined();
      expect(Number.isFinite(done.report?.candidate.latency_p95_ms)).toBe(true);
      expect(done.report?.baseline).toMatchObject({ modelId: null, label: 'base', accuracy: 0, macro_f1: 0, no_prediction_rate: 1 });
      expect(server.chats.map((chat) => chat.model).sort()).toEqual([...Array(6).fill('ft:gpt-4o-mini:acme::x1'), ...Array(6).fill('gpt-4o-mini')].sort());
      expect(server.chats.every((chat) => chat.temperature === 0 && chat.response_format?.type === 'json_object' && chat.messages.at(-1)?.role === 'user')).toBe(true);
    } finally {
      await server.close();
    }
  });
});
