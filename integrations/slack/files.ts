/**
 * Files shared in a thread (a message's `files`), downloaded while the thread is read so the hub
 * can scan their text (Message.files); the harvest and the message events (file_share) read threads
 * the same way, so both bring them. Only types whose text the hub extracts are fetched
 * (integrations/common/attachments.ts); images, deleted files and links to files kept elsewhere
 * are not. A file Slack will not hand over (no files:read, deleted meanwhile) is logged and left
 * out: the thread's messages are still stored.
 */
import { isDocumentFile, MAX_ATTACHMENT_BYTES } from '../common/attachments.ts';
import { VendorError, type Conversation, type MessageFile, type VendorLogger } from '../types.ts';
import type { SlackApi } from './client.ts';
import type { SlackMessage } from './schemas.ts';

type SlackFile = NonNullable<SlackMessage['files']>[number];

const downloadable = (file: SlackFile) =>
  Boolean(file.url_private_download ?? file.url_private) && !file.is_external && (file.mode ?? 'hosted') === 'hosted' && isDocumentFile({ contentType: file.mimetype, name: file.name, size: file.size });

export async function attachFiles(api: SlackApi, thread: readonly SlackMessage[], conversation: Conversation, signal?: AbortSignal, log?: VendorLogger): Promise<void> {
  const bySourceId = new Map(conversation.messages.map((message) => [message.sourceId, message]));
  for (const raw of thread) {
    const message = bySourceId.get(raw.ts);
    const documents = (raw.files ?? []).filter(downloadable);
    if (!message || !documents.length) continue;
    const files: MessageFile[] = [];
    for (const file of documents) {
      try {
        const content = await api.download(file.url_private_download ?? file.url_private ?? '', file.mimetype ?? null, MAX_ATTACHMENT_BYTES, signal);
        if (content) files.push({ name: file.name ?? file.title ?? file.id, contentType: file.mimetype ?? null, content });
      } catch (error) {
        if (!(error instanceof VendorError) || (error.kind !== 'forbidden' && error.kind !== 'not_found')) throw error;
        log?.warn({ vendor: 'slack', conversationId: conversation.sourceId, fileId: file.id, reason: error.message }, 'a shared file was not downloaded; its document is left out');
      }
    }
    if (files.length) message.files = files;
  }
}
