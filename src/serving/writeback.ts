/**
 * What the draft and triage jobs share: the vendor's WriteBack built from a stored connection, the
 * marker that makes posting idempotent, and the system prompt of the dataset version a model was
 * trained on.
 */
import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { writeBackFactory } from '../../integrations/registry.ts';
import type { Conversation, VendorLogger, WriteBack, WriteBackOptions } from '../../integrations/types.ts';
import { openConnection } from '../connections/open.ts';
import type { ConnectionRow } from '../connections/store.ts';
import type { Db } from '../db/client.ts';
import { datasets, datasetVersions } from '../db/schema/index.ts';
import { parseDatasetConfig, systemPromptFor, type DatasetConfig, type Task } from '../datasets/config.ts';
import type { Keyring } from '../security/encryption.ts';

export function writeBackFor(db: Db, keyring: Keyring, row: ConnectionRow, options: { log?: VendorLogger; retryPolicy?: WriteBackOptions['retryPolicy'] } = {}): WriteBack | null {
  const factory = writeBackFactory(row.vendor);
  if (!factory) return null;
  const opened = openConnection(db, keyring, row);
  return factory.create(opened.settings, opened.credentials, { ...options, onCredentialsRefreshed: opened.onCredentialsRefreshed });
}

/** The key the A/B split hashes: stable for a ticket across webhooks, retries and batches. */
export function ticketKey(connectionId: string, sourceId: string): string {
  return `${connectionId}:${sourceId}`;
}

/** `ref tl-<16 hex>`: the same for every attempt at one ticket and task, so a retry finds its note. */
export function markerFor(connectionId: string, sourceId: string, task: 'reply' | 'triage'): string {
  const ref = createHash('sha256').update(`${connectionId}\n${sourceId}\n${task}`).digest('hex').slice(0, 16);
  return `ref tl-${ref}`;
}

/** The note's last line: tells agents what wrote it, and carries the marker. */
export function signedDraft(text: string, modelLabel: string, marker: string): string {
  return `${text.trim()}\n\n— tuneloop draft · model ${modelLabel} · ${marker}`;
}

const CLOSED = new Set(['solved', 'closed', 'resolved']);

/** Solved/closed (Zendesk), Closed (Salesforce, or IsClosed for custom closed statuses), resolved. */
export function isClosed(conversation: Conversation): boolean {
  return CLOSED.has((conversation.status ?? '').toLowerCase()) || conversation.customFields.isClosed === true;
}

/** An internal note with this marker already on the ticket (found in the fetched conversation). */
export function noteWithMarker(conversation: Conversation, marker: string): string | null {
  const note = conversation.messages.find((message) => message.visibility === 'internal' && message.body.includes(marker));
  return note ? note.sourceId.replace(/^note:/, '') : null;
}

/** The system prompt and context window the model was trained with: its dataset's config, else the defaults. */
export async function promptSettingsForModel(db: Db, model: { datasetVersionId: string | null }, task: Task): Promise<{ systemPrompt: string; context: DatasetConfig['context'] }> {
  let config = parseDatasetConfig({});
  if (model.datasetVersionId) {
    const [row] = await db
      .select({ config: datasets.config })
      .from(datasetVersions)
      .innerJoin(datasets, eq(datasets.id, datasetVersions.datasetId))
      .where(eq(datasetVersions.id, model.datasetVersionId));
    if (row) config = parseDatasetConfig(row.config);
  }
  return { systemPrompt: systemPromptFor(task, config), context: config.context };
}
