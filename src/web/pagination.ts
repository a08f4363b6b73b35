/**
 * One cursor pagination for our own lists: `?limit=&cursor=` → `{ data, next_cursor }`. The cursor
 * is opaque to clients: the last row's id, base64url-encoded; the services page after that row
 * (src/db/keyset.ts).
 * (The OpenAI-compatible routes, files and fine_tuning, keep OpenAI's `after` / `has_more`.)
 */
import { z } from 'zod';
import { ApiError } from './errors.ts';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE).meta({ description: `rows per page (1–${MAX_PAGE})` }),
  cursor: z.string().max(200).optional().meta({ description: 'next_cursor from the previous page' }),
});

export function encodeCursor(id: string | number): string {
  return Buffer.from(String(id), 'utf8').toString('base64url');
}

/** The id inside a cursor; a cursor this hub did not make is a 400. */
export function decodeCursor(cursor: string, id: z.ZodType<string | number>): string | number {
  const parsed = id.safeParse(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!parsed.success) throw new ApiError(400, 'invalid_request', 'query cursor: not a cursor from this list');
  return parsed.data;
}

/** Ask the database for limit + 1 rows; this turns them into a page. */
export function toPage<Row, Out>(rows: Row[], limit: number, idOf: (row: Row) => string | number, present: (row: Row) => Out) {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  return { data: kept.map(present), next_cursor: more && last ? encodeCursor(idOf(last)) : null };
}

/** The OpenAPI description of a page's body. */
export const pageDescription = (what: string) => `${what}; \`next_cursor\` is null on the last page`;
