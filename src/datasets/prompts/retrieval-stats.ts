/**
 * How common each word of the retrieval index is: the statistics ANALYZE (or autovacuum) keeps for
 * the expression of messages_customer_search_idx (pg_stats most_common_elems: the frequent words
 * and the share of documents holding each). Read once per process and database, refreshed every
 * ten minutes: reading pg_stats costs milliseconds, more than a search.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';

export interface WordStats {
  /** Frequent words, newline-separated (lexemes never contain whitespace), and their shares, comma-separated, in the same order. */
  words: string;
  shares: string;
  /** Documents (indexed messages) the statistics describe; 0 before the first ANALYZE. */
  documents: number;
}

const TTL_MS = 10 * 60_000;
const cache = new WeakMap<object, { stats: Promise<WordStats>; at: number }>();

export function wordStats(db: Tx): Promise<WordStats> {
  const cached = cache.get(db);
  if (cached && Date.now() - cached.at < TTL_MS) return cached.stats;
  const stats = db
    .execute<{ words: string[] | null; shares: number[] | null; documents: number | null }>(sql`
      SELECT s.most_common_elems::text::text[] AS words, s.most_common_elem_freqs AS shares, i.reltuples AS documents
      FROM pg_stats s
      JOIN pg_namespace n ON n.nspname = s.schemaname
      JOIN pg_class i ON i.relname = s.tablename AND i.relnamespace = n.oid
      WHERE s.schemaname = current_schema() AND s.tablename = 'messages_customer_search_idx'`)
    .then((result): WordStats => {
      const row = result.rows[0];
      const words = row?.words ?? [];
      // most_common_elem_freqs ends with three extra numbers (min, max, null share): cut to the words.
      const shares = (row?.shares ?? []).slice(0, words.length);
      return { words: words.join('\n'), shares: shares.join(','), documents: Math.max(0, Number(row?.documents ?? 0)) };
    });
  // A failed read is not cached: the next search tries again.
  stats.catch(() => cache.delete(db));
  cache.set(db, { stats, at: Date.now() });
  return stats;
}
