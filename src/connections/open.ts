/**
 * Opens a stored connection for a vendor call: its settings, its credentials decrypted, and where
 * a refreshed OAuth token goes (sealed again and stored on the connection). Harvest, write-back and
 * alert delivery all open connections here, so a refreshed token is stored the same way by each.
 */
import { eq } from 'drizzle-orm';
import type { VendorCallOptions } from '../../integrations/types.ts';
import type { Tx } from '../db/client.ts';
import { connections } from '../db/schema/index.ts';
import { decryptJson, encryptJson, type Keyring } from '../security/encryption.ts';

export interface OpenedConnection {
  settings: Record<string, unknown>;
  credentials: unknown;
  onCredentialsRefreshed: NonNullable<VendorCallOptions['onCredentialsRefreshed']>;
}

/** `db` should be the pool, not a short transaction: a token may be refreshed long after this returns. */
export function openConnection(db: Tx, keyring: Keyring, row: { id: string; settings: Record<string, unknown>; credentialsEncrypted: string }): OpenedConnection {
  return {
    settings: row.settings,
    credentials: decryptJson(keyring, row.credentialsEncrypted),
    onCredentialsRefreshed: async (refreshed) => {
      await db.update(connections).set({ credentialsEncrypted: encryptJson(keyring, refreshed), updatedAt: new Date() }).where(eq(connections.id, row.id));
    },
  };
}
