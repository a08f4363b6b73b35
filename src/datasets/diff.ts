/**
 * What changed between two versions: examples added, removed and kept (by the hash of their JSONL
 * line, from lineage), examples that moved split (should be none: splits are stable), and the
 * counts and config of the two manifests side by side.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import type { Manifest } from './manifest.ts';
import { SPLITS, type Split } from './types.ts';
import type { VersionRow } from './versions.ts';

export interface VersionDiff {
  a: { id: string; version: number; contentHash: string | null; status: string };
  b: { id: string; version: number; contentHash: string | null; status: string };
  identical: boolean;
  examples: { added: number; removed: number; kept: number; movedSplit: number };
  splits: Record<Split, { a: number; b: number }>;
  /** Counts of each manifest step, a → b. */
  steps: Record<string, { a: number | null; b: number | null }>;
  /** Config keys (dotted paths) whose values differ. */
  configChanged: string[];
}

function flatten(value: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, out);
  } else out[prefix] = JSON.stringify(value);
  return out;
}

function stepCounts(manifest: Manifest | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [step, value] of Object.entries(manifest?.steps ?? {})) {
    if (!value || typeof value !== 'object') continue;
    const record = value as Record<string, unknown>;
    for (const key of ['in', 'out', 'conversations', 'examples']) if (typeof record[key] === 'number') out[`${step}.${key}`] = record[key];
  }
  return out;
}

export async function diffVersions(db: Tx, a: VersionRow, b: VersionRow): Promise<VersionDiff> {
  const rows = await db.execute<{ a_split: Split | null; b_split: Split | null; n: number }>(sql`
    SELECT a.split AS a_split, b.split AS b_split, count(*)::int AS n
    FROM (SELECT split, example_hash FROM dataset_lineage WHERE version_id = ${a.id}) a
    FULL OUTER JOIN (SELECT split, example_hash FROM dataset_lineage WHERE version_id = ${b.id}) b ON a.example_hash = b.example_hash
    GROUP BY 1, 2`);
  const examples = { added: 0, removed: 0, kept: 0, movedSplit: 0 };
  for (const row of rows.rows) {
    if (row.a_split === null) examples.added += row.n;
    else if (row.b_split === null) examples.removed += row.n;
    else {
      examples.kept += row.n;
      if (row.a_split !== row.b_split) examples.movedSplit += row.n;
    }
  }
  const ma = a.manifest as unknown as Manifest | null;
  const mb = b.manifest as unknown as Manifest | null;
  const splits = Object.fromEntries(SPLITS.map((s) => [s, { a: ma?.splits?.[s]?.examples ?? 0, b: mb?.splits?.[s]?.examples ?? 0 }])) as VersionDiff['splits'];
  const ca = stepCounts(ma);
  const cb = stepCounts(mb);
  const steps = Object.fromEntries([...new Set([...Object.keys(ca), ...Object.keys(cb)])].sort().map((k) => [k, { a: ca[k] ?? null, b: cb[k] ?? null }]));
  const fa = flatten(ma?.config ?? {});
  const fb = flatten(mb?.config ?? {});
  const configChanged = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].filter((k) => fa[k] !== fb[k]).sort();
  const summary = (v: VersionRow) => ({ id: v.id, version: v.version, contentHash: v.contentHash, status: v.status });
  return { a: summary(a), b: summary(b), identical: a.contentHash !== null && a.contentHash === b.contentHash, examples, splits, steps, configChanged };
}
