/**
 * Harvest phase 1: Conversations inbox threads whose latest message is at or after the position,
 * oldest first (sort=latestMessageTimestamp), then each thread's full history (oldest first,
 * original content for truncated messages), its actors (one batch per chunk) and its contact.
 * See scan.ts for how positions and paging work.
 *
 * HubSpot moves latestMessageTimestamp when a message is sent or received, not when an internal
 * comment is added or the thread is closed: such changes arrive with the thread's next message.
 */
import type { z } from 'zod';
import { VendorError, type Conversation, type VendorLogger } from '../../types.ts';
import type { HubSpotApi } from '../client.ts';
import { actorIdsOf, threadToConversation } from './map-thread.ts';
import { PeopleCache } from './people.ts';
import { advance, chunks, ScanFront, type ThreadPosition } from './scan.ts';
import { MessagesPage, OriginalContent, ThreadsPage, type HubSpotMessage, type HubSpotThread } from '../schemas.ts';

export interface PhaseOptions {
  pageSize: number;
  batchSize: number;
  log?: VendorLogger | undefined;
}

export interface PhaseStep<P> {
  conversations: Conversation[];
  position: P;
}

const MESSAGES_PAGE = 100;

function stampOf(thread: HubSpotThread): number {
  return Date.parse(thread.latestMessageTimestamp ?? thread.createdAt);
}

/** A thread's history, oldest first, with TRUNCATED bodies replaced by their original content; null if the thread is gone. */
async function historyOf(api: HubSpotApi, threadId: string, signal?: AbortSignal): Promise<HubSpotMessage[] | null> {
  const messages: HubSpotMessage[] = [];
  let after: string | null = null;
  try {
    for (;;) {
      const qs: Record<string, string> = { sort: 'createdAt', limit: String(MESSAGES_PAGE), ...(after ? { after } : {}) };
      // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-message/get-conversations-v3-conversations-threads-threadId-messages
      const page = await api.conversations(`list the messages of thread ${threadId}`, { method: 'GET', path: `/conversations/v3/conversations/threads/${threadId}/messages`, qs }, MessagesPage, signal);
      messages.push(...page.results);
      after = page.paging?.next?.after ?? null;
      if (!after) break;
    }
    for (const [index, message] of messages.entries()) {
      if (message.truncationStatus !== 'TRUNCATED') continue;
      // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-message/get-conversations-v3-conversations-threads-threadId-messages-messageId-original-content
      const path = `/conversations/v3/conversations/threads/${threadId}/messages/${message.id}/original-content`;
      const original = await api.conversations(`read the full text of message ${message.id}`, { method: 'GET', path }, OriginalContent, signal);
      messages[index] = { ...message, text: original.text ?? null, richText: original.richText ?? message.richText ?? null, truncationStatus: 'NOT_TRUNCATED' };
    }
  } catch (error) {
    // Archived or deleted since the list was read; it does not come back in this list.
    if (error instanceof VendorError && error.kind === 'not_found') return null;
    throw error;
  }
  return messages;
}

export async function threadConversations(api: HubSpotApi, threads: HubSpotThread[], people: PeopleCache, log: VendorLogger | undefined, signal?: AbortSignal): Promise<Conversation[]> {
  const found: { thread: HubSpotThread; messages: HubSpotMessage[] }[] = [];
  for (const thread of threads) {
    signal?.throwIfAborted();
    const messages = await historyOf(api, thread.id, signal);
    if (messages === null) log?.debug({ vendor: 'hubspot', threadId: thread.id }, 'thread gone during harvest; skipped');
    else found.push({ thread, messages });
  }
  await people.loadActors(api, found.flatMap(({ thread, messages }) => actorIdsOf(thread, messages)), signal);
  await people.loadContacts(api, found.flatMap(({ thread }) => (thread.associatedContactId ? [thread.associatedContactId] : [])), signal);
  return found.map(({ thread, messages }) => threadToConversation(thread, messages, people.actors, thread.associatedContactId ? people.contacts.get(thread.associatedContactId) : undefined));
}

export async function* harvestThreads(api: HubSpotApi, start: ThreadPosition, options: PhaseOptions, signal?: AbortSignal): AsyncGenerator<PhaseStep<ThreadPosition>> {
  const people = new PeopleCache();
  const front = new ScanFront(start.since, start.seen);
  let position = start;
  /** While a whole page shares one timestamp: HubSpot's paging token, the query it belongs to and that timestamp. */
  let tie: { token: string; after: string; at: number } | null = null;
  for (;;) {
    signal?.throwIfAborted();
    // One millisecond early in case HubSpot treats "after" as exclusive; ScanFront drops the extra.
    const after: string = tie?.after ?? new Date(Math.max(0, front.at - 1)).toISOString();
    const qs: Record<string, string> = { sort: 'latestMessageTimestamp', latestMessageTimestampAfter: after, limit: String(options.pageSize), association: 'TICKET', ...(tie ? { after: tie.token } : {}) };
    // https://developers.hubspot.com/docs/api-reference/conversations-conversations-inbox-&-messages-v3/public-thread/get-conversations-v3-conversations-threads
    const page: z.infer<typeof ThreadsPage> = await api.conversations(`list inbox threads with messages since ${after}`, { method: 'GET', path: '/conversations/v3/conversations/threads', qs }, ThreadsPage, signal);
    const fresh = page.results.filter((thread) => !front.has(stampOf(thread), thread.id));
    for (const thread of page.results) front.observe(stampOf(thread), thread.id);
    options.log?.debug({ vendor: 'hubspot', threads: page.results.length, fresh: fresh.length }, 'inbox threads page');

    for (const chunk of chunks(fresh, options.batchSize)) {
      const conversations = await threadConversations(api, chunk, people, options.log, signal);
      for (const thread of chunk) position = advance(position, stampOf(thread), thread.id);
      yield { conversations, position };
    }

    const next = page.paging?.next?.after ?? null;
    if (next === null || page.results.length === 0) return;
    if (tie) {
      // Inside a tie: follow HubSpot's token until a page reaches past the tied timestamp.
      const at: number = tie.at;
      tie = page.results.some((thread): boolean => stampOf(thread) > at) ? null : { token: next, after: tie.after, at };
    } else if (fresh.length === 0 || page.results.every((thread) => stampOf(thread) === front.at)) {
      // A new query from front.at would return this same page: page through the tie instead.
      tie = { token: next, after, at: front.at };
    }
  }
}
