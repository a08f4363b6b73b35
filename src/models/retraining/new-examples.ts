/**
 * The `minNewExamples` trigger counts training examples, not conversations: a conversation holds
 * one reply example per agent answer, and a compliance or preference example comes from a decision
 * or a draft, not from a new ticket at all. Counted as candidates before curation's filters and
 * dedup (an exact count would mean building the version), per task:
 * - reply: public, non-empty agent messages, in conversations harvested since or sent since;
 * - triage: conversations harvested since (one example each);
 * - compliance: alerts decided since (acknowledged, escalated, resolved or false positive);
 * - preference: drafts whose feedback since says the agent rewrote them (similarity below
 *   preference.maxSimilarity).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { preferenceSettings, type DatasetConfig } from '../../datasets/config.ts';

function connectionFilter(column: ReturnType<typeof sql.raw>, connections: string[]) {
  return connections.length ? sql`AND ${column} IN (${sql.join(connections.map((id) => sql`${id}::uuid`), sql`, `)})` : sql``;
}

export async function newExamplesSince(db: Db, task: string, config: DatasetConfig, since: Date): Promise<number> {
  const at = since.toISOString();
  let query;
  switch (task) {
    case 'reply':
      query = sql`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id
        WHERE NOT c.deleted ${connectionFilter(sql.raw('c.connection_id'), config.connections)}
          AND m.author_role = 'agent' AND m.visibility = 'public' AND btrim(m.body) <> ''
          AND (c.harvested_at > ${at}::timestamptz OR m.source_created_at > ${at}::timestamptz)`;
      break;
    case 'compliance':
      query = sql`SELECT count(*)::int AS n FROM compliance_alerts a JOIN conversations c ON c.id = a.conversation_id
        WHERE NOT c.deleted ${connectionFilter(sql.raw('c.connection_id'), config.connections)}
          AND a.status IN ('acknowledged', 'escalated', 'resolved', 'false_positive') AND a.updated_at > ${at}::timestamptz`;
      break;
    case 'preference':
      query = sql`SELECT count(*)::int AS n FROM drafts d
        WHERE d.task = 'reply' AND d.status = 'posted' AND d.final_reply IS NOT NULL ${connectionFilter(sql.raw('d.connection_id'), config.connections)}
          AND d.feedback_at > ${at}::timestamptz AND d.similarity < ${preferenceSettings(config).maxSimilarity}`;
      break;
    default:
      query = sql`SELECT count(*)::int AS n FROM conversations c
        WHERE NOT c.deleted ${connectionFilter(sql.raw('c.connection_id'), config.connections)} AND c.harvested_at > ${at}::timestamptz`;
  }
  const result = await db.execute<{ n: number }>(query);
  return Number(result.rows[0]?.n ?? 0);
}
