/**
 * Documents attached to a conversation's first message and its parts, downloaded while the
 * conversation is read so the hub can scan their text (Message.files). Only types whose text the
 * hub extracts are fetched (integrations/common/attachments.ts); images are never downloaded.
 * A link that no longer answers (deleted upload, expired signature) is logged and left out: the
 * conversation's text is still stored, and a later read of it brings a fresh link.
 */
import { isDocumentFile, MAX_ATTACHMENT_BYTES } from '../common/attachments.ts';
import { VendorError, type Conversation, type MessageFile, type VendorLogger } from '../types.ts';
import type { IntercomApi } from './client.ts';
import type { IntercomConversation } from './schemas.ts';

type Attachment = NonNullable<NonNullable<IntercomConversation['source']>['attachments']>[number];

export async function attachFiles(api: IntercomApi, raw: IntercomConversation, conversation: Conversation, signal?: AbortSignal, log?: VendorLogger): Promise<void> {
  const owners: Array<{ sourceId: string; attachments: Attachment[] }> = [];
  if (raw.source) owners.push({ sourceId: `source:${raw.source.id}`, attachments: raw.source.attachments ?? [] });
  for (const part of raw.conversation_parts?.conversation_parts ?? []) owners.push({ sourceId: `part:${part.id}`, attachments: part.attachments ?? [] });
  const bySourceId = new Map(conversation.messages.map((message) => [message.sourceId, message]));
  for (const { sourceId, attachments } of owners) {
    const message = bySourceId.get(sourceId);
    const documents = attachments.filter((attachment) => attachment.url && isDocumentFile({ contentType: attachment.content_type, name: attachment.name, size: attachment.filesize }));
    if (!message || !documents.length) continue;
    const files: MessageFile[] = [];
    for (const attachment of documents) {
      try {
        const content = await api.download(attachment.url ?? '', MAX_ATTACHMENT_BYTES, signal);
        if (content) files.push({ name: attachment.name ?? 'attachment', contentType: attachment.content_type ?? null, content });
      } catch (error) {
        if (!(error instanceof VendorError) || error.kind !== 'not_found') throw error;
        log?.warn({ vendor: 'intercom', conversationId: conversation.sourceId, messageId: sourceId, status: error.status }, 'an attachment link no longer answers; its document is left out');
      }
    }
    if (files.length) message.files = files;
  }
}
