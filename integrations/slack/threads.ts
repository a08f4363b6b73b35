/**
 * Threads as conversations: conversations.replies for a thread's messages, users.info for authors
 * and mentioned people not seen yet (both a few at once: SlackApi.concurrency), and who counts as
 * an agent. Used by the harvest for every
 * changed thread and by the connector for one thread a message event named.
 */
import { mapLimited } from '../common/concurrent.ts';
import { SlackCallError } from './errors.ts';
import type { SlackApi } from './client.ts';
import { attachFiles } from './files.ts';
import { toConversation } from './map.ts';
import { MessagesPage, UserGroupMembers, UserInfo, type SlackMessage, type SlackUser } from './schemas.ts';
import { mentionedUsers } from './text.ts';
import type { Conversation, VendorLogger } from '../types.ts';

/** Forget looked-up users past this many, so a long harvest's memory stays flat. */
const USER_CACHE_LIMIT = 50_000;

export interface ThreadReaderOptions {
  agentUserGroup?: string | undefined;
  agentUserIds?: string[] | undefined;
  pageSize: number;
  log?: VendorLogger | undefined;
}

export interface ThreadReader {
  /** The threads of these parents as conversations; threads deleted meanwhile are left out. */
  toConversations(channel: string, parents: SlackMessage[]): Promise<Conversation[]>;
  /** One thread by its parent's ts, or null when it is gone. */
  thread(channel: string, ts: string): Promise<Conversation | null>;
}

export async function threadReader(api: SlackApi, options: ThreadReaderOptions, signal?: AbortSignal): Promise<ThreadReader> {
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
    const unknown = [...wanted].filter((id) => !users.has(id));
    await mapLimited(unknown, () => api.concurrency, async (id) => {
      try {
        const { user } = await api.call('users.info', { user: id, include_locale: true }, UserInfo, { what: `look up user ${id} (users.info)` }, signal);
        users.set(id, user);
      } catch (error) {
        // Deleted accounts and people from other organizations can be invisible: keep their messages.
        if (!(error instanceof SlackCallError) || (error.slackError !== 'user_not_found' && error.slackError !== 'user_not_visible')) throw error;
        users.set(id, null);
      }
    });
  };

  // https://docs.slack.dev/reference/methods/conversations.replies
  const readReplies = async (channel: string, ts: string): Promise<SlackMessage[] | null> => {
    const byTs = new Map<string, SlackMessage>();
    let next: string | undefined;
    do {
      let page: MessagesPage;
      try {
        page = await api.call('conversations.replies', { channel, ts, limit: options.pageSize, cursor: next }, MessagesPage, { what: `read thread ${ts} in channel ${channel} (conversations.replies)`, channel }, signal);
      } catch (error) {
        // Deleted since it was listed or named: nothing left to read.
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
    // Threads read a few at once (api.concurrency), kept in the listing's order.
    const read = await mapLimited(parents, () => api.concurrency, async (parent) => {
      signal?.throwIfAborted();
      const messages = parent.reply_count ? await readReplies(channel, parent.ts) : [parent];
      return messages ? { parent: messages.find((m) => m.ts === parent.ts) ?? parent, messages } : null;
    });
    const threads = read.filter((thread): thread is { parent: SlackMessage; messages: SlackMessage[] } => thread !== null);
    const ids = threads.flatMap(({ messages }) => messages.flatMap((m) => [...(m.user ? [m.user] : []), ...mentionedUsers(m.text ?? '')]));
    await lookUpUsers(ids);
    const conversations: Conversation[] = [];
    for (const { parent, messages } of threads) {
      const conversation = toConversation(channel, parent, messages, directory, agents);
      await attachFiles(api, messages, conversation, signal, options.log);
      conversations.push(conversation);
    }
    return conversations;
  };

  return {
    toConversations,
    async thread(channel, ts) {
      const messages = await readReplies(channel, ts);
      const parent = messages?.find((message) => message.ts === ts);
      if (!messages || !parent) return null;
      const ids = messages.flatMap((m) => [...(m.user ? [m.user] : []), ...mentionedUsers(m.text ?? '')]);
      await lookUpUsers(ids);
      const conversation = toConversation(channel, parent, messages, directory, agents);
      await attachFiles(api, messages, conversation, signal, options.log);
      return conversation;
    },
  };
}
