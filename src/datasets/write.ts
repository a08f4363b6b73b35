/**
 * Writes a version's split files (JSONL, one example per line) to the artifact store, and its
 * lineage rows to Postgres, in batches. Nothing is visible under a file's key until commit.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { ArtifactStore, ArtifactWriter } from '../artifacts/index.ts';
import type { Tx } from '../db/client.ts';
import { datasetLineage } from '../db/schema/index.ts';
import { SPLITS, type Split } from './types.ts';

export interface SplitFile {
  key: string;
  examples: number;
  bytes: number;
  sha256: string;
}

export interface LineageRow {
  split: Split;
  position: number;
  conversationId: number | null;
  messageIds: number[];
  exampleHash: string;
  /** Preference pairs: the draft that was the rejected reply. */
  draftId?: string | null;
}

/** Rows per INSERT: 7 parameters each, far below PostgreSQL's 65,535. */
const LINEAGE_CHUNK = 2_000;
/** Bytes buffered per split before a write. */
const FLUSH_BYTES = 256 * 1024;

export function splitKey(prefix: string, split: Split): string {
  return `${prefix}${split}.jsonl`;
}

export class SplitWriters {
  private readonly counts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  private readonly buffers: Record<Split, string[]> = { train: [], validation: [], test: [] };
  private readonly buffered: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  private lineage: LineageRow[] = [];

  private constructor(
    private readonly prefix: string,
    private readonly writers: Record<Split, ArtifactWriter>,
  ) {}

  static async open(store: ArtifactStore, prefix: string): Promise<SplitWriters> {
    const writers = {} as Record<Split, ArtifactWriter>;
    try {
      for (const split of SPLITS) writers[split] = await store.openWriter(splitKey(prefix, split));
    } catch (error) {
      await Promise.all(Object.values(writers).map((w) => w.abort()));
      throw error;
    }
    return new SplitWriters(prefix, writers);
  }

  /** Appends a line; returns its 0-based position in the split. */
  add(row: Omit<LineageRow, 'position'> & { line: string }): number {
    const position = this.counts[row.split]++;
    this.buffers[row.split].push(row.line, '\n');
    this.buffered[row.split] += row.line.length + 1;
    this.lineage.push({ split: row.split, position, conversationId: row.conversationId, messageIds: row.messageIds, exampleHash: row.exampleHash, draftId: row.draftId ?? null });
    return position;
  }

  /** Writes buffered lines to the files (when over the buffer size, or always with `force`) and lineage to the database. */
  async flush(db: Tx, versionId: string, force = false): Promise<void> {
    for (const split of SPLITS) {
      if (this.buffered[split] === 0 || (!force && this.buffered[split] < FLUSH_BYTES)) continue;
      const chunk = this.buffers[split].join('');
      this.buffers[split] = [];
      this.buffered[split] = 0;
      await this.writers[split].write(chunk);
    }
    const rows = this.lineage;
    this.lineage = [];
    await insertLineage(db, versionId, rows);
  }

  async commit(db: Tx, versionId: string): Promise<Record<Split, SplitFile>> {
    await this.flush(db, versionId, true);
    const files = {} as Record<Split, SplitFile>;
    for (const split of SPLITS) {
      const stored = await this.writers[split].commit();
      files[split] = { key: stored.key, examples: this.counts[split], bytes: stored.bytes, sha256: stored.sha256 };
    }
    return files;
  }

  async abort(): Promise<void> {
    await Promise.all(SPLITS.map((split) => this.writers[split].abort()));
  }

}

export async function insertLineage(db: Tx, versionId: string, rows: LineageRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += LINEAGE_CHUNK) {
    await db.insert(datasetLineage).values(rows.slice(start, start + LINEAGE_CHUNK).map((row) => ({ versionId, ...row })));
  }
}

export async function deleteLineage(db: Tx, versionId: string): Promise<void> {
  await db.delete(datasetLineage).where(eq(datasetLineage.versionId, versionId));
}

/** One hash for the whole version: over each split's name and file hash, in split order. */
export function contentHashOf(files: Record<Split, SplitFile>): string {
  const hash = createHash('sha256');
  for (const split of SPLITS) hash.update(`${split}:${files[split].sha256}\n`);
  return hash.digest('hex');
}

/** Removes every file under a version's prefix (a failed or retried build's leftovers, an erased version). */
export async function deleteFiles(store: ArtifactStore, prefix: string): Promise<number> {
  const keys = await store.list(prefix);
  for (const key of keys) await store.delete(key);
  return keys.length;
}
