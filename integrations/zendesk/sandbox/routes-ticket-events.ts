/**
 * GET /api/v2/incremental/ticket_events — Incremental Ticket Event Export, time based
 * (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-event-export,
 * https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api#time-based-incremental-exports).
 *
 * - One event per ticket update (an audit), oldest first, each with its `child_events`. With
 *   `include=comment_events` a comment in the update is a child event of type "Comment" carrying
 *   the comment itself (id, author_id, body, html_body, public, attachments, via, created_at);
 *   without it only `comment_present` and `comment_public` say there was one.
 * - `start_time` (Unix seconds, at least a minute in the past) is inclusive; events from the last
 *   minute are left out. Up to 1000 events a page; a page ends with every event of its last
 *   second, `end_time` is that second and `next_page` starts there again, so the next page repeats
 *   that second's events (clients drop them by id). `end_of_stream` says the export reached the
 *   present. Admins only; an incremental export, so 10 requests a minute (faults.ts).
 * The sandbox keeps comments, not audits: each comment is its own update, the ticket's first one
 * its creation, which is how the seeded tickets came to be.
 */
import { Hono } from 'hono';
import type { SandboxEnv, SandboxState } from './faults.ts';
import { forbidden, invalidValue } from './http.ts';
import { commentJson, isoSeconds, type Json } from './json.ts';
import type { StoredComment, StoredTicket, ZendeskSandboxStore } from './store.ts';

const PAGE = 1000;
/** Audit ids sit apart from comment ids, as Zendesk's do (the comment's audit_id, json.ts). */
const AUDIT_OFFSET = 1_000_000;
const EXCLUDED_RECENT_MS = 60_000;

interface Update {
  ticket: StoredTicket;
  comment: StoredComment;
  first: boolean;
  second: number;
}

/** Every comment of every live ticket as an update, oldest first; rebuilt only when the store changed. */
function updatesOf(store: ZendeskSandboxStore, cache: { version: number; updates: Update[] }): Update[] {
  if (cache.version === store.currentVersion) return cache.updates;
  const updates: Update[] = [];
  for (const ticket of store.tickets.values()) {
    if (ticket.status === 'deleted') continue;
    ticket.comments.forEach((comment, index) => updates.push({ ticket, comment, first: index === 0, second: Math.floor(comment.createdAt.getTime() / 1000) }));
  }
  updates.sort((a, b) => a.second - b.second || a.comment.id - b.comment.id);
  cache.version = store.currentVersion;
  cache.updates = updates;
  return updates;
}

function eventJson(update: Update, origin: string, withComments: boolean): Json {
  const { ticket, comment } = update;
  const child: Json = withComments
    ? { ...commentJson(comment, origin), via_reference_id: null, event_type: 'Comment' }
    : { id: comment.id, via: { channel: comment.via.channel, source: comment.via.source }, via_reference_id: null, comment_present: true, comment_public: comment.public, event_type: 'Comment' };
  const children: Json[] = [child];
  if (update.first) children.push({ id: comment.id + 2 * AUDIT_OFFSET, via: { channel: comment.via.channel, source: comment.via.source }, via_reference_id: null, field_name: 'subject', value: ticket.subject, event_type: 'Create' });
  return {
    id: comment.id + AUDIT_OFFSET,
    ticket_id: ticket.id,
    timestamp: update.second,
    created_at: isoSeconds(comment.createdAt),
    updater_id: comment.authorId,
    via: comment.via.channel,
    system: { client: 'Mozilla/5.0', ip_address: '203.0.113.10', location: 'Berlin, BE, Germany' },
    metadata: {},
    event_type: 'Audit',
    merged_ticket_ids: [],
    child_events: children,
  };
}

export function ticketEventRoutes(state: SandboxState): Hono<SandboxEnv> {
  const app = new Hono<SandboxEnv>();
  const cache = { version: -1, updates: [] as Update[] };

  app.get('/incremental/ticket_events', (c) => {
    if (c.get('user').role !== 'admin') return forbidden(c);
    const startTime = c.req.query('start_time');
    if (startTime === undefined) return invalidValue(c, 'start_time is required');
    if (!/^\d+$/.test(startTime)) return invalidValue(c, 'start_time must be a unix timestamp in seconds');
    const start = Number(startTime);
    const now = Date.now();
    if (start * 1000 > now - EXCLUDED_RECENT_MS) return invalidValue(c, 'Too recent start_time. Use a start_time at least one minute in the past');
    const newest = Math.floor((now - EXCLUDED_RECENT_MS) / 1000);

    const updates = updatesOf(state.store, cache);
    // First update at or after start_time (binary search: the list is long and sorted).
    let low = 0;
    let high = updates.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((updates[mid]?.second ?? 0) < start) low = mid + 1;
      else high = mid;
    }
    const available = (index: number) => index < updates.length && (updates[index]?.second ?? Infinity) <= newest;
    let end = low;
    while (end - low < PAGE && available(end)) end++;
    // Finish the last second, so the next page (which starts at it) can make progress.
    const lastSecond = end > low ? updates[end - 1]?.second : undefined;
    while (lastSecond !== undefined && available(end) && updates[end]?.second === lastSecond) end++;
    const page = updates.slice(low, end);
    const endOfStream = !available(end);
    // A page that is one single second (more than 1000 events in it) must still move on.
    const endTime = lastSecond === undefined ? start : lastSecond === start && !endOfStream ? start + 1 : lastSecond;
    const include = (c.req.query('include') ?? '').split(',').includes('comment_events');
    const origin = c.get('origin');
    return c.json({
      ticket_events: page.map((update) => eventJson(update, origin, include)),
      next_page: endOfStream ? null : `${origin}/api/v2/incremental/ticket_events.json?start_time=${endTime}${include ? '&include=comment_events' : ''}`,
      count: page.length,
      end_of_stream: endOfStream,
      end_time: endTime,
    });
  });

  return app;
}
