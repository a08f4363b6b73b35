/**
 * GET /api/v2/incremental/tickets/cursor — Incremental Ticket Export, Cursor Based
 * (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based).
 *
 * - First call with start_time (unix seconds, at least a minute in the past), then with the
 *   after_cursor of the previous answer. Tickets come ordered by when they last changed.
 * - per_page defaults to and is capped at 1000. include=users side-loads requesters, submitters
 *   and assignees. Deleted tickets are listed with status "deleted" unless exclude_deleted=true.
 * - end_of_stream is true on the page that reaches the present; its after_cursor is where the next
 *   poll resumes. Admins only.
 * node-zendesk adds page[size] to every GET it thinks supports cursor pagination, this one
 * included; the export does not use it, so the sandbox ignores it like Zendesk does.
 */
import { Hono } from 'hono';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { decodeCursor, encodeCursor, forbidden, invalidValue } from './http.ts';
import { ticketJson, userJson } from './json.ts';
import type { StoredTicket } from './store.ts';

const MAX_PER_PAGE = 1000;

/** Same shape as Zendesk's cursors ("{timestamp}.0||{id}|"), plus our change sequence and the store's cursor epoch. */
function cursorFor(ticket: StoredTicket | null, version: number, epoch: number): string {
  const timestamp = ticket ? Math.floor(ticket.updatedAt.getTime() / 1000) : 0;
  return encodeCursor(`${timestamp}.0||${ticket?.id ?? 0}|${version}${epoch ? `|${epoch}` : ''}`);
}

function parseCursor(cursor: string): { version: number; epoch: number } | null {
  const match = decodeCursor(cursor)?.match(/^\d+\.0\|\|\d+\|(\d+)(?:\|(\d+))?$/);
  return match?.[1] ? { version: Number(match[1]), epoch: Number(match[2] ?? 0) } : null;
}

export function incrementalRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();

  app.get('/incremental/tickets/cursor', (c) => {
    if (c.get('user').role !== 'admin') return forbidden(c);
    const { store } = state;
    const cursor = c.req.query('cursor');
    const startTime = c.req.query('start_time');

    let afterVersion: number;
    let minUpdatedAt: Date | null = null;
    if (cursor !== undefined) {
      const parsed = parseCursor(cursor);
      if (parsed === null) return invalidValue(c, 'Invalid cursor', 422);
      if (parsed.epoch !== store.cursorEpoch) return invalidValue(c, 'The cursor has expired. Start a new export with start_time', 422);
      afterVersion = parsed.version;
    } else if (startTime !== undefined) {
      if (!/^\d+$/.test(startTime)) return invalidValue(c, 'start_time must be a unix timestamp in seconds');
      const seconds = Number(startTime);
      if (seconds * 1000 > Date.now() - 60_000) return invalidValue(c, 'Too recent start_time. Use a start_time at least one minute in the past');
      afterVersion = 0;
      minUpdatedAt = new Date(seconds * 1000);
    } else {
      return invalidValue(c, 'start_time or cursor is required');
    }

    const perPageRaw = c.req.query('per_page');
    const perPage = perPageRaw && /^\d+$/.test(perPageRaw) ? Math.min(MAX_PER_PAGE, Math.max(1, Number(perPageRaw))) : MAX_PER_PAGE;
    const excludeDeleted = c.req.query('exclude_deleted') === 'true';
    const changed = store.changedSince(afterVersion, minUpdatedAt).filter((t) => !excludeDeleted || t.status !== 'deleted');
    const page = changed.slice(0, perPage);
    const last = page.at(-1) ?? null;
    // An empty first page still hands out a cursor at the present, so the next poll starts there.
    const nextVersion = last ? last.version : cursor !== undefined ? afterVersion : store.currentVersion;
    const afterCursor = cursorFor(last, nextVersion, store.cursorEpoch);
    const origin = c.get('origin');
    const missingFields = c.get('missingFields');

    const body: Record<string, unknown> = {
      tickets: page.map((ticket) => ticketJson(ticket, origin, missingFields)),
      after_url: `${origin}/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(afterCursor)}`,
      after_cursor: afterCursor,
      before_url: null,
      before_cursor: null,
      end_of_stream: changed.length <= perPage,
    };
    const include = (c.req.query('include') ?? '').split(',');
    if (include.includes('users')) {
      const ids = new Set<number>();
      for (const ticket of page) {
        ids.add(ticket.requesterId);
        ids.add(ticket.submitterId);
        if (ticket.assigneeId !== null) ids.add(ticket.assigneeId);
      }
      body.users = [...ids].flatMap((id) => {
        const user = store.users.get(id);
        return user ? [userJson(user, origin, missingFields)] : [];
      });
    }
    return c.json(body);
  });

  return app;
}
