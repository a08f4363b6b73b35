/**
 * The residue step: a last sweep of every text, JSON and text-array column of every table (the
 * job queue's payloads included) for the subject's emails, names and phones, each found copy
 * replaced by "[REDACTED]" (case-insensitive). It catches copies no other step knows about: a
 * final reply quoting them, an event payload, a job's data. The audit log and the suppression
 * list hold only hashes; the erasure rows hold only sealed work, so they are left out.
 */
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

const SKIP_TABLES = new Set(['public.gdpr_suppressions', 'public.gdpr_erasures', 'public.__drizzle_migrations']);
const REDACTED = '[REDACTED]';

export interface ResidueReport {
  /** "schema.table.column" → rows changed. */
  redacted: Record<string, number>;
}

function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function eraseResidue(tx: Tx, terms: string[], queueSchema: string): Promise<ResidueReport> {
  const redacted: Record<string, number> = {};
  if (terms.length === 0) return { redacted };
  // Longest first, so a full name goes before a part of it.
  const pattern = [...terms].sort((a, b) => b.length - a.length).map(regexEscape).join('|');
  const columns = await tx.execute<{ table_schema: string; table_name: string; column_name: string; data_type: string }>(sql`
    SELECT c.table_schema, c.table_name, c.column_name, c.data_type
    FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema IN ('public', ${queueSchema}) AND t.table_type = 'BASE TABLE'
      AND (c.data_type IN ('text', 'character varying', 'jsonb', 'json') OR (c.data_type = 'ARRAY' AND c.udt_name = '_text'))
    ORDER BY 1, 2, 3`);
  for (const column of columns.rows) {
    const table = `${column.table_schema}.${column.table_name}`;
    if (SKIP_TABLES.has(table)) continue;
    const target = sql`${sql.identifier(column.table_schema)}.${sql.identifier(column.table_name)}`;
    const name = sql.identifier(column.column_name);
    const asText = column.data_type === 'ARRAY' ? sql`array_to_string(${name}, E'\\x1f')` : sql`${name}::text`;
    const replaced =
      column.data_type === 'jsonb' || column.data_type === 'json'
        ? sql`regexp_replace(${name}::text, ${pattern}, ${REDACTED}, 'gi')::${sql.raw(column.data_type)}`
        : column.data_type === 'ARRAY'
          ? sql`string_to_array(regexp_replace(array_to_string(${name}, E'\\x1f'), ${pattern}, ${REDACTED}, 'gi'), E'\\x1f')`
          : sql`regexp_replace(${name}, ${pattern}, ${REDACTED}, 'gi')`;
    const result = await tx.execute(sql`UPDATE ${target} SET ${name} = ${replaced} WHERE ${asText} ~* ${pattern}`);
    if (result.rowCount) redacted[`${table}.${column.column_name}`] = result.rowCount;
  }
  return { redacted };
}
