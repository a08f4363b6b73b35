/**
 * Harvest: per configured channel, conversations.history newest first, and for each thread that
 * is new or changed, conversations.replies; then users.info for authors and mentioned people not
 * seen yet. Threads and users are read a few at once until Slack's first 429 (client.ts); every
 * call retried on its own, and every batch reports the calls made since the previous one.
 *
 * Cursor: `{ channels: { C123: { oldest, repliesAfter, pass? } } }`, per channel:
 * - `oldest`: the newest top-level ts seen by the last complete pass. Later top-level messages are
 *   new threads.
 * - `repliesAfter`: threads whose `latest_reply` (or whose parent's `edited.ts`) is later than this
 *   are fetched again. History does not list replies, but it lists each parent with its
 *   `latest_reply`, so a pass lists parents back to `oldest - threadWindowDays` and re-fetches
 *   exactly the threads with replies since the last pass. It is set to the pass's start minus a
 *   minute (CLOCK_ALLOWANCE_MS), not to the newest reply seen: a reply posted while a pass runs may
 *   have a ts earlier than replies the pass already saw, and must still be found next time. Threads
 *   answered in that last minute are therefore fetched once more (upserts absorb it).
 * - `pass`: an unfinished pass: `from` (the listing's exclusive lower bound), `bound` (the next
 *   repliesAfter), `newest` (newest top-level ts listed so far), `before` (the listing resumes
 *   below this ts; null: from the newest). Every batch but a page's last carries the cursor that
 *   re-reads the page; the last carries the page's end. Selection uses the previous pass's
 *   `oldest`/`repliesAfter`, which stay in the cursor until the pass completes.
 * Not seen: edits of replies and deleted messages (Slack does not move `latest_reply` for them),
 * and replies to threads started before the window.
 */
import { z } from 'zod';
import { VendorError, type Cursor, type HarvestBatch, type HarvestContext, type VendorLogger } from '../types.ts';
import type { SlackApi } from './client.ts';
import { startsThread } from './map.ts';
import { MessagesPage, type SlackMessage } from './schemas.ts';
import { threadReader } from './threads.ts';
import { compareTs, isAfter, laterTs, SlackTs, tsFromDate, tsFromMicros, tsMicros } from './timestamps.ts';

const Pass = z.object({ from: SlackTs, bound: SlackTs, newest: SlackTs.nullable(), before: SlackTs.nullable() }).strict();
type Pass = z.infer<typeof Pass>;
const ChannelState = z.object({ oldest: SlackTs.optional(), repliesAfter: SlackTs.optional(), pass: Pass.optional() }).strict();
type ChannelState = z.infer<typeof ChannelState>;
export const SlackCursor = z.object({ channels: z.record(z.string(), ChannelState) }).strict();
export type SlackCursor = z.infer<typeof SlackCursor>;

export interface SlackHarvestOptions {
  channels: string[];
  agentUserGroup?: string | undefined;
  agentUserIds?: string[] | undefined;
  threadWindowDays: number;
  pageSize: number;
  batchSize: number;
  since?: Date | undefined;
  log?: VendorLogger | undefined;
}

/** How far the local clock may run ahead of Slack's without losing replies; see the file comment. */
const CLOCK_ALLOWANCE_MS = 60_000;
const DAY_MICROS = 86_400 * 1_000_000;

function parseCursor(cursor: Cursor | null): SlackCursor {
  if (cursor === null) return { channels: {} };
  const parsed = SlackCursor.safeParse(cursor);
  if (!parsed.success) throw new Error(`not a Slack harvest cursor: expected { channels: { C…: { oldest, repliesAfter, pass? } } }, got keys [${Object.keys(cursor).join(', ')}]`);
  return parsed.data;
}

function startPass(state: ChannelState, options: SlackHarvestOptions): Pass {
  const bound = tsFromDate(new Date(Date.now() - CLOCK_ALLOWANCE_MS));
  if (state.oldest) return { from: tsFromMicros(Math.max(0, tsMicros(state.oldest) - options.threadWindowDays * DAY_MICROS)), bound, newest: null, before: null };
  const from = options.since ? tsFromMicros(Math.max(0, options.since.getTime() * 1000 - 1)) : '0.000000';
  return { from, bound, newest: null, before: null };
}

/** New since the last pass, or answered or edited since. The first pass takes every thread listed. */
function changed(message: SlackMessage, state: ChannelState): boolean {
  if (!state.oldest || !state.repliesAfter) return true;
  if (isAfter(message.ts, state.oldest)) return true;
  return isAfter(message.latest_reply, state.repliesAfter) || isAfter(message.edited?.ts, state.repliesAfter);
}

export async function* harvestSlack(api: SlackApi, cursor: Cursor | null, options: SlackHarvestOptions, ctx: HarvestContext = {}): AsyncGenerator<HarvestBatch> {
  const { signal } = ctx;
  const log = ctx.log ?? options.log;
  const state = parseCursor(cursor);
  const reader = await threadReader(api, options, signal);

  for (const channel of options.channels) {
    const previous = state.channels[channel] ?? {};
    const settled = { ...(previous.oldest ? { oldest: previous.oldest } : {}), ...(previous.repliesAfter ? { repliesAfter: previous.repliesAfter } : {}) };
    const snapshot = (channelState: ChannelState): SlackCursor => {
      state.channels[channel] = channelState;
      return structuredClone(state);
    };
    let pass = previous.pass ?? startPass(settled, options);
    const listFrom = pass.before;
    let next: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      // https://docs.slack.dev/reference/methods/conversations.history
      const page = await api.call(
        'conversations.history',
        { channel, oldest: tsMicros(pass.from) > 0 ? pass.from : undefined, latest: listFrom ?? undefined, limit: options.pageSize, cursor: next },
        MessagesPage,
        { what: `read the history of channel ${channel} (conversations.history)`, channel },
        signal,
      );
      const pageStart = pass;
      let newest = pass.newest;
      for (const message of page.messages) newest = laterTs(newest, message.ts);
      const oldestOnPage = page.messages.reduce<string | null>((min, m) => (min === null || compareTs(m.ts, min) < 0 ? m.ts : min), null);
      next = page.has_more ? page.response_metadata?.next_cursor || undefined : undefined;
      if (page.has_more && next === undefined) throw new VendorError('malformed', `Slack's history of channel ${channel} said has_more but sent no next_cursor`);
      const done = next === undefined || oldestOnPage === null;
      const end: ChannelState = done
        ? { oldest: laterTs(settled.oldest, newest) ?? pass.from, repliesAfter: pass.bound }
        : { ...settled, pass: { ...pass, newest, before: oldestOnPage } };
      const parents = page.messages.filter((message) => startsThread(message) && changed(message, settled));
      log?.debug({ vendor: 'slack', channel, listed: page.messages.length, threads: parents.length, done }, 'channel history page');

      for (let start = 0; start < parents.length; start += options.batchSize) {
        const conversations = await reader.toConversations(channel, parents.slice(start, start + options.batchSize));
        const last = start + options.batchSize >= parents.length;
        yield { conversations, cursor: snapshot(last ? end : { ...settled, pass: { ...pageStart, newest } }), requests: api.requests.take() };
      }
      if (parents.length === 0 && done) yield { conversations: [], cursor: snapshot(end), requests: api.requests.take() };
      if (done) break;
      if (end.pass) pass = end.pass;
    }
  }
}
