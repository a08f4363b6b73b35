/**
 * The successor of a version after a GDPR erasure: the same files without the erased examples,
 * with renumbered lineage, its own content hash, and a manifest that says where it came from.
 * The old version becomes `erased` (superseded_by the successor); its files are deleted by the
 * caller once the transaction has committed.
 */
import { createInterface } from 'node:readline';
import { and, asc, eq } from 'drizzle-orm';
import type { ArtifactStore } from '../artifacts/index.ts';
import type { Tx } from '../db/client.ts';
import { datasetLineage, datasetVersions } from '../db/schema/index.ts';
import type { Task } from '../datasets/config.ts';
import { LineStats, type Manifest } from '../datasets/manifest.ts';
import { SPLITS, type Split } from '../datasets/types.ts';
import { createVersion, versionPrefix, type DatasetRow, type VersionRow } from '../datasets/versions.ts';
import { contentHashOf, deleteLineage, SplitWriters } from '../datasets/write.ts';

export interface Successor {
  version: VersionRow;
  removed: Record<Split, number>;
  prefix: string;
}

/** `removed`: positions to leave out, per split. `written` collects the new files' prefix, for cleanup if the transaction fails. */
export async function buildSuccessor(
  tx: Tx,
  store: ArtifactStore,
  dataset: DatasetRow,
  old: VersionRow,
  removed: Record<Split, Set<number>>,
  erasureId: string,
  written: string[],
): Promise<Successor> {
  const started = Date.now();
  const successor = await createVersion(tx, dataset.id, 'erasure', { status: 'building', parentVersionId: old.id });
  const prefix = versionPrefix(dataset.id, successor.id);
  written.push(prefix);
  const oldManifest = old.manifest as unknown as Manifest;
  const stats = new LineStats(dataset.task as Task);
  const writers = await SplitWriters.open(store, prefix);
  const removedCounts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  try {
    for (const split of SPLITS) {
      const lineage = await tx
        .select()
        .from(datasetLineage)
        .where(and(eq(datasetLineage.versionId, old.id), eq(datasetLineage.split, split)))
        .orderBy(asc(datasetLineage.position));
      const stream = await store.get(oldManifest.splits[split].key);
      if (!stream) throw new Error(`the ${split} file of version ${old.version} is missing; cannot build its successor`);
      let position = 0;
      for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
        if (line === '') continue;
        const row = lineage[position];
        if (removed[split].has(position)) removedCounts[split]++;
        else {
          writers.add({ split, line, conversationId: row?.conversationId ?? null, messageIds: row?.messageIds ?? [], exampleHash: row?.exampleHash ?? '' });
          stats.add(split, line);
        }
        position++;
      }
      await writers.flush(tx, successor.id);
    }
    const files = await writers.commit(tx, successor.id);
    const manifest: Manifest = {
      ...oldManifest,
      version: successor.version,
      origin: 'erasure',
      steps: { ...oldManifest.steps, split: { train: files.train.examples, validation: files.validation.examples, test: files.test.examples } },
      splits: files,
      labels: stats.labels,
      tokens: stats.tokenSummary(),
      notes: [...(oldManifest.notes ?? []), `version ${old.version} without the examples of an erased data subject (GDPR); the step counts before "split" are version ${old.version}'s`],
      erasure: { parentVersionId: old.id, parentVersion: old.version, removedExamples: removedCounts, erasureId },
      builtAt: new Date().toISOString(),
      durationMs: Date.now() - started,
    };
    delete manifest.identicalTo;
    const [ready] = await tx
      .update(datasetVersions)
      .set({ status: 'ready', contentHash: contentHashOf(files), manifest: manifest as unknown as Record<string, unknown>, builtAt: new Date(), progress: { examples: files.train.examples + files.validation.examples + files.test.examples } })
      .where(eq(datasetVersions.id, successor.id))
      .returning();
    await tx.update(datasetVersions).set({ status: 'erased', supersededBy: successor.id, erasedAt: new Date() }).where(eq(datasetVersions.id, old.id));
    await deleteLineage(tx, old.id);
    return { version: ready ?? successor, removed: removedCounts, prefix };
  } catch (error) {
    await writers.abort();
    throw error;
  }
}
