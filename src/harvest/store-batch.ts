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
import { connections, conversations, harvestRuns, messages } from '../db/schema/index.ts';

/** Rows per INSERT statement: keeps every statement far below PostgreSQL's 65,535 parameters. */
const MESSAGE_CHUNK = 2_000;

export interface BatchResult {
  seen: number;
  created: number;
  updated: number;
  messages: number;
}

export function contentHash(conversation: Conversation): string {
  return createHash('sha256').update(JSON.stringify(conversation)).digest('base64url');
}

/** The vendor may repeat a conversation within one page; the last copy wins. */
function lastCopies(batch: Conversation[]): Conversation[] {
  const bySourceId = new Map<string, Conversation>();
  for (const conversation of batch) bySourceId.set(conversation.sourceId, conversation);
  return [...bySourceId.values()];
}

export async function storeBatch(tx: Tx, connectionId: string, runId: string | null, batch: HarvestBatch): Promise<BatchResult> {
  // Batch and cursor commit together, so a commit lost to a server crash is simply fetched again:
  // the harvest need not wait for each WAL flush (it still waits at the run's end, see execute.ts).
  await tx.execute(sql`SET LOCAL synchronous_commit = off`);
  const unique = lastCopies(batch.conversations);
  const result: BatchResult = { seen: unique.length, created: 0, updated: 0, messages: 0 };

  if (unique.length) {
    const hashes = new Map(unique.map((conversation) => [conversation.sourceId, contentHash(conversation)]));
    const written = await tx
      .insert(conversations)
      .values(
        unique.map((c) => ({
          connectionId,
          source: c.source,
          sourceId: c.sourceId,
          subject: c.subject,
          status: c.status,
          priority: c.priority,
          channel: c.channel,
          language: c.language,
          tags: c.tags,
          customFields: c.customFields,
          requester: c.requester,
          assignee: c.assignee,
          organizationId: c.organizationId,
          deleted: c.deleted,
          sourceCreatedAt: c.createdAt,
          sourceUpdatedAt: c.updatedAt,
          contentHash: hashes.get(c.sourceId) ?? '',
          messageCount: c.messages.length,
        })),
      )
      .onConflictDoUpdate({
        target: [conversations.connectionId, conversations.sourceId],
        set: {
          subject: sql`excluded.subject`,
          status: sql`excluded.status`,
          priority: sql`excluded.priority`,
          channel: sql`excluded.channel`,
          language: sql`excluded.language`,
          tags: sql`excluded.tags`,
          customFields: sql`excluded.custom_fields`,
          requester: sql`excluded.requester`,
          assignee: sql`excluded.assignee`,
          organizationId: sql`excluded.organization_id`,
          deleted: sql`excluded.deleted`,
          sourceCreatedAt: sql`excluded.source_created_at`,
          sourceUpdatedAt: sql`excluded.source_updated_at`,
          contentHash: sql`excluded.content_hash`,
          messageCount: sql`excluded.message_count`,
          harvestedAt: sql`now()`,
        },
        // Unchanged: no row version, no message writes, no "updated" count.
        setWhere: sql`${conversations.contentHash} IS DISTINCT FROM excluded.content_hash`,
      })
      .returning({ id: conversations.id, sourceId: conversations.sourceId, inserted: sql<boolean>`(xmax = 0)` });

    const bySourceId = new Map(unique.map((c) => [c.sourceId, c]));
    const messageRows = written.flatMap((row) =>
      (bySourceId.get(row.sourceId)?.messages ?? []).map((m, position) => ({
        conversationId: row.id,
        sourceId: m.sourceId,
        position,
        authorRole: m.authorRole,
        author: m.author,
        visibility: m.visibility,
        body: m.body,
        attachments: m.attachments,
        sourceCreatedAt: m.createdAt,
      })),
    );
    for (const row of written) {
      if (row.inserted) result.created++;
      else result.updated++;
    }
    await replaceMessages(tx, written.filter((row) => !row.inserted).map((row) => row.id), messageRows);
    result.messages = messageRows.length;
  }

  await tx.update(connections).set({ cursor: batch.cursor, updatedAt: new Date() }).where(eq(connections.id, connectionId));
  if (runId) {
    await tx
      .update(harvestRuns)
      .set({
        batches: sql`${harvestRuns.batches} + 1`,
        conversationsSeen: sql`${harvestRuns.conversationsSeen} + ${result.seen}`,
        conversationsCreated: sql`${harvestRuns.conversationsCreated} + ${result.created}`,
        conversationsUpdated: sql`${harvestRuns.conversationsUpdated} + ${result.updated}`,
        messagesWritten: sql`${harvestRuns.messagesWritten} + ${result.messages}`,
        cursorEnd: batch.cursor,
        heartbeatAt: new Date(),
      })
      .where(eq(harvestRuns.id, runId));
  }
  return result;
}

/**
 * Upserts messages by (conversation, vendor id), which keeps message ids stable for dataset lineage,
 * and removes messages of updated conversations that the vendor no longer returns (deleted or redacted).
 */
async function replaceMessages(tx: Tx, updatedConversationIds: number[], rows: Array<typeof messages.$inferInsert>): Promise<void> {
  for (let start = 0; start < rows.length; start += MESSAGE_CHUNK) {
    await tx
      .insert(messages)
      .values(rows.slice(start, start + MESSAGE_CHUNK))
      .onConflictDoUpdate({
        target: [messages.conversationId, messages.sourceId],
        set: {
          position: sql`excluded.position`,
          authorRole: sql`excluded.author_role`,
          author: sql`excluded.author`,
          visibility: sql`excluded.visibility`,
          body: sql`excluded.body`,
          attachments: sql`excluded.attachments`,
          sourceCreatedAt: sql`excluded.source_created_at`,
        },
      });
  }
  if (!updatedConversationIds.length) return;
  const updated = new Set(updatedConversationIds);
  const keep = rows.filter((row) => updated.has(row.conversationId));
  await tx.delete(messages).where(
    and(
      inArray(messages.conversationId, updatedConversationIds),
      sql`(${messages.conversationId}, ${messages.sourceId}) NOT IN (SELECT * FROM unnest(${sql.param(keep.map((r) => r.conversationId))}::bigint[], ${sql.param(keep.map((r) => r.sourceId))}::text[]))`,
    ),
  );
}
