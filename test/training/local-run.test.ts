import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { fineTuningCheckpoints, fineTuningEvents, fineTuningMetrics, models } from '../../src/db/schema/index.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createKeyring } from '../../src/security/encryption.ts';
import { testDeps } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { adapterMoved, ensureWorkerVenv, fastHyperparameters, followEvents, jsonl, pythonMissing, tinyModel, TRAIN_ROWS, uploadJsonl, VALIDATION_ROWS } from './support.ts';

const missing = pythonMissing();
if (missing) console.warn(`skipping local fine-tuning tests: ${missing}`);

/** End to end on the CPU: upload → job → the real gpu-worker → a candidate model; and cancel. */
describe.skipIf(missing)('local fine-tuning with the gpu-worker', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let model: string;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-ft-local-'));
  const { log, lines } = captureLogger();

  beforeAll(async () => {
    ensureWorkerVenv();
    model = tinyModel();
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    const deps = { ...testDeps(database, queue, { TUNELOOP_HOME: home }), log };
    app = createApp(deps);
    await registerHandlers({ ...deps, queue, keyring: createKeyring(randomBytes(32)) }, ['finetune.train'], 2);
    token = (await createToken(database.db, 'ft', 'test')).token;
  }, 20 * 60_000);
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 5_000 });
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const createJob = async (body: Record<string, unknown>) => {
    const response = await app.request('/api/v1/fine_tuning/jobs', { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await response.json()) as Record<string, any>;
    expect(response.status, JSON.stringify(json)).toBe(200);
    return json;
  };
  const getJob = async (id: string) => (await (await app.request(`/api/v1/fine_tuning/jobs/${id}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, any>;

  it('trains a LoRA adapter and registers it as a candidate model, with every event, metric and checkpoint stored', { timeout: 300_000 }, async () => {
    const train = await uploadJsonl(app, token, 'train.jsonl', jsonl(TRAIN_ROWS));
    const validation = await uploadJsonl(app, token, 'validation.jsonl', jsonl(VALIDATION_ROWS));
    const job = await createJob({ model, training_file: train.body.id, validation_file: validation.body.id, method: { type: 'lora', hyperparameters: fastHyperparameters() }, suffix: 'e2e', seed: 7 });

    const seenWhileRunning: string[] = [];
    const { events, status } = await followEvents(app, token, job.id, async (event) => {
      if (event.event_type === 'progress' && seenWhileRunning.length === 0) seenWhileRunning.push((await getJob(job.id)).status);
    });
    expect(status, lines().filter((line) => Number(line.level) >= 40).map((line) => line.msg).join('\n')).toBe('succeeded');
    // Read at the first progress event; a 6-step run may already be over by the time the read lands.
    // The stored status events below prove the order.
    expect(['running', 'succeeded']).toContain(seenWhileRunning[0]);

    const done = await getJob(job.id);
    expect(done).toMatchObject({ status: 'succeeded', fine_tuned_model: expect.stringMatching(/^ft:tuneloop-tiny-model-[0-9a-f]+:tuneloop:e2e:/), error: null, attempts: 1 });
    expect(done.trained_tokens).toBeGreaterThan(0);
    expect(done.progress).toMatchObject({ step: 6, total_steps: 6 });
    expect(done.cost).toMatchObject({ tokens_seen: done.trained_tokens, wall_seconds: expect.any(Number) });

    // The hub's status events, in order, around the worker's own.
    const statuses = events.filter((event) => event.event_type === 'status').map((event) => event.data.status);
    expect(statuses).toEqual(['validating_files', 'queued', 'running', 'succeeded']);
    const types = events.map((event) => event.event_type);
    expect(types.filter((type) => type === 'progress')).toHaveLength(6);
    expect(types.filter((type) => type === 'eval')).toHaveLength(3);
    expect(types.filter((type) => type === 'checkpoint')).toHaveLength(3);
    expect(types.indexOf('valid')).toBeLessThan(types.indexOf('started'));
    expect(types.indexOf('done')).toBeLessThan(types.lastIndexOf('status'));
    const started = events.find((event) => event.event_type === 'started');
    expect(started?.data).toMatchObject({ resumed_from_step: 0, total_steps: 6, device: expect.stringMatching(/^(cpu|cuda|mps)$/) });

    // The candidate model: an adapter on disk whose LoRA weights moved from their zero start.
    const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, job.id));
    expect(candidate).toMatchObject({ status: 'candidate', task: 'reply', backend: 'local', baseModel: model, trainingFileId: train.body.id, validationFileId: validation.body.id });
    expect(done.model_id).toBe(candidate?.id);
    const adapter = String(candidate?.adapterPath);
    expect(adapter).toBe(join(home, 'runs', job.id, 'adapter'));
    expect(existsSync(join(adapter, 'adapter_config.json'))).toBe(true);
    expect(adapterMoved(join(adapter, 'adapter_model.safetensors'))).toBe(true);
    const result = events.find((event) => event.event_type === 'done')?.data;
    expect(candidate?.metrics).toMatchObject({ best_eval_loss: result?.metrics.best_eval_loss, final_train_loss: result?.metrics.final_train_loss, best_step: result?.best_step });
    expect(result?.metrics.best_eval_loss).toBeLessThan(events.find((event) => event.event_type === 'eval')?.data.eval_loss + 1e-9);

    // Loss curves and checkpoints.
    const metrics = await database.db.select().from(fineTuningMetrics).where(eq(fineTuningMetrics.jobId, job.id));
    expect(metrics.map((row) => row.step).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(metrics.filter((row) => row.evalLoss !== null).map((row) => row.step).sort()).toEqual([2, 4, 6]);
    expect(metrics.every((row) => typeof row.trainLoss === 'number')).toBe(true);
    const checkpoints = await database.db.select().from(fineTuningCheckpoints).where(eq(fineTuningCheckpoints.jobId, job.id));
    expect(checkpoints.map((row) => row.step).sort()).toEqual([2, 4, 6]);
    expect(checkpoints.filter((row) => row.isBest).map((row) => row.step)).toEqual([result?.best_step]);
    const listed = (await (await app.request(`/api/v1/fine_tuning/jobs/${job.id}/checkpoints`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { data: Array<{ step_number: number; metrics: Record<string, number> }> };
    expect(listed.data.map((row) => row.step_number)).toEqual([6, 4, 2]);
    expect(listed.data[0]?.metrics.valid_loss).toEqual(expect.any(Number));
    const curve = (await (await app.request(`/api/v1/fine_tuning/jobs/${job.id}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { data: unknown[] };
    expect(curve.data).toHaveLength(6);

    // One slack.notify per status change, plus progress ticks throttled by a singleton slot, and
    // the worker's stderr in the hub log.
    const notifies = await database.db.execute<{ n: number; ticks: number }>(
      sql`SELECT count(*) FILTER (WHERE singleton_key IS NULL)::int AS n, count(*) FILTER (WHERE singleton_key = ${`run.progress:${job.id}`})::int AS ticks FROM pgboss.job WHERE name = 'slack.notify' AND data->>'subjectId' = ${job.id}`,
    );
    expect(Number(notifies.rows[0]?.n)).toBe(4);
    expect(Number(notifies.rows[0]?.ticks)).toBeGreaterThanOrEqual(1);
    expect(lines().some((line) => line.stream === 'stderr' && line.fineTuningJobId === job.id)).toBe(true);
    const stored = await database.db.select({ n: sql<number>`count(*)::int` }).from(fineTuningEvents).where(eq(fineTuningEvents.jobId, job.id));
    expect(stored[0]?.n).toBe(events.length);
  });

  it('stops a running worker within 10 seconds of a cancel, holding out validation data when none is given', { timeout: 300_000 }, async () => {
    const train = await uploadJsonl(app, token, 'train.jsonl', jsonl([...TRAIN_ROWS, ...VALIDATION_ROWS]));
    const job = await createJob({ model, training_file: train.body.id, method: { type: 'lora', hyperparameters: fastHyperparameters({ max_steps: 500, eval_every_steps: 50 }) } });
    const runDir = join(home, 'runs', job.id);
    let workerPid = 0;
    let requestedAt = 0;
    const { events, status } = await followEvents(app, token, job.id, async (event) => {
      if (event.event_type !== 'progress' || requestedAt) return;
      workerPid = (JSON.parse(readFileSync(join(runDir, 'worker.pid'), 'utf8')) as { pid: number }).pid;
      requestedAt = Date.now();
      const response = await app.request(`/api/v1/fine_tuning/jobs/${job.id}/cancel`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      expect(((await response.json()) as { status: string }).status).toBe('running');
    });
    const stoppedAfterMs = Date.now() - requestedAt;
    expect(status).toBe('cancelled');
    // A cancel stops the worker within 10 s (poll 1 s, SIGTERM, SIGKILL after 5 s).
    expect(stoppedAfterMs).toBeLessThan(10_000);
    expect(() => process.kill(workerPid, 0)).toThrow();
    expect(existsSync(join(runDir, 'worker.pid'))).toBe(false);
    expect(events.some((event) => /held out 8 of 80 training examples/.test(event.message))).toBe(true);
    expect(events.find((event) => event.event_type === 'valid')?.data).toMatchObject({ train_examples: 72, validation_examples: 8 });
    expect(events.at(-1)?.message).toBe('Fine-tuning job cancelled');
    const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, job.id));
    expect(candidate).toBeUndefined();
  });
});
