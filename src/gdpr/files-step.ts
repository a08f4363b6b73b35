/**
 * The files step: the replaced dataset versions' files, the fine-tuning runs' local copies of
 * their training data, the evaluation working folders of models trained on them, and then every
 * other file under TUNELOOP_HOME (uploaded files, stray artifacts, exports) that holds one of the
 * subject's emails, names or phones. The embedded database's own folder is left to the database
 * steps. Uploaded training files that go also lose their row. Idempotent: a second run finds nothing.
 */
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { inArray } from 'drizzle-orm';
import type { ArtifactStore } from '../artifacts/index.ts';
import type { Database } from '../db/client.ts';
import { trainingFiles } from '../db/schema/index.ts';
import { deleteFiles } from '../datasets/write.ts';
import { evaluationDir } from '../models/evaluation/handler.ts';
import { runDir } from '../training/worker/run-config.ts';
import { sweepErasedFiles, type Found } from './erase.ts';

/** Folders under TUNELOOP_HOME that are not files of ours to scan. */
const SKIP_DIRS = new Set(['pg', 'venv', '.venv', 'node_modules']);
/** Larger files are model weights and the like, not text. */
const MAX_SCAN_BYTES = 64 * 1024 * 1024;

export interface FilesReport {
  datasetFiles: number;
  runCopies: number;
  evaluationFolders: number;
  /** Other files that held the subject, relative to TUNELOOP_HOME. */
  otherFiles: string[];
  uploadedFilesDeleted: number;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* walk(full);
    } else if (entry.isFile()) yield full;
  }
}

/** Whether the file holds any of the terms (case-insensitive), read in chunks that overlap by the longest term. */
async function holdsAny(path: string, terms: string[]): Promise<boolean> {
  const info = await stat(path);
  if (info.size > MAX_SCAN_BYTES || terms.length === 0) return false;
  const lower = terms.map((t) => t.toLowerCase());
  const overlap = Math.max(...lower.map((t) => Buffer.byteLength(t))) * 4;
  const handle = await open(path, 'r');
  try {
    let tail = '';
    const buffer = Buffer.alloc(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return false;
      const text = tail + buffer.subarray(0, bytesRead).toString('utf8').toLowerCase();
      if (lower.some((t) => text.includes(t))) return true;
      tail = text.slice(-overlap);
    }
  } finally {
    await handle.close();
  }
}

export async function eraseFiles(deps: { database: Database; store: ArtifactStore; home: string }, found: Found): Promise<FilesReport> {
  let datasetFiles = await sweepErasedFiles(deps.database, deps.store);
  for (const prefix of found.replacedPrefixes) datasetFiles += await deleteFiles(deps.store, prefix);
  let runCopies = 0;
  for (const jobId of found.runsWithCopies) {
    const dir = join(runDir(deps.home, jobId), 'data');
    if (await exists(dir)) runCopies++;
    await rm(dir, { recursive: true, force: true });
  }
  let evaluationFolders = 0;
  for (const id of found.evaluationIds) {
    const dir = evaluationDir(deps.home, id);
    if (await exists(dir)) evaluationFolders++;
    await rm(dir, { recursive: true, force: true });
  }
  const otherFiles: string[] = [];
  const artifactsRoot = join(deps.home, 'artifacts');
  const artifactKeys: string[] = [];
  for await (const path of walk(deps.home)) {
    if (!(await holdsAny(path, found.terms))) continue;
    await rm(path, { force: true });
    otherFiles.push(relative(deps.home, path));
    if (path.startsWith(artifactsRoot + sep)) artifactKeys.push(relative(artifactsRoot, path).split(sep).join('/'));
  }
  const uploaded = artifactKeys.length ? await deps.database.db.delete(trainingFiles).where(inArray(trainingFiles.storageKey, artifactKeys)).returning({ id: trainingFiles.id }) : [];
  return { datasetFiles, runCopies, evaluationFolders, otherFiles, uploadedFilesDeleted: uploaded.length };
}
