/**
 * Harvest: inbox threads first (threads.ts), then tickets (tickets.ts), one call at
 * a time. Conversation ids never collide: `thread:<id>` and `ticket:<id>`.
 *
 * Cursor: `{ threads: { since, seen }, tickets: { since, seen, scannedAt } }` (scan.ts). Every
 * batch (at most batchSize conversations, never both kinds) carries the whole cursor, so a resume
 * from any of them repeats nothing it had yielded and loses nothing: a thread resume re-queries
 * from its position, a ticket resume too, and both parts always move forward.
 */
import { z } from 'zod';
import type { Cursor, HarvestBatch, HarvestContext, VendorLogger } from '../../types.ts';
import type { HubSpotApi } from '../client.ts';
import { harvestThreads } from './threads.ts';
import { harvestTickets } from './tickets.ts';
import { ThreadPosition, TicketPosition } from './scan.ts';

export const HubSpotCursor = z.object({ threads: ThreadPosition, tickets: TicketPosition }).strict();
export type HubSpotCursor = z.infer<typeof HubSpotCursor>;

export interface HubSpotHarvestOptions {
  pageSize: number;
  batchSize: number;
  ticketProperties: readonly string[];
  since?: Date | undefined;
  log?: VendorLogger | undefined;
}

export function startCursor(since: Date | undefined): HubSpotCursor {
  const from = since ? Math.max(0, since.getTime()) : 0;
  return { threads: { since: from, seen: [] }, tickets: { since: from, seen: [], scannedAt: null } };
}

function parseCursor(cursor: Cursor | null, since: Date | undefined): HubSpotCursor {
  if (cursor === null) return startCursor(since);
  const parsed = HubSpotCursor.safeParse(cursor);
  if (!parsed.success) throw new Error(`not a HubSpot harvest cursor: expected { threads, tickets }, got keys [${Object.keys(cursor).join(', ')}]`);
  return parsed.data;
}

export async function* harvestHubSpot(api: HubSpotApi, cursor: Cursor | null, options: HubSpotHarvestOptions, ctx: HarvestContext = {}): AsyncGenerator<HarvestBatch> {
  const { signal } = ctx;
  const log = ctx.log ?? options.log;
  const phase = { pageSize: options.pageSize, batchSize: options.batchSize, log };
  let state = parseCursor(cursor, options.since);

  for await (const step of harvestThreads(api, state.threads, phase, signal)) {
    state = { ...state, threads: step.position };
    yield { conversations: step.conversations, cursor: state, requests: api.requests.take() };
  }
  for await (const step of harvestTickets(api, state.tickets, { ...phase, ticketProperties: options.ticketProperties }, signal)) {
    state = { ...state, tickets: step.position };
    yield { conversations: step.conversations, cursor: state, requests: api.requests.take() };
  }
  // The calls that found nothing more (the last, empty pages) count too.
  const left = api.requests.take();
  if (left > 0) yield { conversations: [], cursor: state, requests: left };
}
