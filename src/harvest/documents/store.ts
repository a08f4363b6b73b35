/**
 * Stores a document with what extraction made of it, and queues its compliance scan in the same
 * transaction. `(origin, originId)` is unique: a document seen again (a re-harvested attachment,
 * the same upload twice) is not extracted or scanned again, the stored row is returned.
 */
import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Tx } from '../../db/client.ts';
import { documents } from '../../db/schema/index.ts';
import type { Queue } from '../../queue/queue.ts';
import { extractDocument, type DocumentInput } from './extract.ts';
import type { ExtractionLimits } from './types.ts';

export type StoredDocument = typeof documents.$inferSelect;

export interface DocumentOrigin {
  origin: string;
  /** Defaults to the content's sha256 (uploads). */
  originId?: string;
  connectionId?: string | null;
  conversationId?: number | null;
  messageId?: number | null;
  uploadedBy?: string | null;
  direction?: 'inbound' | 'outbound' | null;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export async function findDocument(tx: Tx, origin: string, originId: string): Promise<StoredDocument | null> {
  const [row] = await tx.select().from(documents).where(and(eq(documents.origin, origin), eq(documents.originId, originId)));
  return row ?? null;
}

/** Extracts (outside any lock: it may take a while) and stores; returns the row and whether it is new. */
export async function ingestDocument(tx: Tx, queue: Queue | null, from: DocumentOrigin, input: DocumentInput, limits: ExtractionLimits): Promise<{ document: StoredDocument; created: boolean }> {
  const hash = sha256(input.bytes);
  const originId = from.originId ?? hash;
  const existing = await findDocument(tx, from.origin, originId);
  if (existing) return { document: existing, created: false };
  const extraction = await extractDocument(input, limits);
  const [row] = await tx
    .insert(documents)
    .values({
      origin: from.origin,
      originId,
      connectionId: from.connectionId ?? null,
      conversationId: from.conversationId ?? null,
      messageId: from.messageId ?? null,
      uploadedBy: from.uploadedBy ?? null,
      direction: from.direction ?? null,
      filename: input.filename.slice(0, 255),
      contentType: input.contentType?.slice(0, 255) ?? null,
      byteSize: input.bytes.byteLength,
      sha256: hash,
      format: extraction.format,
      status: extraction.status,
      skipReason: extraction.status === 'skipped' ? extraction.reason : null,
      skipDetail: extraction.status === 'skipped' ? extraction.detail : null,
      // Postgres text cannot hold NUL; extracted text has no use for it.
      text: extraction.status === 'skipped' ? '' : extraction.text.replaceAll('\0', ''),
      pages: extraction.status === 'skipped' ? [] : extraction.pages,
    })
    .onConflictDoNothing({ target: [documents.origin, documents.originId] })
    .returning();
  if (!row) {
    // Stored by a concurrent writer since we looked.
    const stored = await findDocument(tx, from.origin, originId);
    if (!stored) throw new Error('document vanished after a conflicting insert');
    return { document: stored, created: false };
  }
  if (queue && row.status === 'text') await queue.send('compliance.scan-document', { documentId: row.id }, { tx });
  return { document: row, created: true };
}
