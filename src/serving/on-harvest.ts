/**
 * Serving's answer to a stored harvest batch (src/harvest/stored.ts), in the batch's transaction:
 * new and changed messages are queued for the compliance scan, posted drafts whose ticket was
 * answered get their feedback job, and with DRAFTS_FROM_HARVEST an incremental harvest queues
 * drafts and triage for tickets that wait for an answer.
 */
import type { Config } from '../config.ts';
import type { OnBatchStored } from '../harvest/stored.ts';
import type { Queue } from '../queue/queue.ts';
import { enqueueScansForConversations } from './compliance/scan.ts';
import { enqueueDocumentScans } from './compliance/scan-document.ts';
import { enqueueDraftsFromHarvest } from './drafts/from-harvest.ts';
import { enqueueDraftFeedback } from './feedback/enqueue.ts';

export function reactToHarvest(queue: Queue, config: Pick<Config, 'DRAFTS_FROM_HARVEST'>): OnBatchStored {
  return async (tx, event) => {
    await enqueueScansForConversations(tx, queue, event.conversationIds);
    await enqueueDocumentScans(tx, queue, event.conversationIds);
    await enqueueDraftFeedback(tx, queue, event.conversationIds);
    if (config.DRAFTS_FROM_HARVEST && event.incremental) await enqueueDraftsFromHarvest(tx, queue, event.connectionId, event.conversationIds);
  };
}
