/**
 * Hyperparameter sweeps asked of the hub: a 4-trial grid runs as 4 child fine-tuning jobs on the
 * real gpu-worker (tiny CPU model), each with its own events; the trial with the lowest
 * validation loss becomes the candidate (and only it is evaluated); cancelling a sweep cancels its
 * trials; out-of-range values and an over-budget grid are refused before anything is created.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { createToken } from '../../src/auth/tokens.ts';
import { fineTuningEvents, fineTuningJobs, models } from '../../src/db/schema/index.ts';
import { registerHandlers } from '../../src/jobs/handlers.ts';
import { startQueue, type Queue } from '../../src/queue/queue.ts';
import { createKeyring } from '../../src/security/encryption.ts';
import { testDeps } from '../support/app.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogger } from '../support/logger.ts';
import { waitFor } from '../support/wait.ts';
import { ensureWorkerVenv, fastHyperparameters, jsonl, pythonMissing, tinyModel, TRAIN_ROWS, uploadJsonl, VALIDATION_ROWS } from '../training/support.ts';

const missing = pythonMissing();
if (missing) console.warn(`skipping the sweep tests: ${missing}`);

describe.skipIf(missing)('hyperparameter sweeps from the hub', () => {
  let database: TestDatabase;
  let queue: Queue;
  let app: ReturnType<typeof createApp>;
  let token: string;
  let model: string;
  let files: { training_file: string; validation_file: string };
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-sweep-'));
  const { log } = captureLogger();

  beforeAll(async () => {
    ensureWorkerVenv();
    model = tinyModel();
    database = await createTestDatabase();
    queue = await startQueue({ url: database.url, schema: 'pgboss', log });
    const deps = { ...testDeps(database, queue, { TUNELOOP_HOME: home }), log };
    app = createApp(deps);
    // One training worker: the trials run one after another (more workers run them side by side).
    await registerHandlers({ ...deps, queue, keyring: createKeyring(randomBytes(32)) }, ['finetune.train', 'finetune.sweep'], 1);
    token = (await createToken(database.db, 'sweep', 'test')).token;
    const train = await uploadJsonl(app, token, 'train.jsonl', jsonl(TRAIN_ROWS));
    const validation = await uploadJsonl(app, token, 'validation.jsonl', jsonl(VALIDATION_ROWS));
    files = { training_file: String(train.body.id), validation_file: String(validation.body.id) };
  }, 20 * 60_000);
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 5_000 });
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const post = async (path: string, body?: unknown) => {
    const response = await app.request(`/api/v1/fine_tuning${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const get = async (path: string) => (await (await app.request(`/api/v1/fine_tuning${path}`, { headers: { Authorization: `Bearer ${token}` } })).json()) as Record<string, any>;
  const sweepJob = (sweep: unknown, hyperparameters: Record<string, unknown> = {}) => ({ model, ...files, method: { type: 'lora', hyperparameters: { ...fastHyperparameters(), ...hyperparameters, sweep } } });
  const jobCount = async () => database.db.$count(fineTuningJobs);

  it('refuses out-of-range values and an over-budget sweep before anything is created, naming the values', async () => {
    const outOfRange = await post('/jobs', sweepJob({ strategy: 'grid', space: { learning_rate: [0.0001, 5], lora_r: [8, 0] } }));
    expect(outOfRange.status).toBe(400);
    expect(outOfRange.body.error.message).toMatch(/learning_rate 5 .*lora_r 0/);
    const overBudget = await post('/jobs', sweepJob({ strategy: 'grid', space: { learning_rate: [0.01, 0.02, 0.03], epochs: [1, 2, 3] }, max_trials: 4 }));
    expect(overBudget.status).toBe(400);
    expect(overBudget.body.error.message).toContain('the grid has 9 trials, over the budget of 4 (sweep.max_trials)');
    const randomOver = await post('/jobs', sweepJob({ strategy: 'random', space: { learning_rate: [0.01, 0.02] }, trials: 3 }));
    expect(randomOver.body.error.message).toContain('only 2 distinct combinations');
    // The CLI goes through the same check: --hp sweep=<JSON>.
    const cli = runCli(['train', 'start', '--model', model, '--training-file-id', files.training_file, '--hp', `sweep=${JSON.stringify({ strategy: 'grid', space: { lora_r: [4, 8, 16] }, max_trials: 2 })}`, '--detach'], { DATABASE_URL: database.url, TUNELOOP_HOME: home, LOG_LEVEL: 'warn' });
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain('the grid has 3 trials, over the budget of 2');
    expect(await jobCount()).toBe(0);
  });

  it('runs a 4-trial grid as child jobs with their own events; the lowest validation loss becomes the candidate', { timeout: 10 * 60_000 }, async () => {
    const created = await post('/jobs', sweepJob({ strategy: 'grid', space: { learning_rate: [0.02, 0.00001], lora_r: [4, 8] } }, { max_steps: 4, eval_every_steps: 2 }));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const sweepId = String(created.body.id);
    expect(created.body.status).toBe('running');
    const done = await waitFor('the sweep to end', async () => {
      const job = await get(`/jobs/${sweepId}`);
      return ['succeeded', 'failed', 'cancelled'].includes(job.status) ? job : null;
    }, 9 * 60_000, async () => JSON.stringify((await database.db.select({ id: fineTuningJobs.id, status: fineTuningJobs.status, error: fineTuningJobs.error }).from(fineTuningJobs))));
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');

    const trials = await get(`/jobs/${sweepId}/trials`);
    expect(trials.data).toHaveLength(4);
    expect(trials.data.map((t: { params: { learning_rate: number; lora: { r: number } } }) => [t.params.learning_rate, t.params.lora.r])).toEqual([
      [0.02, 4],
      [0.02, 8],
      [0.00001, 4],
      [0.00001, 8],
    ]);
    for (const trial of trials.data as Array<{ job: string; status: string; best_eval_loss: number | null }>) {
      expect(trial.status).toBe('succeeded');
      expect(trial.best_eval_loss).toEqual(expect.any(Number));
      const types = (await database.db.select({ type: fineTuningEvents.type }).from(fineTuningEvents).where(eq(fineTuningEvents.jobId, trial.job))).map((e) => e.type);
      expect(types).toContain('started');
      expect(types.filter((type) => type === 'eval').length).toBeGreaterThan(0);
      expect((await get(`/jobs/${trial.job}`)).parent_job_id).toBe(sweepId);
    }
    const losses = (trials.data as Array<{ trial: number; best_eval_loss: number }>).map((t) => t.best_eval_loss);
    const bestTrial = (trials.data as Array<{ trial: number; best_eval_loss: number; job: string; model_id: string }>).find((t) => t.best_eval_loss === Math.min(...losses))!;
    expect(trials.best_trial).toBe(bestTrial.trial);
    expect(done.result_files).toEqual([]);
    expect(done.model_id).toBe(bestTrial.model_id);

    // Only the best trial's model is a candidate, and only it is evaluated.
    const trialModels = await database.db.select({ id: models.id, status: models.status }).from(models);
    expect(trialModels.filter((m) => m.status === 'candidate').map((m) => m.id)).toEqual([bestTrial.model_id]);
    expect(trialModels.filter((m) => m.status === 'archived')).toHaveLength(3);
    const evaluations = await database.db.execute<{ model: string }>(sql`SELECT data->>'modelId' AS model FROM pgboss.job WHERE name = 'model.evaluate'`);
    expect(evaluations.rows.map((row) => row.model)).toEqual([bestTrial.model_id]);
  });

  it('cancelling a sweep cancels its trials', { timeout: 5 * 60_000 }, async () => {
    const created = await post('/jobs', sweepJob({ strategy: 'random', space: { learning_rate: [0.01, 0.02, 0.03], lora_r: [4, 8] }, trials: 3 }, { max_steps: 200 }));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const sweepId = String(created.body.id);
    const cancelled = await post(`/jobs/${sweepId}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');
    const trials = await waitFor('every trial to stop', async () => {
      const rows = await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.parentJobId, sweepId));
      return rows.every((row) => row.status === 'cancelled') ? rows : null;
    }, 4 * 60_000);
    expect(trials).toHaveLength(3);
    expect(trials.every((row) => row.cancelRequestedAt !== null)).toBe(true);
  });
});
