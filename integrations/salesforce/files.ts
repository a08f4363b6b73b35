/**
 * Files sent or received with a case's emails (Salesforce Files: ContentDocumentLink from the
 * EmailMessage to a ContentDocument, whose latest ContentVersion holds the bytes), downloaded during
 * the harvest so the hub can scan their text (Message.files). Only emails that say HasAttachment
 * are asked about, in one SOQL query per 200 of them, so a harvest of cases without attachments
 * makes no extra calls; only types whose text the hub extracts are downloaded.
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentdocumentlink.htm
 * (a query on ContentDocumentLink must filter on LinkedEntityId or ContentDocumentId)
 *
 * Not read: files shared only with the Case itself (its Files related list, not sent with an
 * email) and legacy Attachment records.
 */
import { z } from 'zod';
import { isDocumentFile, MAX_ATTACHMENT_BYTES } from '../common/attachments.ts';
import { VendorError, type Conversation, type MessageFile, type VendorLogger } from '../types.ts';
import type { SalesforceClient } from './client.ts';
import { SfId } from './raw.ts';

const IN_CHUNK = 200;

const FileLink = z.object({
  LinkedEntityId: SfId,
  ContentDocumentId: SfId,
  ContentDocument: z.object({ Title: z.string().nullable(), FileExtension: z.string().nullable(), ContentSize: z.number().nullable(), LatestPublishedVersionId: SfId.nullable() }).nullable(),
});

/** Content types by Salesforce's FileExtension, for the document-type check and the extractor. */
const TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  csv: 'text/csv',
};

export async function attachEmailFiles(client: SalesforceClient, emailIds: readonly string[], conversations: readonly Conversation[], signal?: AbortSignal, log?: VendorLogger): Promise<void> {
  if (!emailIds.length) return;
  const bySourceId = new Map(conversations.flatMap((conversation) => conversation.messages.map((message) => [message.sourceId, message] as const)));
  for (let at = 0; at < emailIds.length; at += IN_CHUNK) {
    const chunk = emailIds.slice(at, at + IN_CHUNK);
    const soql = `SELECT LinkedEntityId, ContentDocumentId, ContentDocument.Title, ContentDocument.FileExtension, ContentDocument.ContentSize, ContentDocument.LatestPublishedVersionId FROM ContentDocumentLink WHERE LinkedEntityId IN (${chunk.map((id) => `'${id}'`).join(', ')}) ORDER BY LinkedEntityId, ContentDocumentId`;
    const links = await client.query(soql, FileLink, 'ContentDocumentLink', { signal });
    for (const link of links) {
      const message = bySourceId.get(link.LinkedEntityId);
      const document = link.ContentDocument;
      const extension = (document?.FileExtension ?? '').toLowerCase();
      const name = `${document?.Title ?? link.ContentDocumentId}${extension ? `.${extension}` : ''}`;
      const contentType = TYPES[extension] ?? null;
      if (!message || !document?.LatestPublishedVersionId || !isDocumentFile({ contentType, name, size: document.ContentSize })) continue;
      try {
        const content = await client.versionData(document.LatestPublishedVersionId, MAX_ATTACHMENT_BYTES, signal);
        if (!content) continue;
        const file: MessageFile = { name, contentType, content };
        message.files = [...(message.files ?? []), file];
      } catch (error) {
        // Deleted, or not shared with the integration user, since the query: left out, the email is still stored.
        if (!(error instanceof VendorError) || (error.kind !== 'not_found' && error.kind !== 'forbidden')) throw error;
        log?.warn({ source: 'salesforce', emailId: link.LinkedEntityId, contentDocumentId: link.ContentDocumentId, status: error.status }, 'a file of an email could not be downloaded; its document is left out');
      }
    }
  }
}
