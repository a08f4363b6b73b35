/**
 * Harvest: the cursor-based incremental ticket export, then each ticket's comments, then any
 * comment authors the export did not side-load. One call at a time; every call retried on its own.
 *
 * Cursors: `{ startTime }` (unix seconds) before the first page, `{ afterCursor }` after one.
 * A page is cut into batches of at most `batchSize` conversations. Every batch but the page's last
 * carries the cursor that fetched the page, so a resume re-reads the page (the hub's upserts absorb
 * the replay); the last carries the page's after_cursor. The harvest ends at end_of_stream, whose
 * after_cursor is where the next poll picks up changes.
 */
import { z } from 'zod';
import { VendorError, type Cursor, type HarvestBatch, type HarvestContext, type VendorLogger } from '../types.ts';
import type { ZendeskApi } from './client.ts';
import { toConversation, ZENDESK_SYSTEM_USER_ID } from './map.ts';
import { CommentsPage, IncrementalTicketsPage, UsersList, type ZendeskComment, type ZendeskTicket, type ZendeskUser } from './schemas.ts';

export const ZendeskCursor = z.union([
  z.object({ afterCursor: z.string().min(1) }).strict(),
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

export async function* harvestZendesk(api: ZendeskApi, cursor: Cursor | null, options: ZendeskHarvestOptions, ctx: HarvestContext = {}): AsyncGenerator<HarvestBatch> {
  const { signal } = ctx;
  const log = ctx.log ?? options.log;
  const users = new Map<number, ZendeskUser>();
  const remember = (list: ZendeskUser[]) => {
    if (users.size + list.length > USER_CACHE_LIMIT) users.clear();
    for (const user of list) users.set(user.id, user);
  };

  // https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based
  const fetchPage = (at: ZendeskCursor) =>
    api.get('list changed tickets (incremental export)', ['incremental', 'tickets', 'cursor', exportQuery(at, options.perPage)], IncrementalTicketsPage, signal);

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

  const toConversations = async (tickets: ZendeskTicket[]) => {
    const found: { ticket: ZendeskTicket; comments: ZendeskComment[] }[] = [];
    for (const ticket of tickets) {
      signal?.throwIfAborted();
      if (ticket.status === 'deleted') {
        found.push({ ticket, comments: [] });
        continue;
      }
      const comments = await fetchComments(ticket.id);
      if (comments === null) log?.debug({ vendor: 'zendesk', ticketId: ticket.id }, 'ticket deleted during harvest; it comes again as deleted');
      else found.push({ ticket, comments });
    }
    const missing = new Set<number>();
    for (const { ticket, comments } of found) {
      for (const id of [ticket.requester_id, ticket.assignee_id, ...comments.map((c) => c.author_id)]) {
        if (id !== null && id !== undefined && id !== ZENDESK_SYSTEM_USER_ID && !users.has(id)) missing.add(id);
      }
    }
    if (missing.size > 0) await lookUpUsers([...missing]);
    return found.map(({ ticket, comments }) => toConversation(ticket, comments, users));
  };

  let current = parseCursor(cursor, options.since);
  for (;;) {
    signal?.throwIfAborted();
    const page = await fetchPage(current);
    remember(page.users ?? []);
    const next: ZendeskCursor | null = page.after_cursor ? { afterCursor: page.after_cursor } : null;
    if (!page.end_of_stream && next === null) throw new VendorError('malformed', 'Zendesk\'s incremental export said end_of_stream is false but sent no after_cursor');
    const pageEnd = next ?? current;
    log?.debug({ vendor: 'zendesk', tickets: page.tickets.length, endOfStream: page.end_of_stream }, 'incremental export page');

    if (page.tickets.length === 0 && JSON.stringify(pageEnd) !== JSON.stringify(current)) {
      yield { conversations: [], cursor: pageEnd };
    }
    for (let start = 0; start < page.tickets.length; start += options.batchSize) {
      const conversations = await toConversations(page.tickets.slice(start, start + options.batchSize));
      const last = start + options.batchSize >= page.tickets.length;
      yield { conversations, cursor: last ? pageEnd : current };
    }
    if (page.end_of_stream || next === null) return;
    current = next;
  }
}
