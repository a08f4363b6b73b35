/**
 * Harvest: conversations search on updated_at, oldest first, 150 a page followed by
 * `starting_after`, then each listed conversation read whole (its parts, as plain text). Intercom has
 * no batch read, so up to `readConcurrency` reads run at once (the client counts them against the
 * rate-limit window before each call); every call retried on its own.
 * https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/searchconversations
 * https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination-sorting-search
 *
 * Cursor: `{ since, seen }`: everything updated before `since` (Unix seconds) has been yielded, and
 * at exactly `since` the ids in `seen`. A resume queries again from `since` (a keyset, not the
 * search's `starting_after`, which is only good for one result set), so a stored cursor cannot
 * expire and records that change while a harvest runs cannot push others out of view. Search
 * results do not carry parts (https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/retrieveconversation),
 * so the formula is ⌈N/150⌉ search pages + N reads.
 */
import { z } from 'zod';
import { VendorError, type Conversation, type Cursor, type HarvestBatch, type HarvestContext, type VendorLogger } from '../types.ts';
import { mapLimited } from '../common/concurrent.ts';
import type { IntercomApi } from './client.ts';
import { attachFiles } from './attachments.ts';
import { toConversation } from './map.ts';
import { IntercomConversation, SearchPage } from './schemas.ts';

export const IntercomCursor = z.object({ since: z.number().int().min(0), seen: z.array(z.string()) }).strict();
export type IntercomCursor = z.infer<typeof IntercomCursor>;

export interface IntercomHarvestOptions {
  perPage: number;
  batchSize: number;
  /** Conversation reads at once (1: one at a time). */
  readConcurrency: number;
  since?: Date | undefined;
  log?: VendorLogger | undefined;
}

function parseCursor(cursor: Cursor | null, since: Date | undefined): IntercomCursor {
  if (cursor === null) return { since: since ? Math.max(0, Math.floor(since.getTime() / 1000)) : 0, seen: [] };
  const parsed = IntercomCursor.safeParse(cursor);
  if (!parsed.success) throw new Error(`not an Intercom harvest cursor: expected { since, seen }, got keys [${Object.keys(cursor).join(', ')}]`);
  return parsed.data;
}

/** The position after yielding conversation `id` updated at `at`. */
function advance(position: IntercomCursor, at: number, id: string): IntercomCursor {
  if (at > position.since) return { since: at, seen: [id] };
  if (at === position.since && !position.seen.includes(id)) return { since: at, seen: [...position.seen, id] };
  return position;
}

/** Search with the documented sort (not in the SDK's SearchRequest type, which the SDK sends unchanged). */
function searchRequest(since: number, perPage: number, startingAfter: string | null) {
  return {
    // Intercom's ">" is documented as "greater (or equal)": ask from one second earlier and skip what is older.
    query: { field: 'updated_at', operator: '>' as const, value: String(Math.max(0, since - 1)) },
    sort: { field: 'updated_at', order: 'ascending' },
    pagination: { per_page: perPage, ...(startingAfter ? { starting_after: startingAfter } : {}) },
  };
}

export async function* harvestIntercom(api: IntercomApi, cursor: Cursor | null, options: IntercomHarvestOptions, ctx: HarvestContext = {}): AsyncGenerator<HarvestBatch> {
  const { signal } = ctx;
  const log = ctx.log ?? options.log;
  const start = parseCursor(cursor, options.since);
  let position = start;
  const startSeen = new Set(start.seen);
  let skipped = 0;

  // https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/retrieveconversation
  const read = async (id: string): Promise<Conversation | null> => {
    try {
      const full = await api.call(`read conversation ${id}`, (client, callOptions) => client.conversations.find({ conversation_id: id, display_as: 'plaintext' }, callOptions), IntercomConversation, signal);
      const conversation = toConversation(full);
      await attachFiles(api, full, conversation, signal, log);
      return conversation;
    } catch (error) {
      // Deleted between the search and the read: counted, and nothing else to store for it.
      if (error instanceof VendorError && error.kind === 'not_found') {
        skipped++;
        log?.debug({ vendor: 'intercom', conversationId: id }, 'conversation deleted between search and read; skipped');
        return null;
      }
      throw error;
    }
  };

  let startingAfter: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const request = searchRequest(start.since, options.perPage, startingAfter);
    const page: SearchPage = await api.call(`search conversations updated since ${new Date(start.since * 1000).toISOString()}`, (client, callOptions) => client.conversations.search(request, callOptions), SearchPage, signal);
    const fresh = page.conversations.filter((listed) => listed.updated_at > start.since || (listed.updated_at === start.since && !startSeen.has(String(listed.id))));
    log?.debug({ vendor: 'intercom', listed: page.conversations.length, fresh: fresh.length }, 'conversations search page');

    for (let at = 0; at < fresh.length; at += options.batchSize) {
      const chunk = fresh.slice(at, at + options.batchSize);
      const results = await mapLimited(chunk, options.readConcurrency, (listed) => {
        signal?.throwIfAborted();
        return read(String(listed.id));
      });
      const conversations = results.filter((conversation): conversation is Conversation => conversation !== null);
      // The cursor moves only once the whole chunk is read, in the search's order.
      for (const listed of chunk) position = advance(position, listed.updated_at, String(listed.id));
      yield { conversations, cursor: position, requests: api.requests.take() };
    }

    const next = page.pages?.next?.starting_after ?? null;
    if (!next || page.conversations.length === 0) break;
    startingAfter = next;
  }
  const left = api.requests.take();
  if (left > 0) yield { conversations: [], cursor: position, requests: left };
  if (skipped > 0) log?.warn({ vendor: 'intercom', skipped }, `${skipped} conversation(s) were deleted between the search and their read; skipped`);
}
