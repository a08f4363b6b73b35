/**
 * Builds one dataset version: reads the dataset's conversations in batches (read.ts), curates them
 * (curate.ts: extract → scrub → filter → dedup → split), writes each split as JSONL to the artifact
 * store with lineage rows, and freezes the version with its content hash and manifest.
 * Safe to run again after a crash or a retry: it starts the version over from nothing.
 */
import { and, eq, inArray, ne } from 'drizzle-orm';
import type { ArtifactStore } from '../artifacts/index.ts';
import type { Database } from '../db/client.ts';
import { connections, datasetVersions } from '../db/schema/index.ts';
import type { Logger } from '../log.ts';
import { parseDatasetConfig, preferenceSettings, type Task } from './config.ts';
import { Curator } from './curate.ts';
import { EMPTY_TASK_NOTES } from './steps/extract.ts';
import { formatOf, type Manifest } from './manifest.ts';
import { readConversations } from './read.ts';
import { findDataset, getVersion, lockAgainstErasure, versionPrefix, type VersionRow } from './versions.ts';
import { contentHashOf, deleteFiles, deleteLineage, SplitWriters } from './write.ts';
import { nerModelVersion } from './pii/index.ts';

export interface BuildDeps {
  database: Database;
  store: ArtifactStore;
  log: Logger;
}

export interface BuildProgress {
  /** Conversations the dataset selects (known once reading starts). */
  total: number;
  conversations: number;
  examples: number;
}

export interface BuildOptions {
  signal?: AbortSignal;
  onProgress?: (progress: BuildProgress) => void;
  /** Conversations per read (and per lineage write). */
  batchSize?: number;
}

/** The build cannot succeed by trying again: bad config, conversations erased under it. */
export class PermanentBuildError extends Error {
  override name = 'PermanentBuildError';
}

export async function buildVersion(deps: BuildDeps, versionId: string, options: BuildOptions = {}): Promise<VersionRow | null> {
  const { database, store, log } = deps;
  const { db } = database;
  const initial = await getVersion(db, versionId);
  if (!initial || initial.status === 'ready' || initial.status === 'erased' || initial.status === 'failed') return initial;
  const dataset = await findDataset(db, initial.datasetId);
  if (!dataset) return null;
  const started = Date.now();
  await db.update(datasetVersions).set({ status: 'building', startedAt: new Date(), error: null, progress: {} }).where(eq(datasetVersions.id, versionId));

  // A retried build begins from nothing: no half-written lineage or files of the last attempt.
  const prefix = versionPrefix(dataset.id, versionId);
  await deleteLineage(db, versionId);
  await deleteFiles(store, prefix);

  let config;
  try {
    config = parseDatasetConfig(dataset.config);
  } catch (error) {
    throw new PermanentBuildError(error instanceof Error ? error.message : String(error));
  }
  const task = dataset.task as Task;
  const curator = new Curator(task, config);
  const writers = await SplitWriters.open(store, prefix);
  const progress: BuildProgress = { total: 0, conversations: 0, examples: 0 };
  const notes: string[] = [];
  try {
    const emptyNote = EMPTY_TASK_NOTES[task];
    if (emptyNote) notes.push(emptyNote);
    else {
      await readConversations(database, { connectionIds: config.connections, since: config.since, until: config.until, reviewedAlerts: task === 'compliance', draftFeedback: task === 'preference' }, options.batchSize ?? 500, async (batch, total) => {
        options.signal?.throwIfAborted();
        progress.total = total;
        for (const conversation of batch) {
          for (const example of curator.add(conversation)) {
            writers.add({ ...example, line: example.line });
            progress.examples++;
          }
          progress.conversations++;
        }
        await writers.flush(db, versionId);
        await db.update(datasetVersions).set({ progress: { ...progress } }).where(eq(datasetVersions.id, versionId));
        options.onProgress?.({ ...progress });
      });
    }
    options.signal?.throwIfAborted();
    if (task === 'preference') {
      // Too few pairs train nothing useful: say what was found against what is needed, and fail for good.
      const { minPairs } = preferenceSettings(config);
      if (progress.examples < minPairs) {
        throw new PermanentBuildError(`found ${progress.examples} preference pair${progress.examples === 1 ? '' : 's'} (drafts the agent rewrote, after filters and dedup), needs at least ${minPairs} (preference.minPairs)`);
      }
    }
    const files = await writers.commit(db, versionId);
    const contentHash = contentHashOf(files);
    const summary = curator.summary();
    const sources = config.connections.length
      ? await db.select({ id: connections.id, name: connections.name, vendor: connections.vendor }).from(connections).where(inArray(connections.id, config.connections))
      : [];
    const [identical] = await db
      .select({ version: datasetVersions.version })
      .from(datasetVersions)
      .where(and(eq(datasetVersions.datasetId, dataset.id), eq(datasetVersions.contentHash, contentHash), eq(datasetVersions.status, 'ready'), ne(datasetVersions.id, versionId)))
      .limit(1);
    const manifest: Manifest = {
      formatVersion: 1,
      format: formatOf(task),
      scrubber: { nameModel: nerModelVersion() },
      dataset: { id: dataset.id, name: dataset.name, task },
      version: initial.version,
      origin: 'build',
      sources: {
        connections: config.connections.map((id) => {
          const found = sources.find((s) => s.id === id);
          return { id, name: found?.name ?? null, vendor: found?.vendor ?? null };
        }),
        since: config.since,
        until: config.until,
        conversationTimeRange: summary.conversationTimeRange,
      },
      steps: { read: { conversations: progress.conversations }, ...summary.steps },
      splits: files,
      labels: summary.labels,
      tokens: summary.tokens,
      config,
      notes,
      ...(identical ? { identicalTo: identical.version } : {}),
      builtAt: new Date().toISOString(),
      durationMs: Date.now() - started,
    };
    await db.transaction(async (tx) => {
      await lockAgainstErasure(tx);
      // An erasure that ran while we read failed this build (its snapshot may hold the subject).
      const [current] = await tx.select({ status: datasetVersions.status, error: datasetVersions.error }).from(datasetVersions).where(eq(datasetVersions.id, versionId));
      if (current?.status !== 'building') throw new PermanentBuildError(current?.error ?? `version is ${current?.status ?? 'gone'}, no longer building`);
      await tx
        .update(datasetVersions)
        .set({ status: 'ready', contentHash, manifest: manifest as unknown as Record<string, unknown>, builtAt: new Date(), progress: { ...progress } })
        .where(eq(datasetVersions.id, versionId));
    });
    log.info({ datasetId: dataset.id, version: initial.version, examples: progress.examples, conversations: progress.conversations, ms: Date.now() - started }, 'dataset version built');
  } catch (error) {
    await writers.abort();
    await deleteFiles(store, prefix);
    await deleteLineage(db, versionId);
    throw error;
  }
  return getVersion(db, versionId);
}

/** Marks a version failed (no retry follows) with a message meant for people. */
export async function failVersion(database: Database, versionId: string, message: string): Promise<void> {
  await database.db.update(datasetVersions).set({ status: 'failed', error: message, builtAt: null }).where(eq(datasetVersions.id, versionId));
}

/** Back to queued: a retry (or a later worker) builds it again. */
export async function requeueVersion(database: Database, versionId: string): Promise<void> {
  await database.db.update(datasetVersions).set({ status: 'queued' }).where(and(eq(datasetVersions.id, versionId), eq(datasetVersions.status, 'building')));
}
