/**
 * Keyset paging for lists ordered `created_at DESC, id DESC`: the rows after a given row, compared
 * in SQL against that row itself, so timestamps keep their microseconds and ties never skip or
 * repeat a row. A row that no longer exists yields an empty page.
 */
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

export function afterRow(table: PgTable, createdAt: AnyColumn, idColumn: AnyColumn, id: string | number): SQL {
  return sql`(${createdAt}, ${idColumn}) < (SELECT ${createdAt}, ${idColumn} FROM ${table} WHERE ${idColumn} = ${id})`;
}
