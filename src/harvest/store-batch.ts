/**
 * Stores one harvested batch: conversations and messages upserted, the connection's cursor and the
 * run's counters advanced, all in the caller's ONE transaction. A crash before commit loses the
 * batch and keeps the old cursor (it is fetched again); a replay after commit changes nothing,
 * because unchanged conversations (same content hash) are not written at all.
 */
import { createHash } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Conversation, HarvestBatch } from '../../integrations/types.ts';
import type { Tx } from '../db/client.ts';
import { connections, harvestRuns, messages } from '../db/schema/index.ts';
import { withoutSuppressed } from '../gdpr/suppression.ts';
import type { OnBatchStored } from './stored.ts';
import { withoutNul } from '../db/without-nul.ts';
import { storeMessageFiles } from './documents/message-files.ts';

/** Messages per INSERT statement: bounds one statement's size however long the conversations are. */
const MESSAGE_CHUNK = 5_000;

export interface BatchResult {
  seen: number;
  created: number;
  updated: number;
  messages: number;
}

/** Attachment bytes count by their hash, so a conversation's hash stays cheap to compute. */
const hashBytes = (_key: string, value: unknown) => (value instanceof Uint8Array ? createHash('sha256').update(value).digest('hex') : value);

export function contentHash(conversation: Conversation): string {
  return createHash('sha256').update(JSON.stringify(conversation, hashBytes)).digest('base64url');
}

/** The vendor may repeat a conversation within one page; the last copy wins. */
function lastCopies(batch: Conversation[]): Conversation[] {
  const bySourceId = new Map<string, Conversation>();
  for (const conversation of batch) bySourceId.set(conversation.sourceId, withoutNul(conversation));
  return [...bySourceId.values()];
}

export interface StoreOptions {
  /** A harvest after the connection's first completed one (see BatchStored.incremental). */
  incremental?: boolean;
  /**
   * A conversation fetched outside a harvest (a webhook's ticket, read by draft.generate): the
   * connection's cursor is left alone, and the caller's transaction keeps its durability.
   */
  outsideHarvest?: boolean;
}

/** `onStored` hears of the new and changed conversations in the same transaction (stored.ts). */
export async function storeBatch(tx: Tx, connectionId: string, runId: string | null, batch: HarvestBatch, onStored: OnBatchStored | null = null, options: StoreOptions = {}): Promise<BatchResult> {
  // Batch and cursor commit together, so a commit lost to a server crash is simply fetched again:
  // the harvest need not wait for each WAL flush (it still waits at the run's end, see execute.ts).
  if (!options.outsideHarvest) await tx.execute(sql`SET LOCAL synchronous_commit = off`);
  const copies = lastCopies(batch.conversations);
  // Erased subjects (GDPR) stay erased: their conversations and messages are not stored again.
  const unique = await withoutSuppressed(tx, connectionId, copies);
  const result: BatchResult = { seen: copies.length, created: 0, updated: 0, messages: 0 };

  if (unique.length) {
    const written = await upsertConversations(tx, connectionId, unique);
    const bySourceId = new Map(unique.map((c) => [c.sourceId, c]));
    const messageRows = written.flatMap((row) =>
      (bySourceId.get(row.sourceId)?.messages ?? []).map((message, position) => ({ conversationId: row.id, position, message })),
    );
    for (const row of written) {
      if (row.inserted) result.created++;
      else result.updated++;
    }
    await upsertMessages(tx, messageRows);
    const updatedIds = written.filter((row) => !row.inserted).map((row) => row.id);
    await removeVanishedMessages(tx, updatedIds, messageRows);
    await storeMessageFiles(tx, connectionId, messageRows);
    if (onStored) await onStored(tx, { connectionId, conversationIds: written.map((row) => row.id), incremental: Boolean(options.incremental) && !options.outsideHarvest });
    result.messages = messageRows.length;
  }

  if (!options.outsideHarvest) await tx.update(connections).set({ cursor: batch.cursor, updatedAt: new Date() }).where(eq(connections.id, connectionId));
  if (runId) {
    await tx
      .update(harvestRuns)
      .set({
        batches: sql`${harvestRuns.batches} + 1`,
        conversationsSeen: sql`${harvestRuns.conversationsSeen} + ${result.seen}`,
        conversationsCreated: sql`${harvestRuns.conversationsCreated} + ${result.created}`,
        conversationsUpdated: sql`${harvestRuns.conversationsUpdated} + ${result.updated}`,
        messagesWritten: sql`${harvestRuns.messagesWritten} + ${result.messages}`,
        vendorRequests: sql`${harvestRuns.vendorRequests} + ${Math.max(0, Math.trunc(batch.requests ?? 0))}`,
        cursorEnd: batch.cursor,
        heartbeatAt: new Date(),
      })
      .where(eq(harvestRuns.id, runId));
  }
  return result;
}

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
const iso = (date: Date) => date.toISOString();

/**
 * One statement per batch, its columns passed as arrays and unnested server-side: far fewer
 * parameters and far less client work than a VALUES list. Unchanged conversations (same content
 * hash) are left alone and not returned.
 */
async function upsertConversations(tx: Tx, connectionId: string, batch: Conversation[]) {
  const column = <T>(pick: (c: Conversation) => T) => sql.param(batch.map(pick));
  const { rows } = await tx.execute<{ id: string; source_id: string; inserted: boolean }>(sql`
    INSERT INTO conversations (connection_id, source, source_id, subject, status, priority, channel, language, tags,
      custom_fields, requester, assignee, organization_id, deleted, source_created_at, source_updated_at, content_hash, message_count)
    SELECT ${connectionId}::uuid, u.source, u.source_id, u.subject, u.status, u.priority, u.channel, u.language,
      ARRAY(SELECT jsonb_array_elements_text(u.tags)), u.custom_fields, u.requester, u.assignee, u.organization_id, u.deleted,
      u.created_at, u.updated_at, u.content_hash, u.message_count
    FROM unnest(${column((c) => c.source)}::text[], ${column((c) => c.sourceId)}::text[], ${column((c) => c.subject)}::text[],
      ${column((c) => c.status)}::text[], ${column((c) => c.priority)}::text[], ${column((c) => c.channel)}::text[],
      ${column((c) => c.language)}::text[], ${column((c) => json(c.tags))}::jsonb[], ${column((c) => json(c.customFields))}::jsonb[],
      ${column((c) => json(c.requester))}::jsonb[], ${column((c) => json(c.assignee))}::jsonb[], ${column((c) => c.organizationId)}::text[],
      ${column((c) => c.deleted)}::boolean[], ${column((c) => iso(c.createdAt))}::timestamptz[], ${column((c) => iso(c.updatedAt))}::timestamptz[],
      ${column(contentHash)}::text[], ${column((c) => c.messages.length)}::int[])
      AS u(source, source_id, subject, status, priority, channel, language, tags, custom_fields, requester, assignee,
           organization_id, deleted, created_at, updated_at, content_hash, message_count)
    ON CONFLICT (connection_id, source_id) DO UPDATE SET
      subject = excluded.subject, status = excluded.status, priority = excluded.priority, channel = excluded.channel,
      language = excluded.language, tags = excluded.tags, custom_fields = excluded.custom_fields, requester = excluded.requester,
      assignee = excluded.assignee, organization_id = excluded.organization_id, deleted = excluded.deleted,
      source_created_at = excluded.source_created_at, source_updated_at = excluded.source_updated_at,
      content_hash = excluded.content_hash, message_count = excluded.message_count, harvested_at = now()
    WHERE conversations.content_hash IS DISTINCT FROM excluded.content_hash
    RETURNING id, source_id, (xmax = 0) AS inserted`);
  return rows.map((row) => ({ id: Number(row.id), sourceId: row.source_id, inserted: row.inserted }));
}

interface MessageRow {
  conversationId: number;
  position: number;
  message: Conversation['messages'][number];
}

/** Upserts by (conversation, vendor id), which keeps message ids stable for dataset lineage. */
async function upsertMessages(tx: Tx, rows: MessageRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += MESSAGE_CHUNK) {
    const chunk = rows.slice(start, start + MESSAGE_CHUNK);
    const column = <T>(pick: (row: MessageRow) => T) => sql.param(chunk.map(pick));
    await tx.execute(sql`
      INSERT INTO messages (conversation_id, source_id, position, author_role, author, visibility, body, attachments, source_created_at)
      SELECT u.conversation_id, u.source_id, u.position, u.author_role, u.author, u.visibility, u.body,
        ARRAY(SELECT jsonb_array_elements_text(u.attachments)), u.created_at
      FROM unnest(${column((r) => r.conversationId)}::bigint[], ${column((r) => r.message.sourceId)}::text[], ${column((r) => r.position)}::int[],
        ${column((r) => r.message.authorRole)}::text[], ${column((r) => json(r.message.author))}::jsonb[], ${column((r) => r.message.visibility)}::text[],
        ${column((r) => r.message.body)}::text[], ${column((r) => json(r.message.attachments))}::jsonb[], ${column((r) => iso(r.message.createdAt))}::timestamptz[])
        AS u(conversation_id, source_id, position, author_role, author, visibility, body, attachments, created_at)
      ON CONFLICT (conversation_id, source_id) DO UPDATE SET
        position = excluded.position, author_role = excluded.author_role, author = excluded.author, visibility = excluded.visibility,
        body = excluded.body, attachments = excluded.attachments, source_created_at = excluded.source_created_at`);
  }
}

/** Messages of updated conversations that the vendor no longer returns (deleted or redacted) go. */
async function removeVanishedMessages(tx: Tx, updatedConversationIds: number[], rows: MessageRow[]): Promise<void> {
  if (!updatedConversationIds.length) return;
  const updated = new Set(updatedConversationIds);
  const keep = rows.filter((row) => updated.has(row.conversationId));
  await tx.delete(messages).where(
    and(
      inArray(messages.conversationId, updatedConversationIds),
      sql`(${messages.conversationId}, ${messages.sourceId}) NOT IN (SELECT * FROM unnest(${sql.param(keep.map((r) => r.conversationId))}::bigint[], ${sql.param(keep.map((r) => r.message.sourceId))}::text[]))`,
    ),
  );
}

/**
 * Stores one conversation fetched from the vendor outside a harvest (draft.generate reads every
 * webhook's ticket), so its new messages reach the compliance scan at once rather than at the next
 * harvest. Same upsert as a harvest: an unchanged conversation writes nothing.
 */
export async function storeFetchedConversation(tx: Tx, connectionId: string, conversation: Conversation, onStored: OnBatchStored | null): Promise<BatchResult> {
  return storeBatch(tx, connectionId, null, { conversations: [conversation], cursor: {} }, onStored, { outsideHarvest: true });
}
