/**
 * Retrieval for grounded drafts: resolved conversations similar to a ticket, by PostgreSQL
 * full-text search (the 'simple' configuration: no stemming, every language alike). A document is
 * a resolved, not deleted conversation's first public customer message; the example pairs it with
 * the first public agent reply after it. The GIN index messages_customer_search_idx (migration
 * 0014) covers the search; the expression and predicate below must stay equal to it.
 *
 * The query text becomes an OR of its distinctive words (websearch_to_tsquery with "or"):
 * plainto_tsquery would AND every word of a whole ticket and match almost nothing, while an OR of
 * every word matches on "the" and "need" and must then rank most of the table. So these are left
 * out: stop words (the built-in Snowball dictionaries return an empty array for a stop word of
 * their language: English, German, French, Spanish here), words under three letters, and words in
 * more than COMMON_SHARE of the documents, read from the statistics ANALYZE keeps for the index
 * (cached per process). At most 16 words are kept, the longest first.
 *
 * Where the pgvector extension exists, embeddings could rank these instead; not built yet.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

export interface RetrievedExample {
  conversationId: string;
  question: string;
  answer: string;
  rank: number;
}

export interface RetrievalQuery {
  text: string;
  /** The ticket being answered: never its own example. */
  excludeSource?: { source: string; sourceId: string };
  limit?: number;
}

/** Statuses the connectors store for a finished conversation (Salesforce: "Closed"), compared lower-cased. */
export const RESOLVED_STATUSES = ['solved', 'closed', 'resolved'] as const;
const MAX_QUERY_CHARS = 4_000;
/** Texts are cut here already; prompts cut them shorter. */
const MAX_TEXT_CHARS = 2_000;
const MAX_WORDS = 16;

const STOP_WORD_LANGUAGES = ['english', 'german', 'french', 'spanish'];
const STOP_WORD_CHECK = STOP_WORD_LANGUAGES.map((language) => `ts_lexize('${language}_stem', lexeme) <> '{}'`).join(' AND ');

/** A word in more than this share of the documents says little about a ticket. */
export const COMMON_SHARE = 0.05;
/** Below this many indexed messages every word looks common: nothing is pruned. */
const COMMON_MIN_DOCUMENTS = 1_000;
const COMMON_TTL_MS = 10 * 60_000;
const commonCache = new WeakMap<object, { words: Promise<string>; at: number }>();

/** The index's common words (newline-separated), from pg_stats; refreshed every 10 minutes. */
function commonWords(db: Tx): Promise<string> {
  const cached = commonCache.get(db);
  if (cached && Date.now() - cached.at < COMMON_TTL_MS) return cached.words;
  const words = db
    .execute<{ words: string | null }>(sql`
      SELECT string_agg(x.word, E'\n') AS words
      FROM pg_stats s
      JOIN pg_class i ON i.relname = s.tablename AND i.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = s.schemaname)
      CROSS JOIN LATERAL unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS x(word, freq)
      WHERE s.schemaname = current_schema() AND s.tablename = 'messages_customer_search_idx'
        AND i.reltuples >= ${COMMON_MIN_DOCUMENTS} AND x.freq > ${COMMON_SHARE}`)
    .then((result) => result.rows[0]?.words ?? '');
  // A failed read is not cached: the next query tries again.
  words.catch(() => commonCache.delete(db));
  commonCache.set(db, { words, at: Date.now() });
  return words;
}

export async function similarResolved(db: Tx, query: RetrievalQuery): Promise<RetrievedExample[]> {
  const limit = Math.max(1, Math.min(query.limit ?? 3, 20));
  const text = query.text.slice(0, MAX_QUERY_CHARS);
  if (!text.trim()) return [];
  const common = await commonWords(db);
  const exclude = query.excludeSource ? sql`AND NOT (c.source = ${query.excludeSource.source} AND c.source_id = ${query.excludeSource.sourceId})` : sql``;
  const statuses = sql.join(
    RESOLVED_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  // Ranked first, then checked: a few more candidates than asked for, as some are not a first message or have no reply.
  const result = await db.execute<{ conversation_id: string; question: string; answer: string; rank: number }>(sql`
    WITH query AS (
      SELECT websearch_to_tsquery('simple', string_agg(lexeme, ' or ')) AS q
      FROM (
        SELECT lexeme FROM unnest(to_tsvector('simple', ${text}))
        WHERE length(lexeme) >= 3 AND lexeme <> 'or'
          AND NOT (lexeme = ANY (string_to_array(${common}, E'\n')))
          AND ${sql.raw(STOP_WORD_CHECK)}
        ORDER BY length(lexeme) DESC, lexeme
        LIMIT ${MAX_WORDS}
      ) words
    ),
    ranked AS (
      SELECT m.conversation_id, m.position, left(m.body, ${MAX_TEXT_CHARS}) AS question,
             ts_rank(to_tsvector('simple', m.body), query.q, 1) AS rank
      FROM query
      JOIN messages m ON to_tsvector('simple', m.body) @@ query.q
      JOIN conversations c ON c.id = m.conversation_id
      WHERE m.author_role = 'customer' AND m.visibility = 'public'
        AND NOT c.deleted
        AND lower(c.status) IN (${statuses})
        ${exclude}
      ORDER BY rank DESC, m.conversation_id DESC
      LIMIT ${limit * 4}
    )
    SELECT r.conversation_id::text AS conversation_id, r.question, a.answer, r.rank
    FROM ranked r
    CROSS JOIN LATERAL (
      SELECT left(body, ${MAX_TEXT_CHARS}) AS answer FROM messages a
      WHERE a.conversation_id = r.conversation_id AND a.author_role = 'agent' AND a.visibility = 'public'
        AND a.position > r.position AND btrim(a.body) <> ''
      ORDER BY a.position
      LIMIT 1
    ) a
    WHERE NOT EXISTS (
      SELECT 1 FROM messages e
      WHERE e.conversation_id = r.conversation_id AND e.author_role = 'customer' AND e.visibility = 'public'
        AND e.position < r.position AND btrim(e.body) <> ''
    )
    ORDER BY r.rank DESC, r.conversation_id DESC
    LIMIT ${limit}
  `);
  return result.rows.map((row) => ({ conversationId: row.conversation_id, question: row.question, answer: row.answer, rank: Number(row.rank) }));
}
