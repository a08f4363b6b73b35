/**
 * Harvest of one mailbox over IMAP. The cursor is the mailbox's UIDVALIDITY with the highest UID
 * stored: the next harvest fetches UIDs above it only, so a restart neither misses nor repeats a
 * mail; a changed UIDVALIDITY (the server renumbered the mailbox) reads it again from the start,
 * and the upserts by Message-ID store nothing twice (RFC 3501 §2.3.1.1).
 * Each batch's conversations carry every message of their threads found in the mailbox (IMAP
 * SEARCH on Message-ID and References), because a stored conversation is replaced by what a batch
 * says it holds.
 */
import type { ImapFlow } from 'imapflow';
import type { Conversation, HarvestBatch, VendorLogger } from '../types.ts';
import { classifyImapError, closeImap } from './client.ts';
import { connectMailbox, type MailboxLogin } from './oauth.ts';
import { parseMail, type ParsedMail } from './parse.ts';
import { EmailCursor, type EmailSettings } from './settings.ts';

export interface MailHarvestOptions {
  batchSize: number;
  signal?: AbortSignal | undefined;
  log?: VendorLogger | undefined;
}

const normalizeSubject = (subject: string | null) => subject?.replace(/^((re|aw|fwd?|wg)\s*:\s*)+/i, '').trim() || null;

function toConversation(threadId: string, mails: ParsedMail[]): Conversation {
  const sorted = [...mails].sort((a, b) => a.message.createdAt.getTime() - b.message.createdAt.getTime() || a.uid - b.uid);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) throw new Error('a thread without mail');
  const customer = sorted.find((mail) => mail.message.authorRole === 'customer')?.message.author ?? null;
  const agent = sorted.find((mail) => mail.message.authorRole === 'agent')?.message.author ?? null;
  return {
    source: 'email',
    sourceId: threadId,
    subject: normalizeSubject(first.subject),
    status: null,
    priority: null,
    channel: 'email',
    language: null,
    tags: [],
    customFields: {},
    requester: customer,
    assignee: agent,
    organizationId: null,
    createdAt: first.message.createdAt,
    updatedAt: last.message.createdAt,
    deleted: false,
    messages: sorted.map((mail) => mail.message),
  };
}

async function fetchParsed(client: ImapFlow, uids: number[], uidValidity: string, settings: EmailSettings, log?: VendorLogger): Promise<ParsedMail[]> {
  if (!uids.length) return [];
  const parsed: ParsedMail[] = [];
  for await (const fetched of client.fetch(uids.join(','), { uid: true, source: true }, { uid: true })) {
    if (!fetched.source) continue;
    try {
      parsed.push(await parseMail(fetched.source, fetched.uid, uidValidity, settings.agentAddresses));
    } catch (error) {
      // Malformed MIME: counted in the log and skipped, the mailbox goes on.
      log?.warn({ uid: fetched.uid, reason: error instanceof Error ? error.message : String(error), skipped: 'malformed_mime' }, 'mail skipped: unreadable MIME');
    }
  }
  return parsed;
}

/** Every mail of the mailbox in the thread rooted at `threadId`. */
async function threadUids(client: ImapFlow, threadId: string): Promise<number[]> {
  const found = await client.search({ or: [{ header: { 'message-id': threadId } }, { header: { references: threadId } }, { header: { 'in-reply-to': threadId } }] }, { uid: true });
  return found || [];
}

export async function* harvestMailbox(settings: EmailSettings, login: MailboxLogin, rawCursor: Record<string, unknown> | null, options: MailHarvestOptions): AsyncIterable<HarvestBatch> {
  const client = await connectMailbox(settings, login, options.signal, options.log);
  let requests = 0;
  try {
    const mailbox = await client.mailboxOpen(settings.mailbox, { readOnly: true }).catch((error: unknown) => {
      throw classifyImapError(error, settings);
    });
    requests += 2;
    const uidValidity = String(mailbox.uidValidity);
    const parsedCursor = rawCursor ? EmailCursor.safeParse(rawCursor) : null;
    const cursor = parsedCursor?.success ? parsedCursor.data : null;
    let lastUid = cursor?.uidValidity === uidValidity ? cursor.lastUid : 0;
    if (cursor && cursor.uidValidity !== uidValidity) options.log?.warn({ mailbox: settings.mailbox }, 'UIDVALIDITY changed: the mailbox is read again (stored mail is matched by Message-ID)');
    // "N:*" always includes the highest UID, even below N (RFC 3501 §6.4.8): filter.
    const found = mailbox.exists ? ((await client.search({ uid: `${lastUid + 1}:*` }, { uid: true })) || []).filter((uid) => uid > lastUid).sort((a, b) => a - b) : [];
    requests++;
    if (!found.length) {
      yield { conversations: [], cursor: { uidValidity, lastUid }, requests };
      return;
    }
    for (let start = 0; start < found.length; start += options.batchSize) {
      options.signal?.throwIfAborted();
      const chunk = found.slice(start, start + options.batchSize);
      const fresh = await fetchParsed(client, chunk, uidValidity, settings, options.log);
      requests++;
      const threads = new Map<string, ParsedMail[]>();
      for (const threadId of new Set(fresh.map((mail) => mail.threadId))) {
        const uids = await threadUids(client, threadId);
        requests++;
        const known = new Set(fresh.filter((mail) => mail.threadId === threadId).map((mail) => mail.uid));
        const older = await fetchParsed(client, uids.filter((uid) => !known.has(uid)), uidValidity, settings, options.log);
        if (older.length) requests++;
        threads.set(threadId, [...fresh.filter((mail) => mail.threadId === threadId), ...older.filter((mail) => mail.threadId === threadId)]);
      }
      lastUid = chunk[chunk.length - 1] ?? lastUid;
      yield { conversations: [...threads].map(([threadId, mails]) => toConversation(threadId, mails)), cursor: { uidValidity, lastUid }, requests };
      requests = 0;
    }
  } catch (error) {
    throw classifyImapError(error, settings);
  } finally {
    await closeImap(client, options.log);
  }
}
