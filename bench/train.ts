/**
 * What the hub adds to a local training run. (The worker's own speed against plain TRL is
 * gpu-worker/bench/bench_train.py.)
 *
 * 1. Event ingestion: 3,000 worker lines (a progress line per step, eval + checkpoint every 25)
 *    parsed and stored the way the runner does it (zod, one transaction per event: event row,
 *    metrics upsert, progress merge, checkpoint), vs a baseline that INSERTs each raw line into a
 *    one-column table. Workers print a few lines a second, so anything above 100 events/s keeps up.
 * 2. End to end (when gpu-worker/.venv exists): the same 30-step LoRA run on a tiny random model,
 *    through the runner (claim, validate, train, store, candidate model) vs `python -m
 *    tuneloop_worker train` alone, alternating, 3 runs each, both until the worker has exited; median
 *    wall seconds and their ratio. Run it on an idle machine: the worker's start-up dominates.
 * BENCH_EVENTS=… changes the number of lines.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDatabase } from './database.ts';
import { openArtifactStore } from '../src/artifacts/index.ts';
import { loadConfig } from '../src/config.ts';
import { connectDatabase, type Database } from '../src/db/client.ts';
import { fineTuningJobs } from '../src/db/schema/index.ts';
import { applyMigrations } from '../src/db/migrate.ts';
import { createLogger } from '../src/log.ts';
import { applyWorkerEvent } from '../src/training/events.ts';
import { uploadTrainingFile } from '../src/training/files/files.ts';
import { runLocalJob } from '../src/training/worker/runner.ts';
import { parseWorkerLine } from '../src/training/worker/events.ts';
import { WORKER_DIR } from '../src/training/worker/process.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 3_000);


/** Lines shaped exactly like the worker's (gpu-worker/tests/event_schema.py). */
function workerLines(count: number): string[] {
  const lines: string[] = [];
  for (let step = 1; lines.length < count; step++) {
    const time = new Date().toISOString();
    lines.push(JSON.stringify({ type: 'progress', time, step, total_steps: count, epoch: step / 100, loss: 2 / Math.sqrt(step), learning_rate: 1e-4, grad_norm: 1.2, tokens_per_second: 5000, tokens_seen: step * 4096, eta_seconds: count - step, extra: { mean_token_accuracy: 0.5 } }));
    if (step % 25 === 0) {
      lines.push(JSON.stringify({ type: 'eval', time, step, epoch: step / 100, eval_loss: 2.1 / Math.sqrt(step), best_eval_loss: 2.1 / Math.sqrt(step), best_step: step, is_best: true, extra: {} }));
      lines.push(JSON.stringify({ type: 'checkpoint', time, step, path: `/runs/x/checkpoints/checkpoint-${step}`, is_best: true }));
    }
  }
  return lines.slice(0, count);
}

async function insertJob(database: Database, model = 'bench-model'): Promise<string> {
  const [job] = await database.db
    .insert(fineTuningJobs)
    .values({ backend: 'local', model, method: 'lora', hyperparameters: {}, seed: 1, task: 'reply', createdBy: 'bench' })
    .returning({ id: fineTuningJobs.id });
  if (!job) throw new Error('insert failed');
  return job.id;
}

async function benchIngestion(database: Database): Promise<void> {
  const lines = workerLines(EVENTS);
  const jobId = await insertJob(database);
  let started = performance.now();
  for (const line of lines) {
    const parsed = parseWorkerLine(line);
    if (!parsed.ok) throw new Error(parsed.reason);
    await database.db.transaction((tx) => applyWorkerEvent(tx, jobId, parsed.event, 1));
  }
  const runnerMs = performance.now() - started;
  await database.pool.query('CREATE TABLE bench_raw_events (line jsonb NOT NULL)');
  started = performance.now();
  for (const line of lines) await database.pool.query('INSERT INTO bench_raw_events (line) VALUES ($1)', [line]);
  const rawMs = performance.now() - started;
  const rate = (ms: number) => (lines.length / ms) * 1000;
  process.stdout.write(`${'runner: parse + store (event, metrics, progress, checkpoint)'.padEnd(62)}${rate(runnerMs).toFixed(0).padStart(7)} events/s\n`);
  process.stdout.write(`${'raw INSERT of the same lines (baseline)'.padEnd(62)}${rate(rawMs).toFixed(0).padStart(7)} events/s\n`);
  // The runner does 3-5 statements per event in one transaction, the baseline one: the ratio is
  // expected well below 1. What matters is the absolute rate against a worker's few lines a second.
  process.stdout.write(`ratio (runner / raw INSERT): ${(rate(runnerMs) / rate(rawMs)).toFixed(3)}   goal: runner >= 100 events/s\n\n`);
}

/** Runs the worker alone: seconds until it has exited (as runLocalJob returns only once its worker has). */
function secondsToRun(python: string, configPath: string, out: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(python, ['-m', 'tuneloop_worker', 'train', '--config', configPath, '--out', out], { cwd: WORKER_DIR, stdio: 'ignore' });
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - started) / 1000) : reject(new Error(`worker exited ${code}`))));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function benchEndToEnd(database: Database): Promise<void> {
  const python = join(WORKER_DIR, '.venv', 'bin', 'python');
  if (!existsSync(python)) return void process.stdout.write('end to end: skipped (no gpu-worker/.venv; run `tuneloop worker setup`)\n');
  const home = mkdtempSync(join(tmpdir(), 'tuneloop-bench-train-'));
  try {
    const config = loadConfig({ DATABASE_URL: database.url, TUNELOOP_HOME: home });
    const store = openArtifactStore(config);
    const rows = Array.from({ length: 80 }, (_, i) => ({ messages: [{ role: 'user', content: `Where is my order number ${i}? It has not arrived yet.` }, { role: 'assistant', content: `Order ${i} left our warehouse yesterday and arrives within two days.` }] }));
    const text = rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
    writeFileSync(join(home, 'data.jsonl'), text);
    const built = spawnSync(python, ['-m', 'tuneloop_worker', 'tiny-model', '--data', join(home, 'data.jsonl'), '--out', join(home, 'model'), '--vocab-size', '400'], { cwd: WORKER_DIR, encoding: 'utf8' });
    if (built.status !== 0) throw new Error(built.stderr);
    const file = await uploadTrainingFile(database.db, store, { filename: 'train.jsonl', body: (async function* () {
      yield Buffer.from(text);
    })(), maxBytes: 1e8, actor: 'bench' });
    const hyperparameters = { learning_rate: 0.01, max_steps: 30, per_device_batch_size: 4, gradient_accumulation: 1, warmup_steps: 0, max_seq_length: 64, eval_every_steps: 10, log_every_steps: 1, gradient_checkpointing: false, early_stopping_patience: 0 };
    const log = createLogger({ LOG_LEVEL: 'error', LOG_FORMAT: 'json' });
    const hub: number[] = [];
    const plain: number[] = [];
    for (let round = 0; round < 3; round++) {
      const [job] = await database.db
        .insert(fineTuningJobs)
        .values({ backend: 'local', model: join(home, 'model'), method: 'lora', hyperparameters, seed: 1, task: 'reply', createdBy: 'bench', trainingFileId: file.id })
        .returning();
      if (!job) throw new Error('insert failed');
      let started = performance.now();
      await runLocalJob({ database, log, config, store, queue: null }, job.id, { lastAttempt: true });
      hub.push((performance.now() - started) / 1000);
      // The same run.json the runner wrote, trained again by the worker alone into a fresh folder.
      plain.push(await secondsToRun(python, join(home, 'runs', job.id, 'run.json'), join(home, `plain-${round}`)));
    }
    process.stdout.write(`${'hub runner (validate, train, store, candidate)'.padEnd(62)}${median(hub).toFixed(2).padStart(7)} s\n`);
    process.stdout.write(`${'python -m tuneloop_worker train alone (baseline)'.padEnd(62)}${median(plain).toFixed(2).padStart(7)} s\n`);
    process.stdout.write(`ratio (worker alone / hub runner): ${(median(plain) / median(hub)).toFixed(3)}   goal >= 0.9\n\n`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export async function main() {
  const db = await benchDatabase();
  const database = connectDatabase(db.url);
  try {
    await applyMigrations(database);
    await benchIngestion(database);
    await benchEndToEnd(database);
  } finally {
    await database.close();
    await db.done();
  }
}
