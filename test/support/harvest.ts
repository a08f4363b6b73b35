/** Shared set-up for harvest tests: a connection to a sandbox, executed runs, and store snapshots. */
import { randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { createConnection, type ConnectionRow } from '../../src/connections/store.ts';
import type { Database } from '../../src/db/client.ts';
import { executeRun } from '../../src/harvest/execute.ts';
import { createRun } from '../../src/harvest/runs.ts';
import { createKeyring, type Keyring } from '../../src/security/encryption.ts';
import { captureLogger } from './logger.ts';

export const TEST_KEY = randomBytes(32);
export const testKeyring = (): Keyring => createKeyring(TEST_KEY);

export async function addConnection(database: Database, input: { vendor: string; name: string; settings: Record<string, unknown>; credentials: Record<string, unknown> }): Promise<ConnectionRow> {
  return database.db.transaction((tx) => createConnection(tx, testKeyring(), { ...input, schedule: null }, 'test', { allowedHosts: ['127.0.0.1'] }));
}

export async function harvestNow(database: Database, connectionId: string, batchSize = 100) {
  const { run } = await createRun(database.db, connectionId, 'manual', null);
  return executeRun({ database, keyring: testKeyring(), log: captureLogger().log, batchSize }, run.id, { lastAttempt: true, pollMs: 100 });
}

/** What a connection's harvest stored: per conversation, its content hash and message count. */
export async function storedSnapshot(database: Database, connectionId: string): Promise<Map<string, string>> {
  const rows = await database.db.execute<{ source_id: string; content_hash: string; messages: string }>(sql`
    SELECT c.source_id, c.content_hash, count(m.id)::text AS messages
    FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id
    WHERE c.connection_id = ${connectionId}
    GROUP BY c.id`);
  return new Map(rows.rows.map((row) => [row.source_id, `${row.content_hash}/${row.messages}`]));
}

export async function counts(database: Database, connectionId: string) {
  const result = await database.db.execute<{ conversations: string; messages: string }>(sql`
    SELECT (SELECT count(*) FROM conversations WHERE connection_id = ${connectionId})::text AS conversations,
           (SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.connection_id = ${connectionId})::text AS messages`);
  const row = result.rows[0];
  return { conversations: Number(row?.conversations), messages: Number(row?.messages) };
}

export { eq };
