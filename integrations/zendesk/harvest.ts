/**
 * Harvest at the API's minimum: the cursor-based incremental ticket export (1000 tickets a call,
 * their requesters and assignees side-loaded), and the tickets' comments from the incremental
 * ticket event export with comment events (1000 updates a call, ticket-events.ts). A ticket whose
 * comments the event stream cannot vouch for (older than the stream, updated in the last minute,
 * changed twice in one run) has them read with List Comments, and comment authors the exports did
 * not side-load are looked up 100 at a time. For a backfill of N tickets with E updates:
 * ⌈N/1000⌉ + ⌈E/1000⌉ calls, plus one per unknown hundred authors. One call at a time; every call
 * retried on its own; both exports are incremental exports, so 10 calls a minute (client.ts).
 *
 * Cursors: `{ startTime }` (Unix seconds) before the first page, `{ afterCursor, eventsFrom }`
 * after one. A page is cut into batches of at most `batchSize` conversations. Every batch but the
 * page's last carries the cursor that fetched the page, so a resume re-reads the page (the hub's
 * upserts absorb the replay); the last carries the page's after_cursor. `eventsFrom` is where a
 * resumed run starts the event stream: the export time of the page's first ticket (or, after the
 * last batch, its last), so a resume reads no event twice that it does not need. The harvest ends
 * at end_of_stream, whose after_cursor is where the next poll picks up changes.
 */
import { z } from 'zod';
import { VendorError, type Cursor, type HarvestBatch, type HarvestContext, type VendorLogger } from '../types.ts';
import type { ZendeskApi } from './client.ts';
import { toConversation, ZENDESK_SYSTEM_USER_ID } from './map.ts';
import { attachFiles } from './attachments.ts';
import { CommentsPage, IncrementalTicketsPage, UsersList, type ZendeskComment, type ZendeskTicket, type ZendeskUser } from './schemas.ts';
import { CommentStream, seconds } from './ticket-events.ts';

export const ZendeskCursor = z.union([
  z.object({ afterCursor: z.string().min(1), eventsFrom: z.number().int().min(0).optional() }).strict(),
  z.object({ startTime: z.number().int().min(0) }).strict(),
]);
export type ZendeskCursor = z.infer<typeof ZendeskCursor>;

export interface ZendeskHarvestOptions {
  perPage: number;
  batchSize: number;
  since?: Date | undefined;
  log?: VendorLogger | undefined;
}

/** Comments per page; Zendesk's maximum for cursor pagination. */
const COMMENTS_PAGE_SIZE = 100;
/** Users per show_many call; Zendesk's maximum. */
const SHOW_MANY_LIMIT = 100;
/** Forget side-loaded users past this many, so a long harvest's memory stays flat. */
const USER_CACHE_LIMIT = 50_000;

function startCursor(since: Date | undefined): ZendeskCursor {
  return { startTime: since ? Math.max(0, Math.floor(since.getTime() / 1000)) : 0 };
}

function parseCursor(cursor: Cursor | null, since: Date | undefined): ZendeskCursor {
  if (cursor === null) return startCursor(since);
  const parsed = ZendeskCursor.safeParse(cursor);
  if (!parsed.success) throw new Error(`not a Zendesk harvest cursor: expected { afterCursor } or { startTime }, got keys [${Object.keys(cursor).join(', ')}]`);
  return parsed.data;
}

/** Query for one export page. Zendesk refuses a start_time less than a minute old, so clamp it. */
function exportQuery(cursor: ZendeskCursor, perPage: number): Record<string, unknown> {
  const common = { per_page: perPage, include: 'users' };
  if ('afterCursor' in cursor) return { cursor: cursor.afterCursor, ...common };
  const latest = Math.floor(Date.now() / 1000) - 61;
  return { start_time: Math.min(cursor.startTime, latest), ...common };
}

/** When the export last saw the ticket change: its order, and where a resumed event stream starts. */
function exportedAt(ticket: ZendeskTicket): number {
  return ticket.generated_timestamp ?? seconds(ticket.updated_at);
}

function expiredCursor(error: VendorError, cursor: { eventsFrom?: number | undefined }): VendorError {
  const from = cursor.eventsFrom;
  const restart = from === undefined ? '{"startTime": <Unix seconds of the last complete harvest>}' : `{"startTime": ${from}} (${new Date(from * 1000).toISOString()}, where this harvest had got to)`;
  return new VendorError(
    'malformed',
    `Zendesk refused the stored export cursor as expired or no longer valid (${error.status}). Start a new backfill from a time: set the connection's cursor to ${restart} and harvest again; what is stored already is kept, and repeats change nothing. (${error.message})`,
    { status: error.status, cause: error },
  );
}

export async function* harvestZendesk(api: ZendeskApi, cursor: Cursor | null, options: ZendeskHarvestOptions, ctx: HarvestContext = {}): AsyncGenerator<HarvestBatch> {
  const { signal } = ctx;
  const log = ctx.log ?? options.log;
  const users = new Map<number, ZendeskUser>();
  const remember = (list: ZendeskUser[]) => {
    if (users.size + list.length > USER_CACHE_LIMIT) users.clear();
    for (const user of list) users.set(user.id, user);
  };
  const counted = { fallback: 0, gone: 0 };

  // https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based
  const fetchPage = async (at: ZendeskCursor) => {
    try {
      return await api.get('list changed tickets (incremental export)', ['incremental', 'tickets', 'cursor', exportQuery(at, options.perPage)], IncrementalTicketsPage, signal);
    } catch (error) {
      if ('afterCursor' in at && error instanceof VendorError && (error.status === 400 || error.status === 422)) throw expiredCursor(error, at);
      throw error;
    }
  };

  // https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments
  const fetchComments = async (ticketId: number): Promise<ZendeskComment[] | null> => {
    const comments: ZendeskComment[] = [];
    let after: string | null = null;
    for (;;) {
      const page: { size: number; after?: string } = after === null ? { size: COMMENTS_PAGE_SIZE } : { size: COMMENTS_PAGE_SIZE, after };
      let result: CommentsPage;
      try {
        result = await api.get(`list the comments of ticket ${ticketId}`, ['tickets', ticketId, 'comments', { page }], CommentsPage, signal);
      } catch (error) {
        // Deleted since the export page was read: its deletion moves it later in the export,
        // where it arrives with status "deleted". Nothing is lost by skipping it here.
        if (error instanceof VendorError && error.kind === 'not_found') return null;
        throw error;
      }
      comments.push(...result.comments);
      if (!result.meta.has_more) return comments;
      if (!result.meta.after_cursor) throw new VendorError('malformed', `Zendesk said ticket ${ticketId} has more comments but sent no meta.after_cursor`);
      after = result.meta.after_cursor;
    }
  };

  // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-many-users
  const lookUpUsers = async (ids: number[]) => {
    for (let i = 0; i < ids.length; i += SHOW_MANY_LIMIT) {
      const slice = ids.slice(i, i + SHOW_MANY_LIMIT);
      const result = await api.get('look up comment authors', ['users', 'show_many', { ids: slice.join(',') }], UsersList, signal);
      remember(result.users);
    }
  };

  const stream = new CommentStream(api, signal, log);
  const toConversations = async (tickets: ZendeskTicket[]) => {
    const found: { ticket: ZendeskTicket; comments: ZendeskComment[] }[] = [];
    for (const ticket of tickets) {
      signal?.throwIfAborted();
      if (ticket.status === 'deleted') {
        stream.forget(ticket.id);
        found.push({ ticket, comments: [] });
        continue;
      }
      if (stream.covers(ticket)) {
        found.push({ ticket, comments: stream.take(ticket.id) });
        continue;
      }
      stream.forget(ticket.id);
      counted.fallback++;
      const comments = await fetchComments(ticket.id);
      if (comments === null) {
        counted.gone++;
        log?.debug({ vendor: 'zendesk', ticketId: ticket.id }, 'ticket deleted during harvest; it comes again as deleted');
      } else found.push({ ticket, comments });
    }
    const missing = new Set<number>();
    for (const { ticket, comments } of found) {
      for (const id of [ticket.requester_id, ticket.assignee_id, ...comments.map((c) => c.author_id)]) {
        if (id !== null && id !== undefined && id !== ZENDESK_SYSTEM_USER_ID && !users.has(id)) missing.add(id);
      }
    }
    if (missing.size > 0) await lookUpUsers([...missing]);
    const conversations = found.map(({ ticket, comments }) => toConversation(ticket, comments, users));
    await attachFiles(api, found, conversations, signal);
    return conversations;
  };

  let current = parseCursor(cursor, options.since);
  let position: ZendeskCursor = current;
  const eventsFrom = 'startTime' in current ? current.startTime : current.eventsFrom;
  for (;;) {
    signal?.throwIfAborted();
    const page = await fetchPage(current);
    remember(page.users ?? []);
    const next: string | null = page.after_cursor ?? null;
    if (!page.end_of_stream && next === null) throw new VendorError('malformed', 'Zendesk\'s incremental export said end_of_stream is false but sent no after_cursor');
    log?.debug({ vendor: 'zendesk', tickets: page.tickets.length, endOfStream: page.end_of_stream }, 'incremental export page');

    const live = page.tickets.filter((ticket) => ticket.status !== 'deleted');
    const exported = page.tickets.map(exportedAt);
    // The event stream starts where this run's tickets do: the cursor's time, else the first page's.
    if (stream.start === null && live.length) stream.begin(eventsFrom ?? Math.min(...exported));
    const from = stream.start ?? 0;
    const coverable = live.filter((ticket) => seconds(ticket.created_at) >= from);
    if (coverable.length) await stream.advanceTo(Math.max(...coverable.map((ticket) => seconds(ticket.updated_at))));

    const resumeHere: ZendeskCursor = 'afterCursor' in current && exported.length ? { afterCursor: current.afterCursor, eventsFrom: Math.min(...exported) } : current;
    const pageEnd: ZendeskCursor = next ? { afterCursor: next, ...(exported.length ? { eventsFrom: Math.max(...exported) } : 'afterCursor' in current && current.eventsFrom !== undefined ? { eventsFrom: current.eventsFrom } : 'startTime' in current ? { eventsFrom: current.startTime } : {}) } : current;
    if (page.tickets.length === 0 && JSON.stringify(pageEnd) !== JSON.stringify(current)) {
      position = pageEnd;
      yield { conversations: [], cursor: pageEnd, requests: api.requests.take() };
    }
    for (let start = 0; start < page.tickets.length; start += options.batchSize) {
      const conversations = await toConversations(page.tickets.slice(start, start + options.batchSize));
      const last = start + options.batchSize >= page.tickets.length;
      position = last ? pageEnd : resumeHere;
      yield { conversations, cursor: position, requests: api.requests.take() };
    }
    if (page.end_of_stream || next === null) break;
    current = pageEnd;
  }
  const left = api.requests.take();
  if (left > 0) yield { conversations: [], cursor: position, requests: left };
  if (counted.fallback > 0) log?.debug({ vendor: 'zendesk', fallback: counted.fallback }, 'tickets whose comments were read one by one (outside the event stream)');
  if (counted.gone > 0) log?.warn({ vendor: 'zendesk', skipped: counted.gone }, `${counted.gone} ticket(s) were deleted between the export and the reading of their comments; skipped (they come again as deleted)`);
}
