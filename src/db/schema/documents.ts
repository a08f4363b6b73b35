import { bigint, bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { connections } from './connections.ts';
import { conversations, messages } from './conversations.ts';

export type DocumentStatus = 'text' | 'no_text_layer' | 'skipped';

/** A page's place in a document's text: `text.slice(start, end)`. */
export interface DocumentPage {
  page: number;
  start: number;
  end: number;
}

/**
 * A document whose text was extracted for the compliance scan: an attachment of a harvested
 * message (ticket, case, mail) or an upload through the API. The text is kept (it is what the
 * alert's evidence points into, by page and offset); a skipped document keeps why.
 * `(origin, originId)` is unique, so a re-harvested attachment or a repeated upload is stored once.
 */
export const documents = pgTable(
  'documents',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `upload`, or the source of the message it is attached to (`zendesk`, `email`, …). */
    origin: text('origin').notNull(),
    /** The vendor's attachment id, or the upload's content hash. */
    originId: text('origin_id').notNull(),
    connectionId: uuid('connection_id').references(() => connections.id, { onDelete: 'cascade' }),
    conversationId: bigint('conversation_id', { mode: 'number' }).references(() => conversations.id, { onDelete: 'cascade' }),
    messageId: bigint('message_id', { mode: 'number' }).references(() => messages.id, { onDelete: 'cascade' }),
    filename: text('filename').notNull(),
    contentType: text('content_type'),
    byteSize: integer('byte_size').notNull(),
    sha256: text('sha256').notNull(),
    format: text('format'),
    status: text('status').$type<DocumentStatus>().notNull(),
    skipReason: text('skip_reason'),
    skipDetail: text('skip_detail'),
    text: text('text').notNull().default(''),
    pages: jsonb('pages').$type<DocumentPage[]>().notNull().default([]),
    /** For uploads: which way the document travels, which picks the policies in scope (attachments follow their message). */
    direction: text('direction').$type<'inbound' | 'outbound'>(),
    /** Who uploaded it (a token's actor), for uploads. */
    uploadedBy: text('uploaded_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [uniqueIndex('documents_origin_idx').on(table.origin, table.originId), index('documents_conversation_idx').on(table.conversationId), index('documents_status_idx').on(table.status, table.skipReason)],
);

/** The last compliance scan of each document, with the policy set's hash (as compliance_scans for messages). */
export const documentScans = pgTable('document_scans', {
  documentId: bigint('document_id', { mode: 'number' })
    .primaryKey()
    .references(() => documents.id, { onDelete: 'cascade' }),
  policiesHash: text('policies_hash').notNull(),
  scannedAt: timestamp('scanned_at', { withTimezone: true }).notNull().defaultNow(),
});
