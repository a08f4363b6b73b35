/**
 * GET /api/v2/tickets/{id}/comments — List Comments
 * (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments).
 *
 * Oldest first. Cursor pagination when page[size] or page[after] is given (at most 100 per page,
 * `sort=-created_at` for newest first): `meta.has_more`, `meta.after_cursor`, `links.next`
 * (https://developer.zendesk.com/api-reference/introduction/pagination/). Otherwise offset
 * pagination with `page`/`per_page`, `next_page` and `count`. Deleted tickets answer 404.
 *
 * PUT /api/v2/tickets/{id}/comments/{comment_id}/redact — Redact String in Comment
 * (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#redact-string-in-comment):
 * `{"text"}` is replaced by "▇" characters wherever it occurs in the comment, permanently; the
 * answer is the comment. A text the comment does not hold is refused (422).
 */
import { Hono } from 'hono';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { z } from 'zod';
import { decodeCursor, encodeCursor, invalidValue, parseId, recordInvalid, recordNotFound } from './http.ts';
import { commentJson } from './json.ts';

const MAX_PAGE_SIZE = 100;
const RedactBody = z.object({ text: z.string().min(1) });

function pageSize(raw: string | undefined): number {
  return raw && /^\d+$/.test(raw) ? Math.min(MAX_PAGE_SIZE, Math.max(1, Number(raw))) : MAX_PAGE_SIZE;
}

export function commentRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();

  app.put('/tickets/:id/comments/:commentId/redact', async (c) => {
    const id = parseId(c.req.param('id'));
    const ticket = id === null ? undefined : state.store.tickets.get(id);
    if (!ticket || ticket.status === 'deleted') return recordNotFound(c);
    const comment = ticket.comments.find((candidate) => String(candidate.id) === c.req.param('commentId'));
    if (!comment) return recordNotFound(c);
    const parsed = RedactBody.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return recordInvalid(c, 'text: is required');
    const { text } = parsed.data;
    if (!comment.body.includes(text)) return recordInvalid(c, 'text: not found in the comment');
    comment.body = comment.body.split(text).join('▇'.repeat(text.length));
    comment.html = null;
    return c.json({ comment: commentJson(comment, c.get('origin'), c.get('missingFields')) });
  });

  app.get('/tickets/:id/comments', (c) => {
    const id = parseId(c.req.param('id'));
    const ticket = id === null ? undefined : state.store.tickets.get(id);
    if (!ticket || ticket.status === 'deleted') return recordNotFound(c);
    const origin = c.get('origin');
    const base = `${origin}/api/v2/tickets/${ticket.id}/comments.json`;
    const sorted = [...ticket.comments].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id - b.id);
    const toJson = (list: typeof sorted) => list.map((comment) => commentJson(comment, origin, c.get('missingFields')));

    const size = c.req.query('page[size]');
    const after = c.req.query('page[after]');
    if (size !== undefined || after !== undefined) {
      const descending = c.req.query('sort') === '-created_at';
      const ordered = descending ? sorted.reverse() : sorted;
      let offset = 0;
      if (after !== undefined) {
        const match = decodeCursor(after)?.match(/^comments:(\d+)$/);
        if (!match?.[1]) return invalidValue(c, 'Invalid page[after] cursor');
        offset = Number(match[1]);
      }
      const limit = pageSize(size);
      const items = ordered.slice(offset, offset + limit);
      const hasMore = offset + limit < ordered.length;
      const afterCursor = items.length > 0 ? encodeCursor(`comments:${offset + items.length}`) : null;
      const beforeCursor = items.length > 0 ? encodeCursor(`comments:${offset}`) : null;
      const link = (cursor: string, direction: 'after' | 'before') =>
        `${base}?page%5B${direction}%5D=${encodeURIComponent(cursor)}&page%5Bsize%5D=${limit}${descending ? '&sort=-created_at' : ''}`;
      return c.json({
        comments: toJson(items),
        meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
        links: {
          prev: beforeCursor && offset > 0 ? link(beforeCursor, 'before') : null,
          next: hasMore && afterCursor ? link(afterCursor, 'after') : null,
        },
      });
    }

    const perPage = pageSize(c.req.query('per_page'));
    const pageRaw = c.req.query('page');
    const page = pageRaw && /^\d+$/.test(pageRaw) ? Math.max(1, Number(pageRaw)) : 1;
    const items = sorted.slice((page - 1) * perPage, page * perPage);
    return c.json({
      comments: toJson(items),
      next_page: page * perPage < sorted.length ? `${base}?page=${page + 1}&per_page=${perPage}` : null,
      previous_page: page > 1 ? `${base}?page=${page - 1}&per_page=${perPage}` : null,
      count: sorted.length,
    });
  });

  return app;
}
