/**
 * Documents attached to comments, downloaded during the harvest so the hub can scan their text
 * (Message.files). Only types whose text the hub extracts are fetched, one at a time, and each
 * at most once per harvest of its comment; images (screenshots) are not downloaded at all, so a
 * harvest spends no requests on them.
 */
import { isDocumentFile, MAX_ATTACHMENT_BYTES } from '../common/attachments.ts';
import type { Conversation, MessageFile } from '../types.ts';
import type { ZendeskApi } from './client.ts';
import type { ZendeskComment } from './schemas.ts';

export const isDocument = (attachment: NonNullable<ZendeskComment['attachments']>[number]) =>
  Boolean(attachment.content_url) && isDocumentFile({ contentType: attachment.content_type, name: attachment.file_name, size: attachment.size });

export async function attachFiles(api: ZendeskApi, found: ReadonlyArray<{ comments: ZendeskComment[] }>, conversations: Conversation[], signal?: AbortSignal): Promise<void> {
  const bySourceId = new Map(conversations.flatMap((conversation) => conversation.messages.map((message) => [message.sourceId, message] as const)));
  for (const { comments } of found) {
    for (const comment of comments) {
      const documents = (comment.attachments ?? []).filter(isDocument);
      const message = bySourceId.get(String(comment.id));
      if (!documents.length || !message) continue;
      const files: MessageFile[] = [];
      for (const attachment of documents) {
        const content = await api.download(attachment.content_url ?? '', MAX_ATTACHMENT_BYTES, signal);
        if (content) files.push({ name: attachment.file_name, contentType: attachment.content_type ?? null, content });
      }
      if (files.length) message.files = files;
    }
  }
}
