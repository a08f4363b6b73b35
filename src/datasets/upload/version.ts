/**
 * Curated examples uploaded as a new version of a dataset: validated whole (parse.ts), PII
 * scrubbed (one scrub session per example), exact and near duplicates removed, split (a row's own
 * `split`, else a stable hash of its content), written like a build, and frozen.
 */
import { eq } from 'drizzle-orm';
import type { ArtifactStore } from '../../artifacts/index.ts';
import { recordAudit } from '../../audit.ts';
import type { Database } from '../../db/client.ts';
import { datasetVersions } from '../../db/schema/index.ts';
import type { Logger } from '../../log.ts';
import { parseDatasetConfig, type Task } from '../config.ts';
import { exampleHash } from '../curate.ts';
import { Deduplicator } from '../steps/dedup.ts';
import { FORMAT, LineStats, type Manifest } from '../manifest.ts';
import { CurationScrubber } from '../steps/scrub.ts';
import { Splitter } from '../steps/split.ts';
import { increment, type ChatMessage, type Counts } from '../types.ts';
import { parseUpload, type UploadFormat } from './parse.ts';
import { createVersion, getVersion, lockAgainstErasure, versionPrefix, type DatasetRow, type VersionRow } from '../versions.ts';
import { contentHashOf, deleteFiles, deleteLineage, SplitWriters } from '../write.ts';
import { nerModelVersion } from '../pii/index.ts';

export interface UploadDeps {
  database: Database;
  store: ArtifactStore;
  log: Logger;
}

export async function uploadVersion(deps: UploadDeps, dataset: DatasetRow, format: UploadFormat, content: string, actor: string): Promise<VersionRow> {
  const task = dataset.task as Task;
  const rows = parseUpload(task, format, content);
  const config = parseDatasetConfig(dataset.config);
  const started = Date.now();
  const { db } = deps.database;
  const version = await createVersion(db, dataset.id, 'upload', { status: 'building' });
  const prefix = versionPrefix(dataset.id, version.id);
  const writers = await SplitWriters.open(deps.store, prefix);
  try {
    const scrubber = new CurationScrubber(config.scrub);
    const dedup = new Deduplicator(config.dedup);
    const splitter = new Splitter(config.split);
    const stats = new LineStats(task);
    const dropped: Counts = {};
    for (const row of rows) {
      const scrub = scrubber.sessionTexts();
      const messages: ChatMessage[] = row.messages.map((m) => ({ ...m, content: scrub(m.content) }));
      const lastUser = messages.findLast((m) => m.role === 'user')?.content ?? '';
      const target = messages.at(-1)?.content ?? '';
      const duplicate = dedup.check(task === 'triage' ? lastUser : `${lastUser}\n${target}`);
      if (duplicate) {
        increment(dropped, duplicate);
        continue;
      }
      const line = JSON.stringify({ messages });
      const split = row.split ?? splitter.splitOf(`upload:${exampleHash(line)}`);
      writers.add({ split, line, conversationId: null, messageIds: [], exampleHash: exampleHash(line) });
      stats.add(split, line, messages);
    }
    const files = await writers.commit(db, version.id);
    const kept = files.train.examples + files.validation.examples + files.test.examples;
    const manifest: Manifest = {
      formatVersion: 1,
      format: FORMAT,
      scrubber: { nameModel: nerModelVersion() },
      dataset: { id: dataset.id, name: dataset.name, task },
      version: version.version,
      origin: 'upload',
      sources: { connections: [], since: null, until: null, conversationTimeRange: { first: null, last: null }, upload: { format, rows: rows.length, bytes: Buffer.byteLength(content) } },
      steps: {
        validate: { in: rows.length, out: rows.length },
        scrub: scrubber.stats(),
        dedup: { in: rows.length, out: kept, dropped, threshold: config.dedup.threshold, lsh: { ...dedup.lsh, permutations: config.dedup.permutations } },
        split: { train: files.train.examples, validation: files.validation.examples, test: files.test.examples },
      },
      splits: files,
      labels: stats.labels,
      tokens: stats.tokenSummary(),
      config,
      notes: ['uploaded curated examples: validated, PII-scrubbed and deduplicated; not filtered (a person chose them)'],
      builtAt: new Date().toISOString(),
      durationMs: Date.now() - started,
    };
    await db.transaction(async (tx) => {
      await lockAgainstErasure(tx);
      await tx
        .update(datasetVersions)
        .set({ status: 'ready', contentHash: contentHashOf(files), manifest: manifest as unknown as Record<string, unknown>, builtAt: new Date(), progress: { examples: kept } })
        .where(eq(datasetVersions.id, version.id));
      await recordAudit(tx, { actor, action: 'dataset.uploaded', subjectType: 'dataset_version', subjectId: version.id, details: { dataset: dataset.name, version: version.version, rows: rows.length, examples: kept } });
    });
  } catch (error) {
    // All or nothing: no version row, no lineage, no files.
    await writers.abort();
    await deleteFiles(deps.store, prefix);
    await deleteLineage(db, version.id);
    await db.delete(datasetVersions).where(eq(datasetVersions.id, version.id));
    throw error;
  }
  const ready = await getVersion(db, version.id);
  if (!ready) throw new Error('uploaded version vanished');
  return ready;
}
