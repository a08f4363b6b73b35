/**
 * `conversation.refresh`: one conversation a vendor event named (a Slack message), read from the
 * vendor now and stored like a harvested one, in one transaction with what the later stages do on
 * it (its compliance scan: stored.ts). A conversation the vendor no longer has is left as stored.
 */
import { findConnection, connectorFor } from '../connections/store.ts';
import type { HubDeps } from '../deps.ts';
import type { JobHandler } from '../queue/queue.ts';
import { storeFetchedConversation } from './store-batch.ts';
import type { OnBatchStored } from './stored.ts';

export function conversationRefreshHandler(deps: HubDeps & { onStored: OnBatchStored }): JobHandler<'conversation.refresh'> {
  const log = deps.log.child({ module: 'refresh' });
  return async (payload, job) => {
    const connection = await findConnection(deps.database.db, payload.connectionId);
    if (!connection) return;
    const connector = connectorFor(deps.database.db, deps.keyring, connection, { log });
    if (!connector.fetchConversation) return void log.warn({ vendor: connection.vendor }, 'this vendor cannot read one conversation: refresh skipped');
    const conversation = await connector.fetchConversation(payload.sourceId, job.signal);
    if (!conversation) return void log.info({ sourceId: payload.sourceId }, 'conversation gone or not harvested: nothing stored');
    await deps.database.db.transaction((tx) => storeFetchedConversation(tx, connection.id, conversation, deps.onStored));
  };
}
