/**
 * Attachments a connector delivered with their bytes (Message.files: a mail's MIME parts) become
 * documents of their message, in the batch's transaction: text extracted now, the scan queued by
 * the stages that react to the batch (src/serving/on-harvest.ts). Each is keyed by connection,
 * message and position, so a re-harvested message stores its attachments once.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Message } from '../../../integrations/types.ts';
import type { Tx } from '../../db/client.ts';
import { conversations, messages } from '../../db/schema/index.ts';
import { ingestDocument } from './store.ts';
import { DEFAULT_EXTRACTION_LIMITS, type ExtractionLimits } from './types.ts';

export async function storeMessageFiles(tx: Tx, connectionId: string, rows: ReadonlyArray<{ conversationId: number; message: Message }>, limits: ExtractionLimits = DEFAULT_EXTRACTION_LIMITS): Promise<number> {
  const withFiles = rows.filter((row) => row.message.files?.length);
  if (!withFiles.length) return 0;
  const ids = await tx
    .select({ id: messages.id, conversationId: messages.conversationId, sourceId: messages.sourceId, source: conversations.source })
    .from(messages)
    .innerJoin(conversations, eq(conversations.id, messages.conversationId))
    .where(and(inArray(messages.conversationId, [...new Set(withFiles.map((row) => row.conversationId))]), inArray(messages.sourceId, withFiles.map((row) => row.message.sourceId))));
  const byKey = new Map(ids.map((row) => [`${row.conversationId}\u0000${row.sourceId}`, row]));
  let stored = 0;
  for (const { conversationId, message } of withFiles) {
    const row = byKey.get(`${conversationId}\u0000${message.sourceId}`);
    if (!row) continue;
    for (const [index, file] of (message.files ?? []).entries()) {
      const { created } = await ingestDocument(
        tx,
        null,
        { origin: row.source, originId: `${connectionId}:${message.sourceId}:${index}`, connectionId, conversationId, messageId: row.id },
        { filename: file.name, contentType: file.contentType, bytes: file.content },
        limits,
      );
      if (created) stored++;
    }
  }
  return stored;
}
