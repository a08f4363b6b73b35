/**
 * Opens a stored connection for a vendor call: its settings, its credentials decrypted, and where
 * a refreshed OAuth token goes (sealed again and stored on the connection). Harvest, write-back and
 * alert delivery all open connections here, so a refreshed token is stored the same way by each.
 */
import { eq } from 'drizzle-orm';
import type { VendorCallOptions } from '../../integrations/types.ts';
import type { Tx } from '../db/client.ts';
import { connections } from '../db/schema/index.ts';
import { decryptJson, encryptJson, placeOf, type Keyring, type SealPlace } from '../security/encryption.ts';

/** Where a connection's sealed credentials live: they open on that row only. */
export function credentialsPlace(connectionId: string): SealPlace {
  return placeOf('connections', 'credentials_encrypted', connectionId);
}

export interface OpenedConnection {
  settings: Record<string, unknown>;
  credentials: unknown;
  onCredentialsRefreshed: NonNullable<VendorCallOptions['onCredentialsRefreshed']>;
}

/** `db` should be the pool, not a short transaction: a token may be refreshed long after this returns. */
export function openConnection(db: Tx, keyring: Keyring, row: { id: string; settings: Record<string, unknown>; credentialsEncrypted: string }): OpenedConnection {
  return {
    settings: row.settings,
    credentials: decryptJson(keyring, row.credentialsEncrypted, credentialsPlace(row.id)),
    onCredentialsRefreshed: async (refreshed) => {
      await db.update(connections).set({ credentialsEncrypted: encryptJson(keyring, refreshed, credentialsPlace(row.id)), updatedAt: new Date() }).where(eq(connections.id, row.id));
    },
  };
}
