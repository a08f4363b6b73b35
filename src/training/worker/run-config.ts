/**
 * A local run's folder, TUNELOOP_HOME/runs/<job id>: the data files copied out of the artifact
 * store, run.json for the worker, and the worker's own output (checkpoints/, adapter/, result.json).
 * The folder is stable, so a retried job finds its checkpoints and the worker resumes from them.
 */
import { createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore } from '../../artifacts/index.ts';
import { resolveBaseModel } from '../base-models/registry.ts';
import type { DataFile, TrainingData } from '../data-sources.ts';
import { workerSettings, type Hyperparameters } from '../hyperparameters.ts';
import type { RunConfig } from './contract/run-config.ts';
import type { FineTuningJob } from '../status.ts';

export function runDir(home: string, jobId: string): string {
  return resolve(home, 'runs', jobId);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function writeAtomically(path: string, content: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, content, 'utf8');
  await rename(temp, path);
}

async function copyArtifact(store: ArtifactStore, file: DataFile, target: string): Promise<void> {
  const source = await store.get(file.key);
  if (!source) throw new Error(`training data ${file.key} is missing from the artifact store`);
  const temp = `${target}.${process.pid}.tmp`;
  await pipeline(source, createWriteStream(temp));
  await rename(temp, target);
}

/** A small seeded generator (mulberry32): the same seed holds out the same examples on every attempt. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Without a validation file, a tenth of the training examples (at least 1, at most 1,000) are held
 * out, chosen by the job's seed, because the worker needs validation data for early stopping and
 * for picking the best checkpoint.
 */
async function holdOut(trainPath: string, validationPath: string, seed: number): Promise<{ train: number; validation: number }> {
  const lines = (await readFile(trainPath, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  const order = lines.map((_, index) => index);
  const random = seeded(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const count = Math.min(1_000, Math.max(1, Math.round(lines.length / 10)));
  const held = new Set(order.slice(0, count));
  // Validation last: its presence tells a later attempt that the split is complete.
  await writeAtomically(trainPath, lines.filter((_, index) => !held.has(index)).join('\n') + '\n');
  await writeAtomically(validationPath, lines.filter((_, index) => held.has(index)).join('\n') + '\n');
  return { train: lines.length - count, validation: count };
}

export interface PreparedRun {
  dir: string;
  configPath: string;
  /** Set when validation examples were held out of the training file. */
  heldOut: { train: number; validation: number } | null;
}

/** Copies the data (once: files are immutable) and writes run.json for this job. */
export async function prepareRun(store: ArtifactStore, home: string, job: FineTuningJob, data: TrainingData): Promise<PreparedRun> {
  const dir = runDir(home, job.id);
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const trainPath = join(dataDir, 'train.jsonl');
  const validationPath = join(dataDir, 'validation.jsonl');
  let heldOut: PreparedRun['heldOut'] = null;
  if (!(await exists(trainPath)) || !(await exists(validationPath))) {
    await rm(validationPath, { force: true });
    await copyArtifact(store, data.train, trainPath);
    if (data.validation) await copyArtifact(store, data.validation, validationPath);
    else heldOut = await holdOut(trainPath, validationPath, job.seed);
  }
  const config: RunConfig = {
    // A registered base model's name becomes its folder (training/base-models/registry.ts).
    base_model: resolveBaseModel(home, job.model),
    train_file: trainPath,
    validation_file: validationPath,
    seed: job.seed,
    ...workerSettings(job.method, job.hyperparameters as Hyperparameters),
  };
  const configPath = join(dir, 'run.json');
  await writeAtomically(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return { dir, configPath, heldOut };
}
