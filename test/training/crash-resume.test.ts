import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/auth/tokens.ts';
import { fineTuningEvents, fineTuningJobs, models } from '../../src/db/schema/index.ts';
import { runCli, startCli, type RunningCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { ensureWorkerVenv, fastHyperparameters, jsonl, pythonMissing, tinyModel, TRAIN_ROWS, uploadJsonl, VALIDATION_ROWS } from './support.ts';

const missing = pythonMissing();
if (missing) console.warn(`skipping the fine-tuning crash test: ${missing}`);

/** SIGKILL of the real hub process mid-run; pg-boss retries the job and the worker resumes from its checkpoint. */
describe.skipIf(missing)('a fine-tuning job survives kill -9 of the hub', () => {
  let database: TestDatabase;
  let model: string;
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-ft-crash-'));
  const hubs: RunningCli[] = [];

  beforeAll(async () => {
    ensureWorkerVenv();
    model = tinyModel();
    database = await createTestDatabase();
  }, 20 * 60_000);
  afterAll(async () => {
    for (const hub of hubs) hub.child.kill('SIGKILL');
    await database?.drop();
    rmSync(home, { recursive: true, force: true });
  });

  const env = () => ({ DATABASE_URL: database.url, PORT: '0', TUNELOOP_HOME: home, WORKER_CONCURRENCY: '1' });

  /** Reads the job until `done` holds; each read is a real query, so this waits on the runner's own writes. */
  async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const events = (jobId: string, type?: string) =>
    database.db
      .select()
      .from(fineTuningEvents)
      .where(and(eq(fineTuningEvents.jobId, jobId), type ? eq(fineTuningEvents.type, type) : undefined))
      .orderBy(asc(fineTuningEvents.id));
  const jobRow = async (id: string) => (await database.db.select().from(fineTuningJobs).where(eq(fineTuningJobs.id, id)))[0];

  it('resumes from the last checkpoint and succeeds', { timeout: 300_000 }, async () => {
    const { token } = await createToken(database.db, 'crash-test', 'test');
    const first = startCli(['start'], env());
    hubs.push(first);
    const { url } = await first.waitForLog((line) => line.msg === 'hub listening', 'hub listening');
    const hub = { request: (path: string, init?: RequestInit) => fetch(`${String(url)}${path}`, init) };
    const train = await uploadJsonl(hub, token, 'train.jsonl', jsonl(TRAIN_ROWS));
    const validation = await uploadJsonl(hub, token, 'validation.jsonl', jsonl(VALIDATION_ROWS));
    const created = await fetch(`${String(url)}/api/v1/fine_tuning/jobs`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model, training_file: train.body.id, validation_file: validation.body.id, method: { type: 'lora', hyperparameters: fastHyperparameters({ max_steps: 40, eval_every_steps: 10 }) } }),
    });
    const { id } = (await created.json()) as { id: string };

    // Kill the hub as soon as the first checkpoint (step 10) is stored, 30 steps before the end.
    await until(() => events(id, 'checkpoint'), (rows) => rows.length > 0);
    const orphan = (JSON.parse(readFileSync(join(home, 'runs', id, 'worker.pid'), 'utf8')) as { pid: number }).pid;
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await jobRow(id);
    expect(atKill?.status).toBe('running');
    expect(atKill?.progress.step ?? 0).toBeLessThan(40);

    const second = startCli(['start'], env());
    hubs.push(second);
    await second.waitForLog((line) => line.msg === 'hub listening', 'hub listening again');
    const finished = await until(() => jobRow(id), (job) => job?.status === 'succeeded' || job?.status === 'failed' || job?.status === 'cancelled');
    second.child.kill('SIGTERM');
    await second.exited;

    expect(finished?.status, JSON.stringify(finished?.error)).toBe('succeeded');
    expect(finished?.attempts).toBeGreaterThanOrEqual(2);
    const started = await events(id, 'started');
    expect(started.map((event) => event.data.resumed_from_step)).toEqual([0, expect.any(Number)]);
    const resumedFrom = Number(started[1]?.data.resumed_from_step);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(started[1]?.attempt).toBeGreaterThan(started[0]?.attempt ?? 0);
    const done = (await events(id, 'done'))[0]?.data;
    expect(done).toMatchObject({ resumed_from_step: resumedFrom, steps_trained: 40 });
    // The worker the dead hub left behind is gone (its stdout broke, or the retry stopped it).
    expect(() => process.kill(orphan, 0)).toThrow();
    const [candidate] = await database.db.select().from(models).where(eq(models.fineTuningJobId, id));
    expect(candidate?.status).toBe('candidate');

    // The CLI reads the same job: its JSON, and its events with the resume in them.
    const shown = runCli(['train', 'show', id], env());
    expect(JSON.parse(shown.stdout)).toMatchObject({ id, status: 'succeeded', attempts: finished?.attempts, model_id: candidate?.id });
    const printed = runCli(['train', 'events', id], env());
    expect(printed.stdout).toMatch(new RegExp(`\\[started\\] Resumed from step ${resumedFrom} of 40`));
    expect(printed.stdout).toMatch(/\[status\] The job has successfully completed/);
  });
});
