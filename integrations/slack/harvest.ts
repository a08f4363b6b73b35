/**
 * Harvest: per configured channel, conversations.history newest first, and for each thread that
 * is new or changed, conversations.replies; then users.info for authors and mentioned people not
 * seen yet. One call at a time; every call retried on its own.
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
import { SlackCallError } from './errors.ts';
import type { SlackApi } from './client.ts';
import { startsThread, toConversation } from './map.ts';
import { MessagesPage, UserGroupMembers, UserInfo, type SlackMessage, type SlackUser } from './schemas.ts';
import { mentionedUsers } from './text.ts';
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
/** Forget looked-up users past this many, so a long harvest's memory stays flat. */
const USER_CACHE_LIMIT = 50_000;
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
  const users = new Map<string, SlackUser | null>();
  const directory = { user: (id: string) => users.get(id) };

  // https://docs.slack.dev/reference/methods/usergroups.users.list
  const agents = new Set(options.agentUserIds ?? []);
  if (options.agentUserGroup) {
    const group = await api.call('usergroups.users.list', { usergroup: options.agentUserGroup }, UserGroupMembers, { what: `list the members of user group ${options.agentUserGroup} (usergroups.users.list)` }, signal);
    for (const id of group.users) agents.add(id);
  }

  // https://docs.slack.dev/reference/methods/users.info
  const lookUpUsers = async (ids: Iterable<string>) => {
    const wanted = new Set(ids);
    // Cleared between batches only, so every conversation of a batch is mapped with its people known.
    if (users.size + wanted.size > USER_CACHE_LIMIT) users.clear();
    for (const id of wanted) {
      if (users.has(id)) continue;
      try {
        const { user } = await api.call('users.info', { user: id, include_locale: true }, UserInfo, { what: `look up user ${id} (users.info)` }, signal);
        users.set(id, user);
      } catch (error) {
        // Deleted accounts and people from other organizations can be invisible: keep their messages.
        if (!(error instanceof SlackCallError) || (error.slackError !== 'user_not_found' && error.slackError !== 'user_not_visible')) throw error;
        users.set(id, null);
      }
    }
  };

  // https://docs.slack.dev/reference/methods/conversations.replies
  const fetchThread = async (channel: string, parent: SlackMessage): Promise<SlackMessage[] | null> => {
    if (!parent.reply_count) return [parent];
    const byTs = new Map<string, SlackMessage>();
    let next: string | undefined;
    do {
      let page: MessagesPage;
      try {
        page = await api.call('conversations.replies', { channel, ts: parent.ts, limit: options.pageSize, cursor: next }, MessagesPage, { what: `read thread ${parent.ts} in channel ${channel} (conversations.replies)`, channel }, signal);
      } catch (error) {
        // Deleted since history listed it: nothing left to harvest.
        if (error instanceof SlackCallError && error.slackError === 'thread_not_found') return null;
        throw error;
      }
      // The parent heads every page.
      for (const message of page.messages) byTs.set(message.ts, message);
      next = page.has_more ? page.response_metadata?.next_cursor || undefined : undefined;
    } while (next);
    return [...byTs.values()];
  };

  const toConversations = async (channel: string, parents: SlackMessage[]) => {
    const threads: { parent: SlackMessage; messages: SlackMessage[] }[] = [];
    for (const parent of parents) {
      signal?.throwIfAborted();
      const messages = await fetchThread(channel, parent);
      if (messages) threads.push({ parent: messages.find((m) => m.ts === parent.ts) ?? parent, messages });
    }
    const ids = threads.flatMap(({ messages }) => messages.flatMap((m) => [...(m.user ? [m.user] : []), ...mentionedUsers(m.text ?? '')]));
    await lookUpUsers(ids);
    return threads.map(({ parent, messages }) => toConversation(channel, parent, messages, directory, agents));
  };

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
        const conversations = await toConversations(channel, parents.slice(start, start + options.batchSize));
        const last = start + options.batchSize >= parents.length;
        yield { conversations, cursor: snapshot(last ? end : { ...settled, pass: { ...pageStart, newest } }) };
      }
      if (parents.length === 0 && done) yield { conversations: [], cursor: snapshot(end) };
      if (done) break;
      if (end.pass) pass = end.pass;
    }
  }
}
