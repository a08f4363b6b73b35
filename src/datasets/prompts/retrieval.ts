/**
 * Retrieval for grounded drafts: resolved conversations similar to a ticket, by PostgreSQL
 * full-text search (the 'simple' configuration: no stemming, every language alike). A document is
 * a resolved, not deleted conversation's first public customer message; the example pairs it with
 * the first public agent reply after it. The GIN index messages_customer_search_idx (migration
 * 0014) covers the search; the expression and predicate below must stay equal to it.
 *
 * The query text becomes an OR of its distinctive words (websearch_to_tsquery with "or"):
 * plainto_tsquery would AND every word of a whole ticket and match almost nothing, while an OR of
 * every word matches on "the" and "need" and must then rank most of the table. So stop words are
 * left out (the built-in Snowball dictionaries return an empty array for a stop word of their
 * language: English, German, French, Spanish here), and words under three letters; the others are
 * taken rarest first (shares from the index statistics, retrieval-stats.ts) while the documents
 * they match stay within MATCH_BUDGET_DOCUMENTS, at most 16. Rare words are also the ones that say
 * what a ticket is about, as in IDF weighting.
 *
 * Examples come only from the connection of the ticket being answered: one customer's tickets are
 * never shown to another connection's model (issue 20). The texts come back as stored; prompts take
 * them through retrieved-examples.ts, which scrubs them first.
 *
 * Where the pgvector extension exists, embeddings could rank these instead; not built yet.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import type { PersonRecord } from '../../db/schema/conversations.ts';
import { wordStats } from './retrieval-stats.ts';

export interface RetrievedExample {
  conversationId: string;
  question: string;
  answer: string;
  rank: number;
  /** People the vendor named on the example's conversation and its two messages: scrubbed in every spelling. */
  people?: PersonRecord[];
}

export interface RetrievalQuery {
  /** Only these connections' conversations are searched (a ticket: its own connection); none finds nothing. */
  connectionIds: readonly string[];
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
const STOP_WORD_CHECK = STOP_WORD_LANGUAGES.map((language) => `ts_lexize('${language}_stem', v.lexeme) <> '{}'`).join(' AND ');

/**
 * Rarest words first, as long as the documents they match (estimated from the index statistics)
 * stay under this budget: ranking cost grows with the matches. The rarest word is always kept.
 */
export const MATCH_BUDGET_DOCUMENTS = 1_000;

export async function similarResolved(db: Tx, query: RetrievalQuery): Promise<RetrievedExample[]> {
  const limit = Math.max(1, Math.min(query.limit ?? 3, 20));
  const text = query.text.slice(0, MAX_QUERY_CHARS);
  if (!text.trim() || query.connectionIds.length === 0) return [];
  const connections = sql.join(
    query.connectionIds.map((id) => sql`${id}::uuid`),
    sql`, `,
  );
  const stats = await wordStats(db);
  const budgetShare = stats.documents > 0 ? MATCH_BUDGET_DOCUMENTS / stats.documents : 1;
  const exclude = query.excludeSource ? sql`AND NOT (c.source = ${query.excludeSource.source} AND c.source_id = ${query.excludeSource.sourceId})` : sql``;
  const statuses = sql.join(
    RESOLVED_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  );
  // Ranked first, then checked: a few more candidates than asked for, as some are not a first message or have no reply.
  const result = await db.execute<{ conversation_id: string; question: string; answer: string; rank: number; people: Array<PersonRecord | null> }>(sql`
    WITH words AS (
      SELECT v.lexeme, coalesce(st.share, 0) AS share
      FROM unnest(to_tsvector('simple', ${text})) v
      LEFT JOIN unnest(string_to_array(${stats.words}, E'\n'), string_to_array(${stats.shares}, ',')::float8[]) AS st(word, share) ON st.word = v.lexeme
      WHERE length(v.lexeme) >= 3 AND v.lexeme <> 'or' AND ${sql.raw(STOP_WORD_CHECK)}
    ),
    chosen AS (
      SELECT lexeme, row_number() OVER w AS n, sum(share) OVER w AS matched
      FROM words
      WINDOW w AS (ORDER BY share, length(lexeme) DESC, lexeme)
    ),
    query AS (
      SELECT websearch_to_tsquery('simple', string_agg(lexeme, ' or ')) AS q
      FROM chosen
      WHERE n = 1 OR (n <= ${MAX_WORDS} AND matched <= ${budgetShare})
    ),
    ranked AS (
      SELECT m.conversation_id, m.position, m.author, c.requester, c.assignee, left(m.body, ${MAX_TEXT_CHARS}) AS question,
             ts_rank(to_tsvector('simple', m.body), query.q, 1) AS rank
      FROM query
      JOIN messages m ON to_tsvector('simple', m.body) @@ query.q
      JOIN conversations c ON c.id = m.conversation_id
      WHERE m.author_role = 'customer' AND m.visibility = 'public'
        AND c.connection_id IN (${connections})
        AND NOT c.deleted
        AND lower(c.status) IN (${statuses})
        ${exclude}
      ORDER BY rank DESC, m.conversation_id DESC
      LIMIT ${limit * 4}
    )
    SELECT r.conversation_id::text AS conversation_id, r.question, a.answer, r.rank,
           jsonb_build_array(r.requester, r.assignee, r.author, a.author) AS people
    FROM ranked r
    CROSS JOIN LATERAL (
      SELECT left(body, ${MAX_TEXT_CHARS}) AS answer, a.author FROM messages a
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
  return result.rows.map((row) => ({
    conversationId: row.conversation_id,
    question: row.question,
    answer: row.answer,
    rank: Number(row.rank),
    people: row.people.filter((p): p is PersonRecord => p !== null && typeof p === 'object'),
  }));
}
