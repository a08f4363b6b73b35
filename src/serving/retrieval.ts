/**
 * Retrieval for grounded drafts: resolved conversations similar to a ticket, by PostgreSQL
 * full-text search (the 'simple' configuration: no stemming, every language alike). A document is
 * a resolved, not deleted conversation's first public customer message; the example pairs it with
 * the first public agent reply after it. The GIN index messages_customer_search_idx (migration
 * 0014) covers the search; the expression and predicate below must stay equal to it.
 *
 * The query text becomes an OR of its words (websearch_to_tsquery with "or"): plainto_tsquery would
 * AND every word of a whole ticket and match almost nothing. An OR of every word would match on
 * "the" and "can", so stop words are left out: the built-in Snowball dictionaries return an empty
 * array for a stop word of their language (English, German, French, Spanish here). Words under
 * three letters are left out too, and the longest 32 kept, which bounds the query.
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

const STOP_WORD_LANGUAGES = ['english', 'german', 'french', 'spanish'];
const STOP_WORD_CHECK = STOP_WORD_LANGUAGES.map((language) => `ts_lexize('${language}_stem', lexeme) <> '{}'`).join(' AND ');

export async function similarResolved(db: Tx, query: RetrievalQuery): Promise<RetrievedExample[]> {
  const limit = Math.max(1, Math.min(query.limit ?? 3, 20));
  const text = query.text.slice(0, MAX_QUERY_CHARS);
  if (!text.trim()) return [];
  const exclude = query.excludeSource ? sql`AND NOT (c.source = ${query.excludeSource.source} AND c.source_id = ${query.excludeSource.sourceId})` : sql``;
  const statuses = sql.join(
    RESOLVED_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  const result = await db.execute<{ conversation_id: string; question: string; answer: string; rank: number }>(sql`
    WITH query AS (
      SELECT websearch_to_tsquery('simple', string_agg(lexeme, ' or ')) AS q
      FROM (
        SELECT lexeme FROM unnest(to_tsvector('simple', ${text}))
        WHERE length(lexeme) >= 3 AND lexeme <> 'or'
          AND ${sql.raw(STOP_WORD_CHECK)}
        ORDER BY length(lexeme) DESC, lexeme
        LIMIT 32
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
        AND NOT EXISTS (
          SELECT 1 FROM messages e
          WHERE e.conversation_id = m.conversation_id AND e.author_role = 'customer' AND e.visibility = 'public'
            AND e.position < m.position AND btrim(e.body) <> ''
        )
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
    ORDER BY r.rank DESC, r.conversation_id DESC
    LIMIT ${limit}
  `);
  return result.rows.map((row) => ({ conversationId: row.conversation_id, question: row.question, answer: row.answer, rank: Number(row.rank) }));
}
